"""Site limits on every object a request names (issue 17), not only the participant.

A coordinator limited to PAR names objects of LYO (a screening number, an event, an
entry, a medication, an adverse event, a questionnaire response, an alert) through a
PAR participant's routes or the study's: each answers exactly as an object that does not
exist (404, or the 422 of an unknown screening, never the other site's result), and
nothing changes at either site. A LYO participant's own routes answer 404 for every
endpoint: tests/e2e/test_authorization.py (test_a_participant_at_another_site_...).
"""

from __future__ import annotations

import uuid

import pytest

from tests.conftest import MINIMAL_CROSSOVER

STUDY = "mini-crossover"
SCREENED = MINIMAL_CROSSOVER + """
screening:
  - {instrument: dn4, scale: total, op: ">", value: 4}
endpoints:
  - {key: pain_d7, kind: timepoint, day: 7}
"""
P = f"/api/v1/studies/{STUDY}/participants"
UNKNOWN = "00000000-0000-4000-8000-00000000dead"


def dn4(yes: int) -> dict:
    return {f"dn4_{n}": int(n <= yes) for n in range(1, 11)}


def _ok(r, status=201):
    assert r.status_code == status, r.json
    return r.json


@pytest.fixture
def world(api):
    """P-PAR at PAR and P-LYO at LYO, each with a screening, an event, an entry, a
    medication, an adverse event (LYO's serious: an alert) and a questionnaire response;
    two unused LYO screenings (one failed, one passed); a coordinator limited to PAR."""
    admin = api.create_admin()
    api.create_study(admin, SCREENED)
    ah = api.bearer(admin)
    ids = {}
    for number, site, yes in (("SCR-PAR", "PAR", 6), ("SCR-LYO", "LYO", 6),
                              ("SCR-LYO-FAIL", "LYO", 2), ("SCR-LYO-PASS", "LYO", 7)):
        _ok(api.c.post(f"/api/v1/studies/{STUDY}/screenings", headers=ah, json={
            "screening_number": number, "site": site, "instrument": "dn4",
            "answers": dn4(yes)}))
    for subject, site in (("P-PAR", "PAR"), ("P-LYO", "LYO")):
        code = api.enrol(admin, STUDY, subject_id=subject, site=site, sequence="KP",
                         screening_number=f"SCR-{site}")["activation_code"]
        device = api.bearer(api.activate(code))
        mine = ids.setdefault(site, {})
        mine["event"] = _ok(api.event(admin, STUDY, subject, type="infusion", period=1,
                                      occurred_at="2027-03-01T08:00:00+00:00"))["id"]
        mine["entry"] = _ok(api.entry(device.get("Authorization")[7:], "2027-03-01", 4))["id"]
        mine["medication"] = _ok(api.c.post("/api/v1/me/medications", headers=device, json={
            "drug": "paracetamol", "dose": "1", "unit": "g", "route": "oral",
            "taken_at": "2027-03-01T17:30:00+01:00", "client_id": str(uuid.uuid4())}))["id"]
        mine["adverse_event"] = _ok(api.c.post(f"{P}/{subject}/adverse-events", headers=ah, json={
            "term": "Nausea", "onset": "2027-03-01", "severity": "severe",
            "serious": site == "LYO", "relatedness": "possible",
            "client_id": str(uuid.uuid4())}))["id"]
        mine["response"] = _ok(api.c.post(
            f"{P}/{subject}/questionnaire-responses", headers=ah, json={
                "instrument": "pgic", "answers": {"pgic": 2}, "source": "phone",
                "reason": "asked by phone", "administered_at": "2027-03-01T17:30:00+01:00",
                "client_id": str(uuid.uuid4())}))["id"]
    alerts = _ok(api.c.get(f"/api/v1/studies/{STUDY}/alerts?subject_id=P-LYO", headers=ah), 200)
    ids["LYO"]["alert"] = alerts["items"][0]["id"]
    paris = api.staff(admin, "paris@site.org", "coordinator", STUDY, sites=["PAR"])
    return {"admin": admin, "paris": paris, "ids": ids}


def _state(api, world) -> dict:
    """Everything either site holds, as the study's administrator sees it."""
    ah = api.bearer(world["admin"])
    state = {}
    for subject in ("P-PAR", "P-LYO"):
        for part in ("", "/events", "/entries", "/medications", "/adverse-events",
                     "/side-effects", "/questionnaire-responses"):
            state[subject, part] = api.c.get(f"{P}/{subject}{part}", headers=ah).json
    for listing in ("screenings", "alerts", "participants"):
        state[listing] = api.c.get(f"/api/v1/studies/{STUDY}/{listing}", headers=ah).json
    return state


def _correction(kind: str, corrects: str) -> tuple[str, dict]:
    """A PAR participant's route and a correction body naming ``corrects``."""
    base = {"client_id": str(uuid.uuid4()), "corrects": corrects, "reason": "typo"}
    if kind == "entry":
        return "/diary-entries", {**base, "diary_date": "2027-03-01", "score": 5,
                                  "source": "paper"}
    if kind == "medication":
        return "/medications", {**base, "drug": "paracetamol", "dose": "1", "unit": "g",
                                "route": "oral", "taken_at": "2027-03-01T17:30:00+01:00"}
    if kind == "adverse_event":
        return "/adverse-events", {**base, "term": "Nausea", "onset": "2027-03-01",
                                   "severity": "mild", "serious": False,
                                   "relatedness": "possible"}
    return "/questionnaire-responses", {**base, "instrument": "pgic", "answers": {"pgic": 3},
                                        "source": "phone",
                                        "administered_at": "2027-03-01T17:40:00+01:00"}


EVENT_CALLS = [
    ("GET", "", None),
    ("POST", "/confirmation", {"occurred_at": "2027-03-01T08:00:00+00:00"}),
    ("POST", "/rescheduling", {"planned_date": "2027-03-20", "reason": "list moved"}),
    ("POST", "/cancellation", {"reason": "not needed"}),
    ("POST", "/corrections", {"occurred_at": "2027-03-01T09:00:00+00:00", "reason": "typo"}),
]


def _request(kind: str, tail: str, named: str):
    """(method, url, body) of one call naming the object ``named``."""
    if kind == "event":
        method, suffix, body = next(c for c in EVENT_CALLS if c[1] == tail)
        return method, f"{P}/P-PAR/events/{named}{suffix}", body
    if kind == "alert":
        return "POST", f"/api/v1/studies/{STUDY}/alerts/{named}/acknowledgement", None
    path, body = _correction(kind, named)
    return "POST", f"{P}/P-PAR{path}", body


MATRIX = [pytest.param("event", tail, id=f"event {tail or 'read'}") for _, tail, _ in
          EVENT_CALLS] + [
    pytest.param(kind, "", id=f"{kind} correction")
    for kind in ("entry", "medication", "adverse_event", "response")] + [
    pytest.param("alert", "", id="alert acknowledgement")]


@pytest.mark.parametrize(("kind", "tail"), MATRIX)
def test_an_object_of_another_site_answers_as_one_that_does_not_exist(api, world, kind, tail):
    h = api.bearer(world["paris"])
    before = _state(api, world)
    lyo = world["ids"]["LYO"][kind]
    method, url, body = _request(kind, tail, lyo)
    hidden = api.c.open(url, method=method, headers=h, json=body)
    method, url, body = _request(kind, tail, UNKNOWN)
    unknown = api.c.open(url, method=method, headers=h, json=body)
    assert hidden.status_code == unknown.status_code == 404, (hidden.json, unknown.json)
    assert hidden.json == {**unknown.json,
                           "message": unknown.json["message"].replace(UNKNOWN, lyo)}
    assert _state(api, world) == before


@pytest.mark.parametrize(("kind", "tail"), MATRIX)
def test_the_same_call_on_the_own_sites_object_passes_the_site_check(api, world, kind, tail):
    """The matrix above is not 404 for every reason: PAR's own objects pass the check."""
    method, url, body = _request(kind, tail, world["ids"]["PAR"].get(kind, UNKNOWN))
    r = api.c.open(url, method=method, headers=api.bearer(world["paris"]), json=body)
    if kind == "alert":  # PAR's adverse event was not serious: no alert to name
        assert r.status_code == 404
    else:
        assert r.status_code != 404, r.json


# --- screening numbers ------------------------------------------------------------------

def _enrol(api, token, number, **extra):
    return api.c.post(P, headers=api.bearer(token), json={
        "subject_id": "P-NEW", "site": "PAR", "sequence": "PK", "screening_number": number,
        **extra})


@pytest.mark.parametrize("number", ["SCR-LYO-FAIL", "SCR-LYO-PASS"])
def test_enrolment_with_another_sites_screening_answers_as_an_unknown_number(api, world,
                                                                            number):
    before = _state(api, world)
    hidden = _enrol(api, world["paris"], number)
    unknown = _enrol(api, world["paris"], "SCR-NONE")
    assert hidden.status_code == unknown.status_code == 422
    assert hidden.json == {**unknown.json,
                           "message": unknown.json["message"].replace("SCR-NONE", number)}
    assert "score" not in hidden.json["message"] and "not met" not in hidden.json["message"]
    assert _state(api, world) == before


def test_an_override_does_not_attach_another_sites_screening(api, world):
    r = _enrol(api, world["paris"], "SCR-LYO-FAIL", screening_override="retested by phone")
    assert r.status_code == 201, r.json
    listing = api.c.get(f"/api/v1/studies/{STUDY}/screenings",
                        headers=api.bearer(world["admin"])).json
    assert {s["screening_number"]: s["enrolled"] for s in listing}["SCR-LYO-FAIL"] is False


def test_a_screening_used_at_another_site_is_not_named_either(api, world):
    """SCR-LYO belongs to P-LYO: the 409 "belongs to an enrolled participant" would say so."""
    hidden = _enrol(api, world["paris"], "SCR-LYO")
    unknown = _enrol(api, world["paris"], "SCR-NONE")
    assert (hidden.status_code, hidden.json["code"]) == (unknown.status_code,
                                                         unknown.json["code"])


def test_an_all_sites_coordinator_also_enrols_only_with_the_sites_own_screening(api, world):
    r = _enrol(api, world["admin"], "SCR-LYO-PASS")
    assert (r.status_code, r.json["field"]) == (422, "screening_number")


# --- listings and exports -----------------------------------------------------------------

@pytest.mark.parametrize("url", [
    f"/api/v1/studies/{STUDY}/screenings",
    f"/api/v1/studies/{STUDY}/alerts",
    f"/api/v1/studies/{STUDY}/alerts?subject_id=P-LYO",
    f"/api/v1/studies/{STUDY}/reminders",
    f"/api/v1/studies/{STUDY}/reminders?subject_id=P-LYO",
    f"/api/v1/studies/{STUDY}/participants",
    f"/api/v1/studies/{STUDY}/endpoints?format=csv",
])
def test_listings_and_exports_hold_nothing_of_another_site(api, world, url):
    r = api.c.get(url, headers=api.bearer(world["paris"]))
    assert r.status_code == 200, r.json
    text = r.get_data(as_text=True)
    assert "LYO" not in text, text[:500]
    everything = api.c.get(url, headers=api.bearer(world["admin"])).get_data(as_text=True)
    if "subject_id=P-LYO" not in url:
        assert "LYO" in everything  # the admin sees it: the filter, not an empty study
