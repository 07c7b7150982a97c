"""Studies from protocol files, protocol upgrades, and the API's own contract (OpenAPI, errors)."""

from __future__ import annotations

import hashlib
import io
import re
from datetime import timedelta
from pathlib import Path

import pytest
import yaml

PROTOCOLS = Path(__file__).resolve().parents[2] / "protocols"
STUDY = "mini-crossover"
ERROR_KEYS = {"code", "status", "message", "field", "errors"}

MINI_PARALLEL = """
key: mini-parallel
title: Minimal parallel
timezone: Europe/Paris
design: parallel
sites: [PAR, LYO]
arms: [{key: ketamine}, {key: placebo}, {key: low_dose}]
anchors: [{key: surgery}]
daily_diary: {anchor: surgery, from_day: -7, to_day: 42}
"""


@pytest.fixture
def admin(api):
    return api.create_admin()


def _sha(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def _amended(source: str, label: str) -> str:
    """The same protocol with a version label and a title of its own (a new file)."""
    return source.replace("title: Minimal crossover",
                          f'version: "{label}"\ntitle: Minimal crossover, amendment {label}')


def _upgrade(api, token, source, key=STUDY):
    return api.upload(token, source, url=f"/api/v1/studies/{key}/versions")


# --- creating studies ---------------------------------------------------------------------

@pytest.mark.parametrize("path", sorted(PROTOCOLS.glob("*.yaml")), ids=lambda p: p.name)
def test_a_study_is_created_from_each_shipped_protocol_file(api, admin, path):
    text = path.read_text(encoding="utf-8")
    declared = yaml.safe_load(text)
    r = api.upload(admin, text)
    assert r.status_code == 201, r.json
    study = r.json
    assert (study["key"], study["title"], study["design"], study["timezone"]) == (
        declared["key"], declared["title"], declared["design"], declared["timezone"])
    assert study["sites"] == declared.get("sites", [])
    assert study["current_version"] == 1
    assert [(v["version"], v["label"], v["sha256"]) for v in study["versions"]] == [
        (1, str(declared.get("version", "")), hashlib.sha256(path.read_bytes()).hexdigest())]
    stored = api.c.get(f"/api/v1/studies/{study['key']}/versions/1", headers=api.bearer(admin))
    assert stored.json["source"].encode("utf-8") == path.read_bytes()


def test_a_created_study_describes_its_design(api, admin, crossover_source):
    r = api.upload(admin, crossover_source)
    assert r.status_code == 201
    assert {k: r.json[k] for k in ("key", "design", "sites", "arms", "sequences", "anchors")} == {
        "key": STUDY, "design": "crossover", "sites": ["PAR", "LYO"], "arms": [],
        "sequences": {"KP": ["K", "P"], "PK": ["P", "K"]}, "anchors": ["infusion"]}


INVALID = [
    pytest.param("window: {open: -P1D, close: P1D}", "window: {open: P0D, close: -P1D}",
                 {"assessments[0].window": ["closes before it opens"]},
                 id="window closes before it opens"),
    pytest.param("timezone: Europe/Paris", "timezone: Europe/Atlantis",
                 {"timezone": ["unknown IANA time zone 'Europe/Atlantis' (e.g. Europe/Paris)"]},
                 id="unknown time zone"),
    pytest.param("{key: PK, treatments: [P, K]}", "{key: PK, treatments: [P, X]}",
                 {"sequences[1].treatments[1]": ["unknown treatment 'X'"]},
                 id="sequence with an unknown treatment"),
    pytest.param("to_day: 35", "to_day: -8",
                 {"daily_diary.to_day": ["must not be before from_day"]},
                 id="diary ends before it starts"),
    pytest.param("design: crossover", "design: crossover\ncolour: blue",
                 {"colour": ["unknown field"]}, id="unknown field"),
    pytest.param("timezone: Europe/Paris\ndesign: crossover",
                 "timezone: Europe/Atlantis\ndesign: parallel",
                 {"timezone": ["unknown IANA time zone 'Europe/Atlantis' (e.g. Europe/Paris)"],
                  "arms": ["a parallel design needs at least two arms"],
                  "sequences": ["only a crossover design has treatments and sequences"],
                  "anchors[0].per_period": ["only a crossover design has periods"]},
                 id="every mistake at once"),
]


@pytest.mark.parametrize(("old", "new", "errors"), INVALID)
def test_an_invalid_protocol_is_refused_with_each_path_and_rule(api, admin, crossover_source,
                                                                old, new, errors):
    assert old in crossover_source
    r = api.upload(admin, crossover_source.replace(old, new))
    assert r.status_code == 422
    assert (r.json["code"], r.json["field"], r.json["status"]) == ("invalid_protocol",
                                                                   "protocol", 422)
    assert r.json["errors"] == errors
    first_path, [first_rule] = next(iter(errors.items()))
    assert f"{first_path}: {first_rule}" in r.json["message"]
    assert api.c.get("/api/v1/studies", headers=api.bearer(admin)).json == []


@pytest.mark.parametrize(("source", "rule_starts"), [
    # The upload's file name (api.upload sends protocol.yaml), line and column.
    ("key: [unclosed", "protocol.yaml, line 1, column 15: not valid YAML"),
    ("", "must be a mapping"),
    ("- just\n- a list\n", "must be a mapping"),
])
def test_a_file_that_is_not_a_protocol_mapping_is_reported_under_protocol(api, admin, source,
                                                                           rule_starts):
    r = api.upload(admin, source)
    assert (r.status_code, r.json["code"]) == (422, "invalid_protocol")
    assert list(r.json["errors"]) == ["protocol"]
    assert r.json["errors"]["protocol"][0].startswith(rule_starts)


def test_an_upload_without_the_protocol_field_is_refused(api, admin):
    r = api.c.post("/api/v1/studies", headers=api.bearer(admin),
                   content_type="multipart/form-data", data={})
    assert (r.status_code, r.json["code"], r.json["field"]) == (422, "validation_error",
                                                                "protocol")


def test_a_protocol_file_that_is_not_utf8_is_refused(api, admin, crossover_source):
    latin1 = crossover_source.replace("Minimal", "Étude minimale").encode("latin-1")
    r = api.c.post("/api/v1/studies", headers=api.bearer(admin),
                   content_type="multipart/form-data",
                   data={"protocol": (io.BytesIO(latin1), "protocol.yaml")})
    assert (r.status_code, r.json["field"]) == (422, "protocol")
    assert "UTF-8" in r.json["message"]


def test_a_second_study_with_the_same_key_is_a_conflict(api, admin, crossover_source):
    api.create_study(admin, crossover_source)
    r = api.upload(admin, crossover_source.replace("Minimal crossover", "Another title"))
    assert (r.status_code, r.json["code"], r.json["field"]) == (409, "conflict", "protocol")
    assert "upload a new protocol version" in r.json["message"]


# --- protocol versions --------------------------------------------------------------------

def test_an_upgrade_stores_version_2_with_its_sha256_and_keeps_version_1_byte_for_byte(
        api, admin, crossover_source):
    # CRLF line ends and a non-ASCII title: what is stored is the file, not a re-rendering.
    original = crossover_source.replace("Minimal crossover", "Étude croisée").replace("\n", "\r\n")
    amended = _amended(crossover_source, "1.1")
    api.create_study(admin, original)
    r = _upgrade(api, admin, amended)
    assert r.status_code == 201, r.json
    assert r.json["current_version"] == 2
    assert r.json["title"] == "Minimal crossover, amendment 1.1"
    h = api.bearer(admin)
    v1 = api.c.get(f"/api/v1/studies/{STUDY}/versions/1", headers=h).json
    v2 = api.c.get(f"/api/v1/studies/{STUDY}/versions/2", headers=h).json
    assert v1["source"].encode("utf-8") == original.encode("utf-8")
    assert (v1["sha256"], v1["label"]) == (hashlib.sha256(original.encode("utf-8")).hexdigest(),
                                           "")
    assert (v2["source"], v2["sha256"], v2["label"]) == (amended, _sha(amended), "1.1")
    missing = api.c.get(f"/api/v1/studies/{STUDY}/versions/3", headers=h)
    assert (missing.status_code, missing.json["code"]) == (404, "not_found")


def test_the_study_detail_lists_every_version_it_had(api, admin, crossover_source, clock):
    api.create_study(admin, crossover_source)
    sources = [crossover_source]
    for label in ("1.1", "2.0"):
        clock.advance(timedelta(days=30))
        admin = api.login("admin@site.org", "correct horse battery")  # tokens last 12 h
        sources.append(_amended(crossover_source, label))
        assert _upgrade(api, admin, sources[-1]).status_code == 201
    detail = api.c.get(f"/api/v1/studies/{STUDY}", headers=api.bearer(admin)).json
    assert detail["current_version"] == 3
    assert [(v["version"], v["label"], v["sha256"], v["loaded_at"])
            for v in detail["versions"]] == [
        (1, "", _sha(sources[0]), "2027-03-01T17:00:00+00:00"),
        (2, "1.1", _sha(sources[1]), "2027-03-31T17:00:00+00:00"),   # + 30 days
        (3, "2.0", _sha(sources[2]), "2027-04-30T17:00:00+00:00"),   # + 60 days
    ]
    assert detail["created_at"] == "2027-03-01T17:00:00+00:00"


@pytest.mark.parametrize("again", ["the current version", "an earlier version"])
def test_uploading_a_file_identical_to_a_stored_version_is_a_conflict(api, admin,
                                                                      crossover_source, again):
    api.create_study(admin, crossover_source)
    if again == "an earlier version":
        assert _upgrade(api, admin, _amended(crossover_source, "1.1")).status_code == 201
    r = _upgrade(api, admin, crossover_source)
    assert (r.status_code, r.json["code"], r.json["field"]) == (409, "conflict", "protocol")
    assert "identical to version 1" in r.json["message"]


def test_an_upgrade_for_another_study_key_is_refused(api, admin, crossover_source):
    api.create_study(admin, crossover_source)
    other = crossover_source.replace(f"key: {STUDY}", "key: other-crossover")
    r = _upgrade(api, admin, other)
    assert (r.status_code, r.json["field"]) == (422, "protocol")
    assert "'other-crossover', not 'mini-crossover'" in r.json["message"]


def test_an_invalid_upgrade_is_refused_like_an_invalid_study(api, admin, crossover_source):
    api.create_study(admin, crossover_source)
    r = _upgrade(api, admin, crossover_source.replace("to_day: 35", "to_day: -8"))
    assert (r.status_code, r.json["code"]) == (422, "invalid_protocol")
    assert r.json["errors"] == {"daily_diary.to_day": ["must not be before from_day"]}


def test_an_upgrade_of_a_study_that_does_not_exist_is_404(api, admin, crossover_source):
    r = _upgrade(api, admin, crossover_source)
    assert (r.status_code, r.json["code"]) == (404, "not_found")


CROSSOVER_IN_USE = {"subject_id": "S001", "site": "LYO", "sequence": "PK"}
IN_USE = [
    # (base, enrolment, text replaced, replacement, what the refusal names)
    pytest.param("crossover", CROSSOVER_IN_USE,
                 "sequences: [{key: KP, treatments: [K, P]}, {key: PK, treatments: [P, K]}]",
                 "sequences: [{key: KP, treatments: [K, P]}]",
                 "sequence 'PK' has participants", id="a sequence"),
    pytest.param("crossover", CROSSOVER_IN_USE, "sites: [PAR, LYO]", "sites: [PAR]",
                 "site 'LYO' has participants", id="a site"),
    pytest.param("crossover", CROSSOVER_IN_USE, "infusion", "dose",
                 "anchor 'infusion' has recorded events", id="an anchor with events"),
    pytest.param("parallel", {"subject_id": "S001", "site": "PAR", "arm": "low_dose"},
                 "{key: low_dose}", "{key: active_placebo}",
                 "arm 'low_dose' has participants", id="an arm"),
]


@pytest.mark.parametrize(("base", "enrolment", "old", "new", "names"), IN_USE)
def test_an_upgrade_removing_something_in_use_is_refused_and_names_it(
        api, admin, crossover_source, base, enrolment, old, new, names):
    source = crossover_source if base == "crossover" else MINI_PARALLEL
    key = api.create_study(admin, source)
    api.enrol(admin, key, **enrolment)
    if base == "crossover":
        assert api.event(admin, key, "S001", type="infusion", period=1,
                         occurred_at="2027-03-01T08:00:00+00:00").status_code == 201
    r = _upgrade(api, admin, source.replace(old, new), key=key)
    assert (r.status_code, r.json["field"]) == (422, "protocol")
    assert names in r.json["message"]
    detail = api.c.get(f"/api/v1/studies/{key}", headers=api.bearer(admin)).json
    assert [v["version"] for v in detail["versions"]] == [1]


@pytest.mark.parametrize(("old", "new"), [
    ("sites: [PAR, LYO]", "sites: [LYO]"),
    ("{key: KP, treatments: [K, P]}, {key: PK", "{key: PK"),
], ids=["an unused site", "an unused sequence"])
def test_an_upgrade_may_remove_what_nobody_uses(api, admin, crossover_source, old, new):
    api.create_study(admin, crossover_source)
    api.enrol(admin, STUDY, **CROSSOVER_IN_USE)
    r = _upgrade(api, admin, crossover_source.replace(old, new))
    assert r.status_code == 201, r.json


# --- the API's contract ---------------------------------------------------------------

PUBLIC_OPERATIONS = {("post", "/api/v1/auth/login"), ("post", "/api/v1/participant/activate"),
                     ("get", "/api/v1/health"),
                     ("get", "/fhir/metadata")}  # FHIR clients read the CapabilityStatement first


def _openapi_path(rule: str) -> str:
    return re.sub(r"<(?:[a-z]+:)?([a-z_]+)>", r"{\1}", rule)


def test_the_openapi_document_lists_every_route_of_the_api(app, client):
    spec = client.get("/api/openapi.json").json
    routes = {(_openapi_path(rule.rule), method.lower())
              for rule in app.url_map.iter_rules() if rule.rule.startswith(("/api/v1/", "/fhir/"))
              for method in rule.methods - {"HEAD", "OPTIONS"}}
    documented = {(path, method) for path, ops in spec["paths"].items() for method in ops
                  if method != "parameters"}
    assert documented == routes


def test_the_openapi_document_declares_bearer_auth_on_every_protected_operation(client):
    spec = client.get("/api/openapi.json").json
    assert spec["openapi"].startswith("3.")
    scheme = spec["components"]["securitySchemes"]["bearerAuth"]
    assert (scheme["type"], scheme["scheme"]) == ("http", "bearer")
    for path, ops in spec["paths"].items():
        for method, op in ops.items():
            if method == "parameters":
                continue
            expected = None if (method, path) in PUBLIC_OPERATIONS else [{"bearerAuth": []}]
            assert op.get("security") == expected, (method, path)
            assert op.get("summary"), (method, path)


@pytest.mark.parametrize(("method", "url", "allowed"), [
    ("DELETE", "/api/v1/studies", {"GET", "HEAD", "OPTIONS", "POST"}),
    ("GET", "/api/v1/auth/login", {"OPTIONS", "POST"}),
    ("PUT", "/api/v1/me/diary-entries", {"GET", "HEAD", "OPTIONS", "POST"}),
    ("POST", "/api/v1/studies/mini-crossover/roles", {"OPTIONS", "PUT"}),
])
def test_a_wrong_method_is_405_with_an_allow_header_and_the_error_shape(client, method, url,
                                                                        allowed):
    r = client.open(url, method=method)
    assert r.status_code == 405
    assert set(r.headers["Allow"].split(", ")) == allowed
    assert r.is_json and set(r.json) == ERROR_KEYS
    assert (r.json["code"], r.json["status"], r.json["field"], r.json["errors"]) == (
        "method_not_allowed", 405, None, {})


@pytest.mark.parametrize("url", ["/api/v1/nothing-here", "/api/v1/studies/x/y/z/w",
                                 "/api/v2/studies"])
def test_an_unknown_url_is_a_json_404(client, url):
    r = client.get(url)
    assert r.status_code == 404
    assert r.is_json and set(r.json) == ERROR_KEYS
    assert (r.json["code"], r.json["status"]) == ("not_found", 404)


def test_a_validation_error_has_the_same_shape(api, admin):
    r = api.c.post("/api/v1/accounts", headers=api.bearer(admin),
                   json={"email": "not an email", "password": "long enough pass"})
    assert r.status_code == 422 and set(r.json) == ERROR_KEYS
    assert (r.json["code"], r.json["field"]) == ("validation_error", "email")
    assert r.json["errors"] == {"email": ["Not a valid email address."]}


@pytest.mark.parametrize("flag", [0, 1, "true", "yes", None])
def test_the_administrator_flag_takes_only_json_booleans(api, flag):
    admin = api.create_admin()
    r = api.c.post("/api/v1/accounts", headers=api.bearer(admin),
                   json={"email": "new@site.org", "password": "long enough pass",
                         "is_superuser": flag})
    assert (r.status_code, r.json["field"]) == (422, "is_superuser")
