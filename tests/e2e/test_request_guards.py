"""The general guards of issue 12, on SQLite and PostgreSQL: JSON nesting depth, body
size, NUL and unpaired surrogates anywhere (body, keys, query, path, form) and numbers
Python cannot hold, all refused before any view; database data errors as 422 and lost
connections as 503 with Retry-After; parameters never in errors or logs; security
headers; Swagger UI served by us."""

from __future__ import annotations

import io
import json
import logging
import re
import traceback
import uuid
from urllib.parse import urlsplit

import pytest

from diary.api.guards import (
    DIGITS_RULE,
    MAX_JSON_DEPTH,
    NOT_JSON_NUMBER_RULE,
    NUL_RULE,
    OVERFLOW_RULE,
    SURROGATE_RULE,
)
from diary.safety import DEFAULT_SYMPTOMS
from tests.e2e.sms_support import PHONE, message_sid, post_signed

S = "/api/v1/studies/mini-crossover"
P = S + "/participants/S001"
SHAPE = {"code", "status", "message", "field", "errors"}
POISON = {"nul": ("\x00", NUL_RULE), "surrogate": ("\udfff", SURROGATE_RULE)}
CID = "9b1f2a4e-0000-4000-8000-00000000000{}"

# (name, caller, method, path, a well-formed body, the endpoint's status for it)
JSON_ENDPOINTS = [
    ("login", None, "POST", "/api/v1/auth/login",
     {"email": "admin@site.org", "password": "correct horse battery"}, 200),
    ("activation", None, "POST", "/api/v1/participant/activate",
     {"code": "ABCD-EFGH-JKLM"}, 401),
    ("account", "admin", "POST", "/api/v1/accounts",
     {"email": "new@site.org", "password": "long enough pass"}, 201),
    ("role", "admin", "PUT", S + "/roles",
     {"email": "someone@site.org", "role": "viewer", "sites": ["PAR"]}, 200),
    ("enrolment", "admin", "POST", S + "/participants",
     {"subject_id": "S900", "site": "PAR", "sequence": "KP", "phone": PHONE,
      "reminder_time": "20:00", "timezone": "Europe/Paris"}, 201),
    ("event", "admin", "POST", P + "/events",
     {"type": "infusion", "period": 1, "occurred_at": "2027-03-01T08:00:00+00:00"}, 201),
    ("screening", "admin", "POST", S + "/screenings",
     {"screening_number": "X1", "site": "PAR", "instrument": "dn4", "answers": {}},
     422),  # well-formed, but this study declares no screening
    ("adverse event", "admin", "POST", P + "/adverse-events",
     {"term": "Nausea", "onset": "2027-03-01", "severity": "mild", "serious": False,
      "relatedness": "possible", "client_id": CID.format(1)}, 201),
    ("coordinator's medication", "admin", "POST", P + "/medications",
     {"drug": "oxycodone", "dose": "5", "unit": "mg", "route": "oral", "rescue": True,
      "taken_at": "2027-03-01T18:00:00+01:00", "client_id": CID.format(2)}, 201),
    ("withdrawal", "admin", "POST", P + "/withdrawal", {"reason": "moved away"}, 200),
    ("diary entry", "device", "POST", "/api/v1/me/diary-entries",
     {"diary_date": "2027-03-01", "score": 5, "client_id": CID.format(3),
      "device_time": "2027-03-01T18:00:00+01:00"}, 201),
    ("questionnaire response", "device", "POST", "/api/v1/me/questionnaire-responses",
     {"instrument": "pgic", "answers": {"pgic": 2}, "client_id": CID.format(4),
      "device_time": "2027-03-01T18:00:00+01:00"}, 201),
    ("medication", "device", "POST", "/api/v1/me/medications",
     {"drug": "paracetamol", "dose": "1", "unit": "g", "route": "oral", "rescue": False,
      "taken_at": "2027-03-01T17:30:00+01:00", "client_id": CID.format(5)}, 201),
    ("side effects", "device", "POST", "/api/v1/me/side-effects",
     {"diary_date": "2027-03-01",
      "answers": {s.code: "none" for s in DEFAULT_SYMPTOMS} | {"nausea": "moderate"},
      "free_text": "after the infusion", "device_time": "2027-03-01T18:00:00+01:00",
      "client_id": CID.format(6)}, 201),
]
CASES = [pytest.param(*case[1:], id=case[0]) for case in JSON_ENDPOINTS]

# GET endpoints: (path with a {} segment or none, its view argument, a value it accepts
# there, query names); each answers 200 to the clean URL but the endpoint export, 422
# (this study declares no endpoints)
URL_ENDPOINTS = [
    (S + "/participants", None, None, ["site", "status"]),
    ("/api/v1/studies/{}/participants/S001/entries", "key", "mini-crossover", ["page"]),
    (S + "/participants/{}/events", "subject_id", "S001", []),
    (S + "/participants/{}/schedule", "subject_id", "S001", []),
    (S + "/participants/{}/fhir-bundle", "subject_id", "S001", []),
    (S + "/reminders", None, None, ["subject_id", "kind", "state"]),
    (S + "/endpoints", None, None, ["layout", "format", "part"]),
    ("/api/v1/instruments/{}", "instrument_id", "pgic", ["format"]),
    ("/api/v1/me/instruments/{}", "instrument_id", "pgic", []),
    ("/api/v1/me/diary-entries", None, None, ["page_size", "current_only"]),
]


@pytest.fixture
def callers(api, s001):
    """The superuser, S001's device, and an account to grant roles to."""
    r = api.c.post("/api/v1/accounts", headers=api.bearer(s001["admin"]),
                   json={"email": "someone@site.org", "password": "long enough pass"})
    assert r.status_code == 201, r.json
    return {"admin": s001["admin"], "device": s001["token"]}


def _headers(api, callers, who) -> dict:
    return api.bearer(callers[who]) if who else {}


def _strings(value, path=""):
    """(dotted path, is a key, setter) for every string of a body, keys included; a
    setter returns a copy of the body with that string replaced."""
    if isinstance(value, dict):
        for key, item in value.items():
            where = f"{path}.{key}" if path else key
            yield where, True, lambda new, k=key: {(new if k2 == k else k2): v
                                                   for k2, v in value.items()}
            for inner, is_key, setter in _strings(item, where):
                yield inner, is_key, lambda new, k=key, s=setter: {**value, k: s(new)}
    elif isinstance(value, list):
        for index, item in enumerate(value):
            for inner, is_key, setter in _strings(item, f"{path}.{index}" if path
                                                  else str(index)):
                yield inner, is_key, lambda new, i=index, s=setter: [
                    *value[:i], s(new), *value[i + 1:]]
    elif isinstance(value, str):
        yield path, False, lambda new: new


def _key_path(path: str, bad: str) -> str:
    """The path the guard names for a poisoned key: the bad character escaped."""
    head, _, _ = path.rpartition(".")
    escaped = f"first\\u{ord(bad):04x}"
    return f"{head}.{escaped}" if head else escaped


def _refused(r, status: int, code: str, field: str, rule: str) -> None:
    assert r.status_code == status, (r.status_code, r.get_data(as_text=True)[:300])
    assert set(r.json) == SHAPE and r.json["status"] == status, r.json
    assert (r.json["code"], r.json["field"], r.json["errors"]) == (code, field, {field: [rule]})


def _send_json(api, method, path, text: str, headers: dict):
    return api.c.open(path, method=method, data=text, headers=headers,
                      content_type="application/json")


@pytest.mark.parametrize(("who", "method", "path", "body", "accepted"), CASES)
def test_every_string_of_every_body_refuses_nul_and_surrogates_naming_its_path(
        api, callers, who, method, path, body, accepted):
    headers = _headers(api, callers, who)
    swept = 0
    for where, is_key, setter in _strings(body):
        for bad, rule in POISON.values():
            changed = setter(f"first{bad}" if is_key else f"valid text{bad}")
            r = _send_json(api, method, path, json.dumps(changed), headers)
            _refused(r, 422, "validation_error",
                     _key_path(where, bad) if is_key else where, rule)
            swept += 1
    assert swept >= 2 * len(body)
    # Nothing above was stored: the untouched body is accepted as new (201, not a retry)
    r = _send_json(api, method, path, json.dumps(body), headers)
    assert r.status_code == accepted, r.json


@pytest.mark.parametrize(("who", "method", "path", "body", "accepted"), CASES)
def test_json_nested_a_thousand_deep_is_refused_before_the_view(
        api, callers, who, method, path, body, accepted):
    headers = _headers(api, callers, who)
    deep = "[" * 1000 + "]" * 1000
    first = next(iter(body))
    inside = json.dumps({**body, first: 0}).replace("0", deep, 1)
    for text in (deep, inside, '{"a": ' * 1000 + "1" + "}" * 1000):
        _refused(_send_json(api, method, path, text, headers), 400, "json_too_deep", "json",
                 f"nested deeper than {MAX_JSON_DEPTH} levels of arrays and objects")


NUMBERS = {"NaN": NOT_JSON_NUMBER_RULE, "-Infinity": NOT_JSON_NUMBER_RULE,
           "1e999": OVERFLOW_RULE, "1" * 400 + ".5": OVERFLOW_RULE,
           "9" * 5000: DIGITS_RULE}


@pytest.mark.parametrize(("who", "method", "path", "body", "accepted"), CASES)
def test_numbers_python_cannot_hold_are_refused_naming_the_field(
        api, callers, who, method, path, body, accepted):
    headers = _headers(api, callers, who)
    for name in body:
        for literal, rule in NUMBERS.items():
            text = json.dumps({**body, name: "@@"}).replace('"@@"', literal)
            _refused(_send_json(api, method, path, text, headers), 422, "validation_error",
                     name, rule)


@pytest.mark.parametrize(("levels", "refused"), [(MAX_JSON_DEPTH, False),
                                                 (MAX_JSON_DEPTH + 1, True)])
def test_the_depth_limit_counts_every_array_and_object(api, levels, refused):
    # the login object is one level; the password's lists make up the rest
    lists = levels - 1
    text = ('{"email": "a@b.org", "password": ' + "[" * lists + "]" * lists
            + ', "x": "[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[["}')
    r = _send_json(api, "POST", "/api/v1/auth/login", text, {})
    if refused:
        assert (r.status_code, r.json["code"]) == (400, "json_too_deep")
    else:  # past the guard: the schema names the field (brackets in strings don't count)
        assert r.status_code == 422 and r.json["field"] in ("password", "x"), r.json


@pytest.mark.parametrize("escape", ["\\uDFFF", "\\uD800", "\\u0000", "x\\ud83d"])
def test_escapes_are_found_in_any_spelling(api, escape):
    text = '{"email": "a@b.org", "password": "' + escape + '"}'
    r = _send_json(api, "POST", "/api/v1/auth/login", text, {})
    rule = NUL_RULE if escape.endswith("0000") else SURROGATE_RULE
    _refused(r, 422, "validation_error", "password", rule)
    # a valid pair is fine: past the guard, the login itself fails
    text = '{"email": "a@b.org", "password": "\\uD83D\\uDE00 long enough"}'
    assert _send_json(api, "POST", "/api/v1/auth/login", text, {}).status_code == 401


def test_bodies_the_guard_cannot_read_get_a_400_not_a_500(api):
    for raw in (b'{"email": "a@b.org", "password": "\xed\xbf\xbf"}',  # surrogate as UTF-8
                b'{"email": "a@b.org", "password": "unterminated', b"\xff\xfe"):
        r = api.c.post("/api/v1/auth/login", data=raw, content_type="application/json")
        assert r.status_code == 400 and set(r.json) == SHAPE, r.json


def test_a_body_over_the_size_limit_gets_our_413_before_login(api, app):
    limit = app.config["MAX_CONTENT_LENGTH"]
    body = json.dumps({"email": "a@b.org", "password": "x" * limit})
    r = api.c.post("/api/v1/auth/login", data=body, content_type="application/json")
    assert r.status_code == 413 and set(r.json) == SHAPE, r.json
    assert r.json["message"] == f"request body: larger than the limit of {limit} bytes"
    # streamed without a Content-Length: the limit still holds while reading
    r = api.c.post("/api/v1/auth/login", input_stream=io.BytesIO(body.encode()),
                   content_type="application/json",
                   headers={"Transfer-Encoding": "chunked"},
                   environ_overrides={"wsgi.input_terminated": True})
    assert r.status_code == 413 and set(r.json) == SHAPE, r.json


@pytest.mark.parametrize(("path", "view_arg", "segment", "names"), URL_ENDPOINTS)
def test_query_values_and_path_segments_refuse_nul(api, callers, path, view_arg, segment,
                                                   names):
    headers = api.bearer(callers["device" if "/me/" in path else "admin"])
    url = path.format(segment)
    for name in names:
        r = api.c.get(f"{url}?{name}=a%00b", headers=headers)
        _refused(r, 422, "validation_error", name, NUL_RULE)
    if view_arg:
        r = api.c.get(path.format(f"{segment}%00"), headers=headers)
        _refused(r, 422, "validation_error", view_arg, NUL_RULE)
    _refused(api.c.get(url + "?%00=1", headers=headers), 422, "validation_error", "\\u0000",
             NUL_RULE)
    # a surrogate's UTF-8 bytes in a URL never decode to a surrogate: no 500 either
    assert api.c.get(url + "?format=%ED%BF%BF", headers=headers).status_code < 500
    clean = api.c.get(url, headers=headers)
    assert clean.status_code == (422 if path.endswith("/endpoints") else 200), clean.json


def test_a_nul_in_the_study_key_is_refused_naming_it(api, callers):
    r = api.c.get("/api/v1/studies/mini%00crossover", headers=api.bearer(callers["admin"]))
    _refused(r, 422, "validation_error", "key", NUL_RULE)


def test_a_texted_nul_is_answered_with_help_and_kept_with_a_replacement_character(api,
                                                                                   crossover):
    """A participant's text is answered, never refused: Twilio would only log a 422."""
    from sqlalchemy import select

    from diary.db.messaging import InboundSms

    api.enrol(crossover, "mini-crossover", subject_id="S001", site="PAR", sequence="KP",
              phone=PHONE)
    form = {"MessageSid": message_sid(), "From": PHONE, "To": "+15005550006",
            "NumMedia": "0", "Body": "6\x00"}
    r = post_signed(api.c, "/sms/inbound", form)
    assert r.status_code == 200, r.get_data(as_text=True)
    assert "<Message>" in r.get_data(as_text=True)
    with api.app.extensions["paindiary"].session_factory() as s:
        [stored] = s.scalars(select(InboundSms.body)).all()
    assert stored == "6\ufffd"
    r = post_signed(api.c, "/sms/inbound", {**form, "MessageSid": message_sid(),
                                            "Body": "6"})
    assert r.status_code == 200, r.get_data(as_text=True)


# --- the database's own refusals: the last line of defence ----------------------------

HOSTILE_EMAILS = {"nul": "a\x00b@site.org", "surrogate": "a\udfffb@site.org",
                  "long": "a" * 300 + "@site.org"}


@pytest.fixture
def raw_store(app):
    """A route that stores a hostile email as if it had slipped past guards and schemas
    (the value is made on the server, so the guards never see it)."""
    from diary.api.context import db, now
    from diary.db.models import Account

    def store(kind):
        session = db()
        session.add(Account(email=HOSTILE_EMAILS[kind], password_hash="SECRET-HASH-VALUE",
                            created_at=now()))
        session.commit()
        return {"stored": kind}, 201

    app.add_url_rule("/test-only/store/<kind>", view_func=store, methods=["POST"])
    return app.test_client()


def _postgres(app) -> bool:
    return app.extensions["paindiary"].engine.dialect.name == "postgresql"


@pytest.mark.parametrize("kind", sorted(HOSTILE_EMAILS))
def test_a_value_the_database_refuses_is_a_422_naming_the_column(raw_store, app, kind,
                                                                 caplog):
    caplog.set_level(logging.WARNING)
    r = raw_store.post(f"/test-only/store/{kind}")
    if kind in ("nul", "long") and not _postgres(app):
        assert r.status_code == 201  # SQLite stores NUL and ignores declared lengths
        return
    assert r.status_code == 422 and set(r.json) == SHAPE, r.json
    if kind == "surrogate":  # the driver cannot encode it: no column to name
        assert r.json["message"] == f"text {SURROGATE_RULE}"
    else:
        rule = NUL_RULE if kind == "nul" else "longer than 254 characters"
        _refused(r, 422, "validation_error", "email", rule)
    text = r.get_data(as_text=True) + caplog.text
    assert "SECRET-HASH-VALUE" not in text and "site.org" not in text


def test_database_errors_carry_no_parameter_values(app):
    """hide_parameters, and on PostgreSQL no DETAIL repeating the failing row."""
    from sqlalchemy import exc, insert

    from diary.db.models import Account

    engine = app.extensions["paindiary"].engine
    email, secret = f"who-{uuid.uuid4().hex}@site.org", f"SECRET-{uuid.uuid4().hex}"
    with engine.connect() as conn, pytest.raises(exc.IntegrityError) as caught:
        # created_at is NOT NULL: the database refuses the row that holds the hash
        conn.execute(insert(Account).values(email=email, password_hash=secret))
    text = "".join(traceback.format_exception(caught.value))  # with the driver's error
    assert secret not in text and email not in text
    assert "parameters hidden" in text


# --- a database that went away ---------------------------------------------------------

def test_an_unreachable_database_answers_503_with_retry_after(app, tmp_path):
    from app import create_app

    url = ("postgresql://postgres@127.0.0.1:1/nowhere" if _postgres(app)
           else f"sqlite:///{tmp_path}/no/such/folder/x.sqlite3")
    down = create_app({**app.config, "DATABASE_URL": url})
    r = down.test_client().post("/api/v1/auth/login",
                                json={"email": "a@site.org", "password": "whatever pw"})
    assert r.status_code == 503 and set(r.json) == SHAPE, r.json
    assert (r.json["code"], r.headers["Retry-After"]) == ("database_unavailable", "5")
    down.extensions["paindiary"].engine.dispose()


def _kill_connections(app) -> int:
    """What a server restart does to the app: every connection to its database dropped
    (from a superuser connection, for this run's own database only)."""
    from sqlalchemy import text

    from diary.db.engine import make_engine
    from tests.conftest import PG_URL

    superuser = make_engine(PG_URL, isolation_level="AUTOCOMMIT")
    with superuser.connect() as conn:
        killed = conn.execute(text(
            "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
            "WHERE datname = :db AND pid <> pg_backend_pid()"),
            {"db": app.extensions["paindiary"].engine.url.database}).scalar()
    superuser.dispose()
    return killed


@pytest.mark.postgres
@pytest.mark.parametrize("pre_ping", [True, False])
def test_requests_recover_after_the_servers_connections_are_killed(api, admin, app,
                                                                   pre_ping):
    """With pre-ping (our setting) the pool replaces dropped connections at checkout and
    the next request succeeds; without it the next one gets 503 + Retry-After, the pool
    is invalidated, and the one after succeeds. No restart of the app either way."""
    from dataclasses import replace

    from diary.db.engine import make_engine, make_session_factory

    runtime = app.extensions["paindiary"]
    assert runtime.engine.pool._pre_ping is True
    if not pre_ping:
        runtime.engine.dispose()
        engine = make_engine(runtime.engine.url.render_as_string(hide_password=False),
                             pool_pre_ping=False)
        app.extensions["paindiary"] = replace(
            runtime, engine=engine, session_factory=make_session_factory(engine))
    studies = lambda: api.c.get("/api/v1/studies", headers=api.bearer(admin))  # noqa: E731
    assert studies().status_code == 200
    assert _kill_connections(app) >= 1
    r = studies()
    if pre_ping:
        assert r.status_code == 200, r.json
    else:
        assert (r.status_code, r.json["code"], r.headers["Retry-After"]) == (
            503, "database_unavailable", "5"), r.json
    assert studies().status_code == 200


# --- headers -----------------------------------------------------------------------------

SECURITY = {"X-Content-Type-Options": "nosniff", "Referrer-Policy": "no-referrer",
            "Content-Security-Policy": "frame-ancestors 'none'"}


def test_every_kind_of_response_carries_the_security_headers(api, s001):
    admin = api.bearer(s001["admin"])
    responses = {
        "ok": api.c.get(S, headers=admin),
        "not found": api.c.get("/api/v1/nowhere"),
        "unauthorized": api.c.get(S),
        "refused": api.c.post("/api/v1/auth/login", json={"email": "x"}),
        "too deep": _send_json(api, "POST", "/api/v1/auth/login", "[" * 100, {}),
        "method": api.c.delete(S, headers=admin),
        "docs": api.c.get("/api/docs"),
        "spec": api.c.get("/api/openapi.json"),
        "twiml": post_signed(api.c, "/sms/inbound", {"MessageSid": message_sid(),
                                                     "From": "+15551234567", "Body": "hi"}),
    }
    for name, r in responses.items():
        assert {k: r.headers.get(k) for k in SECURITY} == SECURITY, name
        assert "Strict-Transport-Security" not in r.headers, name


def test_token_answers_are_never_stored_by_caches(api, crossover):
    enrolled = api.c.post(S + "/participants", headers=api.bearer(crossover),
                          json={"subject_id": "S002", "site": "PAR", "sequence": "KP"})
    activated = api.c.post("/api/v1/participant/activate",
                           json={"code": enrolled.json["activation_code"]})
    login = api.c.post("/api/v1/auth/login",
                       json={"email": "admin@site.org", "password": "correct horse battery"})
    for r in (enrolled, activated, login):
        assert r.status_code in (200, 201) and r.headers["Cache-Control"] == "no-store"


def test_hsts_is_sent_when_the_setting_says_https(app, monkeypatch, tmp_path):
    from app import create_app
    from diary.config import build_config

    monkeypatch.setenv("HSTS", "1")
    assert build_config(str(tmp_path), {"SECRET_KEY": "k"})["HSTS"] is True
    monkeypatch.setenv("HSTS", "0")
    assert build_config(str(tmp_path), {"SECRET_KEY": "k"})["HSTS"] is False
    https = create_app({**app.config, "HSTS": True})
    r = https.test_client().get("/api/v1/nowhere")
    assert r.headers["Strict-Transport-Security"] == "max-age=31536000"
    https.extensions["paindiary"].engine.dispose()


ENDPOINT_STUDY = """
endpoints:
  - {key: pain_d7, kind: timepoint, day: 7}
"""


def test_a_csv_export_names_its_charset_once(api, admin, crossover_source):
    key = api.create_study(admin, crossover_source + ENDPOINT_STUDY)
    r = api.c.get(f"/api/v1/studies/{key}/endpoints?layout=wide&format=csv",
                  headers=api.bearer(admin))
    assert r.status_code == 200, r.get_data(as_text=True)[:300]
    assert r.headers["Content-Type"] == "text/csv; charset=utf-8"


# --- interactive API docs -----------------------------------------------------------------

def test_the_api_docs_page_loads_everything_from_this_server(api):
    page = api.c.get("/api/docs")
    assert page.status_code == 200 and page.mimetype == "text/html"
    html = page.get_data(as_text=True)
    assert "SwaggerUIBundle" in html
    for url in re.findall(r"(?:https?:)?//[^\s\"'<>]+", html):
        assert urlsplit(url).netloc in ("", "localhost"), url
    assets = re.findall(r'(?:src|href)="([^"]+)"', html)
    expected = {".css": "text/css", ".js": "text/javascript"}
    assert {a.rsplit(".", 1)[1] for a in assets} == {"css", "js"} and len(assets) == 3
    for asset in assets:
        assert asset.startswith("/api/docs/assets/"), asset
        r = api.c.get(asset)
        assert r.status_code == 200, asset
        assert r.mimetype == expected["." + asset.rsplit(".", 1)[1]], (asset, r.mimetype)
        assert len(r.data) > 1000
        r.close()
    spec = re.search(r'url: "([^"]+)"', html).group(1)
    assert spec == "/api/openapi.json"
    assert api.c.get(spec).json["info"]["title"] == "paindiary"
    assert api.c.get("/api/docs/assets/no-such-file.js").status_code == 404
    assert '"validatorUrl": null' in html  # Swagger UI would call validator.swagger.io
