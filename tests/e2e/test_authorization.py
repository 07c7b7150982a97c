"""The authorization matrix: who may read and change what.

Roles (diary/services/principals.py): superusers (created by the CLI) create studies and
accounts; per study, ``admin`` > ``coordinator`` (enrols, records events) > ``viewer``
(read-only), each optionally limited to sites. A study one has no role in answers 404,
exactly as a study that does not exist; a participant's token only opens ``/me``.
Token expiry, activation codes and the login lockout: tests/e2e/test_tokens_and_codes.py.
"""

from __future__ import annotations

import io

import pytest

STUDY, OTHER = "mini-crossover", "other-crossover"
P = "/api/v1/studies/{study}/participants/{subject}"
UPLOAD = object()  # body marker: a multipart protocol upload

# Every endpoint behind a bearer token, with a body the endpoint would accept.
STAFF_ENDPOINTS = [
    ("GET", "/api/v1/studies", None),
    ("POST", "/api/v1/studies", UPLOAD),
    ("GET", "/api/v1/studies/{study}", None),
    ("POST", "/api/v1/studies/{study}/versions", UPLOAD),
    ("GET", "/api/v1/studies/{study}/versions/1", None),
    ("PUT", "/api/v1/studies/{study}/roles", {"email": "someone@site.org", "role": "viewer"}),
    ("POST", "/api/v1/accounts", {"email": "new@site.org", "password": "long enough pass"}),
    # taking access back: tests/e2e/test_sessions.py
    ("GET", "/api/v1/accounts", None),
    ("POST", "/api/v1/auth/password",
     {"current_password": "not my password", "new_password": "a brand new passphrase"}),
    ("POST", "/api/v1/accounts/2/disabling", {"reason": "left the team"}),
    ("POST", "/api/v1/accounts/2/enabling", {"reason": "back again"}),
    ("POST", "/api/v1/accounts/2/password-reset", {"new_password": "a brand new passphrase"}),
    ("POST", "/api/v1/accounts/2/token-revocation", {}),
    ("POST", P + "/device-revocation", {"reason": "phone lost"}),
    ("GET", "/api/v1/studies/{study}/participants", None),
    ("POST", "/api/v1/studies/{study}/participants",
     {"subject_id": "S900", "site": "PAR", "sequence": "KP"}),
    ("GET", P, None),
    ("POST", P + "/activation-code", None),
    ("GET", P + "/events", None),
    ("POST", P + "/events",
     {"type": "infusion", "period": 1, "occurred_at": "2027-03-01T08:00:00+00:00"}),
    # planning, confirming, moving and correcting events: tests/e2e/test_planned_anchors.py
    ("GET", P + "/events/no-such-event", None),
    ("POST", P + "/events/no-such-event/confirmation",
     {"occurred_at": "2027-03-01T08:00:00+00:00"}),
    ("POST", P + "/events/no-such-event/rescheduling",
     {"planned_date": "2027-03-20", "reason": "theatre list moved"}),
    ("POST", P + "/events/no-such-event/cancellation", {"reason": "not needed"}),
    ("POST", P + "/events/no-such-event/corrections",
     {"occurred_at": "2027-03-01T08:00:00+00:00", "reason": "typo"}),
    ("GET", P + "/schedule", None),
    ("POST", P + "/withdrawal", {"reason": "moved away"}),
    # reminder times: tests/e2e/test_reminder_times.py
    ("PUT", P + "/reminder-time", {"reminder_time": "19:00"}),
    # languages: tests/e2e/test_participant_languages.py
    ("PUT", P + "/language", {"language": "en"}),
    ("GET", P + "/entries", None),
    # roles per layout and format: tests/e2e/test_endpoint_export.py
    ("GET", "/api/v1/studies/{study}/endpoints", None),
    # the audit trail for an inspector: tests/e2e/test_audit_export.py
    ("GET", "/api/v1/studies/{study}/audit-trail", None),
    # background exports: reading, as the endpoint above (viewers too); tests in
    # tests/e2e/test_export_jobs.py
    ("GET", "/api/v1/studies/{study}/export-jobs", None),
    ("POST", "/api/v1/studies/{study}/export-jobs", {"layout": "wide", "format": "csv"}),
    ("GET", "/api/v1/studies/{study}/export-jobs/no-such-job", None),
    ("GET", "/api/v1/studies/{study}/export-jobs/no-such-job/file", None),
    ("GET", "/api/v1/studies/{study}/versions/1/diff/1", None),
    # screening and responses: tests/e2e/test_questionnaires.py
    ("GET", "/api/v1/studies/{study}/screenings", None),
    ("POST", "/api/v1/studies/{study}/screenings",
     {"screening_number": "X1", "site": "PAR", "instrument": "dn4", "answers": {}}),
    ("GET", P + "/questionnaire-responses", None),
    # staff entry for a participant: tests/e2e/test_staff_entry.py
    ("POST", P + "/questionnaire-responses",
     {"instrument": "pgic", "answers": {"pgic": 2}, "source": "phone",
      "reason": "asked by phone", "administered_at": "2027-03-01T17:30:00+01:00",
      "client_id": "9b1f2a4e-0000-4000-8000-000000000007"}),
    ("POST", P + "/diary-entries",
     {"diary_date": "2027-03-01", "score": 5, "source": "paper", "reason": "paper diary",
      "client_id": "9b1f2a4e-0000-4000-8000-000000000008"}),
    ("GET", P + "/fhir-bundle", None),
    # reminders and alerts: tests/e2e/test_reminders.py
    ("GET", "/api/v1/studies/{study}/reminders", None),
    ("GET", "/api/v1/studies/{study}/alerts", None),
    ("POST", "/api/v1/studies/{study}/alerts/no-such-alert/acknowledgement", None),
    # medication and side-effect diaries: tests/e2e/test_medications.py, test_side_effects.py
    ("GET", P + "/medications", None),
    ("POST", P + "/medications",
     {"drug": "oxycodone", "dose": 5, "unit": "mg", "route": "oral", "rescue": True,
      "taken_at": "2027-03-01T18:00:00+01:00",
      "client_id": "9b1f2a4e-0000-4000-8000-000000000003"}),
    ("GET", P + "/side-effects", None),
    ("GET", P + "/adverse-events", None),
    ("POST", P + "/adverse-events",
     {"term": "Nausea", "onset": "2027-03-01", "severity": "mild", "serious": False,
      "relatedness": "possible", "client_id": "9b1f2a4e-0000-4000-8000-000000000004"}),
    # allocation lists and unblinding (unblinded study admins): tests/e2e/test_blinding.py
    ("GET", "/api/v1/studies/{study}/allocation-lists", None),
    ("POST", "/api/v1/studies/{study}/allocation-lists",
     {"rows": [{"number": 1, "sequence": "KP"}]}),
    ("POST", P + "/unblinding", {"reason": "serious adverse event, treating physician"}),
]
ME_ENDPOINTS = [
    ("GET", "/api/v1/me", None),
    ("GET", "/api/v1/me/tasks", None),
    ("PUT", "/api/v1/me/reminder-time", {"reminder_time": "19:00"}),
    ("PUT", "/api/v1/me/language", {"language": "en"}),
    ("GET", "/api/v1/me/diary-entries", None),
    ("POST", "/api/v1/me/diary-entries",
     {"diary_date": "2027-03-01", "score": 5, "client_id": "9b1f2a4e-0000-4000-8000-000000000001",
      "device_time": "2027-03-01T18:00:00+01:00"}),
    ("GET", "/api/v1/me/instruments/phq9", None),
    ("GET", "/api/v1/me/questionnaire-responses", None),
    ("POST", "/api/v1/me/questionnaire-responses",
     {"instrument": "pgic", "answers": {"pgic": 2},
      "client_id": "9b1f2a4e-0000-4000-8000-000000000002",
      "device_time": "2027-03-01T18:00:00+01:00"}),
    ("GET", "/api/v1/me/medication-drugs", None),
    ("GET", "/api/v1/me/medications", None),
    ("POST", "/api/v1/me/medications",
     {"drug": "paracetamol", "dose": "1", "unit": "g", "route": "oral",
      "taken_at": "2027-03-01T18:00:00+01:00",
      "client_id": "9b1f2a4e-0000-4000-8000-000000000005"}),
    ("GET", "/api/v1/me/side-effect-checklist", None),
    ("GET", "/api/v1/me/side-effects", None),
    ("POST", "/api/v1/me/side-effects",
     {"diary_date": "2027-03-01", "answers": {"nausea": "mild", "vomiting": 0,
                                              "dizziness": 0, "drowsiness": 0,
                                              "headache": 0, "hallucinations": 0,
                                              "vivid_dreams": 0, "dissociation": 0,
                                              "blurred_vision": 0, "injection_site_pain": 0},
      "client_id": "9b1f2a4e-0000-4000-8000-000000000006",
      "device_time": "2027-03-01T18:00:00+01:00"}),
]
# Instrument definitions and sign-out: any valid token, staff or participant.
ANY_TOKEN_ENDPOINTS = [
    ("GET", "/api/v1/instruments", None),
    ("GET", "/api/v1/instruments/phq9", None),
    ("POST", "/api/v1/auth/logout", None),
]
PUBLIC = {("GET", "/api/v1/health"), ("POST", "/api/v1/auth/login"),
          ("POST", "/api/v1/participant/activate")}


def _call(method: str, path: str) -> tuple:
    """The row of STAFF_ENDPOINTS for this method and path (with its body)."""
    return next(row for row in STAFF_ENDPOINTS if row[:2] == (method, path))


def _ids(table):
    return [f"{method} {path.replace(P, '.../participants/<subject>')}"
            for method, path, *_ in table]


def _send(api, method, path, body, headers, *, study=STUDY, subject="S002", source=""):
    url = path.format(study=study, subject=subject)
    if body is UPLOAD:
        return api.c.open(url, method=method, headers=headers,
                          content_type="multipart/form-data",
                          data={"protocol": (io.BytesIO(source.encode()), "protocol.yaml")})
    return api.c.open(url, method=method, headers=headers, json=body)


def _other_study(source: str) -> str:
    return source.replace(f"key: {STUDY}", f"key: {OTHER}")


def _upgraded(source: str) -> str:
    return source.replace("title: Minimal crossover", "title: Minimal crossover, amended")


def test_the_tables_below_cover_every_route_behind_a_token(app):
    routes = {(method, rule.rule.replace("<int:version>", "1").replace("<key>", "{study}")
               .replace("<subject_id>", "{subject}").replace("<instrument_id>", "phq9")
               .replace("<alert_id>", "no-such-alert").replace("<event_id>", "no-such-event")
               .replace("<int:account_id>", "2")
               .replace("<job_id>", "no-such-job").replace("<int:old>", "1")
               .replace("<int:new>", "1"))
              for rule in app.url_map.iter_rules() if rule.rule.startswith("/api/v1/")
              for method in rule.methods - {"HEAD", "OPTIONS"}}
    covered = {(method, path) for method, path, _ in
               STAFF_ENDPOINTS + ME_ENDPOINTS + ANY_TOKEN_ENDPOINTS}
    assert routes - PUBLIC == covered


# --- authentication -------------------------------------------------------------------

BAD_HEADERS = [
    pytest.param({}, id="no Authorization header"),
    pytest.param({"Authorization": "Basic YWRtaW46cGFzcw=="}, id="another scheme"),
    pytest.param({"Authorization": "Bearer"}, id="Bearer without a token"),
    pytest.param({"Authorization": "Bearer    "}, id="Bearer and blanks"),
    pytest.param({"Authorization": "bearer not-a-token-we-issued"}, id="unknown token"),
]


@pytest.mark.parametrize(("method", "path", "body"),
                         STAFF_ENDPOINTS + ME_ENDPOINTS + ANY_TOKEN_ENDPOINTS,
                         ids=_ids(STAFF_ENDPOINTS + ME_ENDPOINTS + ANY_TOKEN_ENDPOINTS))
def test_a_request_without_a_valid_bearer_token_is_401(api, crossover_source, method, path,
                                                       body):
    observed, expected = {}, {}
    for case in BAD_HEADERS:
        # The token is checked before the input: an invalid body is still a 401, not a 422.
        for given, payload in (("valid body", body), ("empty body", None if body is None
                                                      else {})):
            r = _send(api, method, path, payload, case.values[0], source=crossover_source)
            observed[case.id, given] = (r.status_code, r.json["code"],
                                        r.headers.get("WWW-Authenticate"))
            expected[case.id, given] = (401, "unauthorized", 'Bearer realm="paindiary"')
    assert observed == expected


# --- participants' devices ----------------------------------------------------------------

@pytest.fixture
def two_participants(api, crossover_source):
    """S001 and S002 in one study, each with its device token and one entry of its own."""
    admin = api.create_admin()
    api.create_study(admin, crossover_source)
    tokens = {}
    for subject, score in (("S001", 3), ("S002", 8)):
        code = api.enrol(admin, STUDY, subject_id=subject, site="PAR",
                         sequence="KP")["activation_code"]
        tokens[subject] = api.activate(code)
        assert api.entry(tokens[subject], "2027-03-01", score).status_code == 201
    return {"admin": admin, **tokens}


@pytest.mark.parametrize(("subject", "score"), [("S001", 3), ("S002", 8)])
def test_a_participant_sees_only_its_own_profile_and_entries(api, two_participants, subject,
                                                             score):
    h = api.bearer(two_participants[subject])
    assert api.c.get("/api/v1/me", headers=h).json["subject_id"] == subject
    entries = api.c.get("/api/v1/me/diary-entries", headers=h).json
    assert (entries["total"], [e["score"] for e in entries["items"]]) == (1, [score])
    assert api.c.get("/api/v1/me/tasks", headers=h).json["diary"]["done"] is True


@pytest.mark.parametrize(("method", "path", "body"), STAFF_ENDPOINTS, ids=_ids(STAFF_ENDPOINTS))
def test_a_participant_token_is_refused_on_every_coordinator_endpoint(
        api, two_participants, crossover_source, method, path, body):
    observed = {}
    for subject in ("S001", "S002"):  # its own record, and another participant's
        r = _send(api, method, path, body, api.bearer(two_participants["S001"]),
                  subject=subject, source=_upgraded(crossover_source))
        observed[subject] = (r.status_code, r.json["code"])
    assert observed == {"S001": (403, "forbidden"), "S002": (403, "forbidden")}


@pytest.mark.parametrize(("method", "path", "body"), ME_ENDPOINTS, ids=_ids(ME_ENDPOINTS))
def test_a_staff_token_is_refused_on_the_participants_endpoints(api, two_participants, method,
                                                                path, body):
    r = _send(api, method, path, body, api.bearer(two_participants["admin"]))
    assert (r.status_code, r.json["code"]) == (403, "forbidden")


# --- studies one has no role in -----------------------------------------------------------

STUDY_SCOPED = [row for row in STAFF_ENDPOINTS if "{study}" in row[1]]


@pytest.mark.parametrize(("method", "path", "body"), STUDY_SCOPED, ids=_ids(STUDY_SCOPED))
def test_a_study_without_a_role_in_it_answers_exactly_as_one_that_does_not_exist(
        api, crossover_source, method, path, body):
    admin = api.create_admin()
    api.create_study(admin, crossover_source)
    coordinator = api.staff(admin, "coord@a.org", "coordinator", STUDY)
    other = _other_study(crossover_source)
    h = api.bearer(coordinator)

    before = _send(api, method, path, body, h, study=OTHER, subject="S001",
                   source=_upgraded(other))
    api.create_study(admin, other)
    api.enrol(admin, OTHER, subject_id="S001", site="PAR", sequence="KP")
    after = _send(api, method, path, body, h, study=OTHER, subject="S001",
                  source=_upgraded(other))

    assert (before.status_code, after.status_code) == (404, 404)
    assert after.json == before.json
    # ... and nothing changed in the other study.
    ah = api.bearer(admin)
    detail = api.c.get(f"/api/v1/studies/{OTHER}", headers=ah).json
    assert [v["version"] for v in detail["versions"]] == [1]
    listing = api.c.get(f"/api/v1/studies/{OTHER}/participants", headers=ah).json
    assert [(p["subject_id"], p["status"]) for p in listing["items"]] == [("S001", "active")]
    assert api.c.get(f"/api/v1/studies/{OTHER}/participants/S001/events",
                     headers=ah).json == []


def test_the_study_list_shows_only_studies_with_a_role(api, crossover_source):
    admin = api.create_admin()
    api.create_study(admin, crossover_source)
    api.create_study(admin, _other_study(crossover_source))
    coordinator = api.staff(admin, "coord@a.org", "coordinator", STUDY)
    mine = api.c.get("/api/v1/studies", headers=api.bearer(coordinator)).json
    everything = api.c.get("/api/v1/studies", headers=api.bearer(admin)).json
    assert [s["key"] for s in mine] == [STUDY]
    assert [s["key"] for s in everything] == [STUDY, OTHER]  # a superuser sees all


# --- site-scoped coordinators -------------------------------------------------------------

@pytest.fixture
def sites(api, crossover_source):
    """P-PAR at PAR and P-LYO at LYO; a coordinator limited to PAR."""
    admin = api.create_admin()
    api.create_study(admin, crossover_source)
    for subject, site in (("P-PAR", "PAR"), ("P-LYO", "LYO")):
        api.enrol(admin, STUDY, subject_id=subject, site=site, sequence="KP")
    paris = api.staff(admin, "paris@site.org", "coordinator", STUDY, sites=["PAR"])
    return {"admin": admin, "paris": paris}


@pytest.mark.parametrize(("site", "status"), [("PAR", 201), ("LYO", 403)])
def test_a_site_scoped_coordinator_enrols_only_at_its_sites(api, sites, site, status):
    r = api.c.post(f"/api/v1/studies/{STUDY}/participants", headers=api.bearer(sites["paris"]),
                   json={"subject_id": "P-NEW", "site": site, "sequence": "PK"})
    assert r.status_code == status, r.json
    if status == 403:
        assert r.json["code"] == "forbidden" and "site LYO" in r.json["message"]


@pytest.mark.parametrize(("query", "subjects"), [
    ("", ["P-PAR"]),
    ("?site=PAR", ["P-PAR"]),
    ("?site=LYO", []),
])
def test_a_site_scoped_coordinator_lists_only_its_sites_participants(api, sites, query,
                                                                     subjects):
    r = api.c.get(f"/api/v1/studies/{STUDY}/participants{query}",
                  headers=api.bearer(sites["paris"]))
    assert [p["subject_id"] for p in r.json["items"]] == subjects
    assert r.json["total"] == len(subjects)


PARTICIPANT_SCOPED = [row for row in STAFF_ENDPOINTS if row[1].startswith(P)]


@pytest.mark.parametrize(("method", "path", "body"), PARTICIPANT_SCOPED,
                         ids=_ids(PARTICIPANT_SCOPED))
def test_a_participant_at_another_site_answers_as_an_unknown_subject(api, sites, method, path,
                                                                     body):
    h = api.bearer(sites["paris"])
    hidden = _send(api, method, path, body, h, subject="P-LYO")
    unknown = _send(api, method, path, body, h, subject="P-NONE")
    assert (hidden.status_code, unknown.status_code) == (404, 404)
    assert hidden.json == {**unknown.json,
                           "message": unknown.json["message"].replace("P-NONE", "P-LYO")}
    ah = api.bearer(sites["admin"])
    lyon = api.c.get(f"/api/v1/studies/{STUDY}/participants/P-LYO", headers=ah).json
    assert lyon["status"] == "active"
    assert api.c.get(f"/api/v1/studies/{STUDY}/participants/P-LYO/events", headers=ah).json == []


# --- viewers, coordinators, study admins, superusers -----------------------------------

@pytest.fixture
def staffed(api, crossover_source):
    """A study with S002 enrolled (activated, one entry) and one account per study role."""
    admin = api.create_admin()
    api.create_study(admin, crossover_source)
    code = api.enrol(admin, STUDY, subject_id="S002", site="PAR", sequence="KP")
    api.entry(api.activate(code["activation_code"]), "2027-03-01", 4)
    roles = {role: api.staff(admin, f"study-{role}@site.org", role, STUDY)
             for role in ("viewer", "coordinator", "admin")}
    api.c.post("/api/v1/accounts", headers=api.bearer(admin),
               json={"email": "someone@site.org", "password": "long enough pass"})
    return {"superuser": admin, **roles}


ROLES = ("viewer", "coordinator", "admin", "superuser")
MATRIX = [
    # what, the call, and the status for a viewer, a coordinator, a study admin, a superuser
    # (in this order: the writes on S002 come before its withdrawal)
    ("read the study", ("GET", "/api/v1/studies/{study}", None), (200, 200, 200, 200)),
    ("read version 1", ("GET", "/api/v1/studies/{study}/versions/1", None),
     (200, 200, 200, 200)),
    ("list participants", ("GET", "/api/v1/studies/{study}/participants", None),
     (200, 200, 200, 200)),
    ("read a participant", ("GET", P, None), (200, 200, 200, 200)),
    ("list events", ("GET", P + "/events", None), (200, 200, 200, 200)),
    ("list entries", ("GET", P + "/entries", None), (200, 200, 200, 200)),
    ("read the schedule", ("GET", P + "/schedule", None), (200, 200, 200, 200)),
    ("list reminders", ("GET", "/api/v1/studies/{study}/reminders", None),
     (200, 200, 200, 200)),
    ("list alerts", ("GET", "/api/v1/studies/{study}/alerts", None), (200, 200, 200, 200)),
    ("list medications", ("GET", P + "/medications", None), (200, 200, 200, 200)),
    ("list side effects", ("GET", P + "/side-effects", None), (200, 200, 200, 200)),
    ("list adverse events", ("GET", P + "/adverse-events", None), (200, 200, 200, 200)),
    ("enrol", _call("POST", "/api/v1/studies/{study}/participants"), (403, 201, 201, 201)),
    ("record an event", _call("POST", P + "/events"), (403, 201, 201, 201)),
    ("reissue the activation code", _call("POST", P + "/activation-code"), (403, 201, 201, 201)),
    ("record a medication", _call("POST", P + "/medications"), (403, 201, 201, 201)),
    ("record an adverse event", _call("POST", P + "/adverse-events"), (403, 201, 201, 201)),
    ("enter a questionnaire for a participant", _call("POST", P + "/questionnaire-responses"),
     (403, 201, 201, 201)),
    ("withdraw", _call("POST", P + "/withdrawal"), (403, 200, 200, 200)),
    ("upgrade the protocol", _call("POST", "/api/v1/studies/{study}/versions"),
     (403, 403, 201, 201)),
    ("grant a role", _call("PUT", "/api/v1/studies/{study}/roles"), (403, 403, 200, 200)),
    # Allocation needs the unblinded grant, which no one here holds (superusers neither).
    ("read the allocation list", _call("GET", "/api/v1/studies/{study}/allocation-lists"),
     (403, 403, 403, 403)),
    ("upload an allocation list", _call("POST", "/api/v1/studies/{study}/allocation-lists"),
     (403, 403, 403, 403)),
    ("unblind a participant", _call("POST", P + "/unblinding"), (403, 403, 403, 403)),
    ("create a study", _call("POST", "/api/v1/studies"), (403, 403, 403, 201)),
    ("create an account", _call("POST", "/api/v1/accounts"), (403, 403, 403, 201)),
]


@pytest.mark.parametrize("who", ROLES)
def test_each_role_may_do_exactly_what_its_level_allows(api, staffed, crossover_source, who):
    observed = {}
    for what, (method, path, body), _ in MATRIX:
        source = (_other_study(crossover_source) if path == "/api/v1/studies"
                  else _upgraded(crossover_source))
        r = _send(api, method, path, body, api.bearer(staffed[who]), source=source)
        observed[what] = r.status_code if r.status_code != 403 else (403, r.json["code"])
    column = ROLES.index(who)
    assert observed == {what: statuses[column] if statuses[column] != 403
                        else (403, "forbidden") for what, _, statuses in MATRIX}


# POSTs that only read: starting a background export (viewers export, as with GET .../endpoints)
READING_POSTS = {"/api/v1/studies/{study}/export-jobs"}


def test_a_refused_write_changes_nothing(api, staffed, crossover_source):
    h = api.bearer(staffed["viewer"])
    for method, path, body in STAFF_ENDPOINTS:
        if method != "GET" and path not in READING_POSTS:
            assert _send(api, method, path, body, h,
                         source=_upgraded(crossover_source)).status_code == 403
    sh = api.bearer(staffed["superuser"])
    s002 = api.c.get(f"/api/v1/studies/{STUDY}/participants/S002", headers=sh).json
    assert s002["status"] == "active"
    assert api.c.get(f"/api/v1/studies/{STUDY}/participants", headers=sh).json["total"] == 1
    assert api.c.get(f"/api/v1/studies/{STUDY}", headers=sh).json["current_version"] == 1
    assert api.c.get(f"/api/v1/studies/{STUDY}/participants/S002/events",
                     headers=sh).json == []
