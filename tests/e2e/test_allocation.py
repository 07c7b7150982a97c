"""Concealed allocation lists: only an unblinded study admin uploads and reads them;
enrolment takes the next free slot of the participant's stratum, in number order, never
the coordinator's choice; an exhausted list is a 409; racing enrolments never share a slot.
"""

from __future__ import annotations

import io
import threading
from concurrent.futures import ThreadPoolExecutor

import pytest
from sqlalchemy import func, select

from diary.db.allocation_models import AllocationSlot
from diary.db.audit_models import AuditRecord
from diary.db.models import Participant

STUDY = "list-crossover"
LISTED = """
key: list-crossover
title: Crossover randomised from a list
timezone: Europe/Paris
design: crossover
sites: [PAR, LYO]
treatments: [{key: K}, {key: P}]
sequences: [{key: KP, treatments: [K, P]}, {key: PK, treatments: [P, K]}]
anchors: [{key: infusion, per_period: true}]
randomisation: {method: list, stratify_by: [site]}
"""
PARALLEL = """
key: list-parallel
title: Parallel randomised from one list
timezone: Europe/Paris
design: parallel
sites: [PAR]
arms: [{key: active}, {key: placebo}]
randomisation: {method: list}
"""
LISTS = f"/api/v1/studies/{STUDY}/allocation-lists"
# PAR: numbers 1-3 (given out of order), LYO: 1-2.
ROWS = [{"number": 2, "site": "PAR", "sequence": "KP"},
        {"number": 1, "site": "PAR", "sequence": "PK"},
        {"number": 3, "site": "PAR", "sequence": "PK"},
        {"number": 1, "site": "LYO", "sequence": "KP"},
        {"number": 2, "site": "LYO", "sequence": "PK"}]


@pytest.fixture
def study(api):
    """The listed crossover; the superuser holds the unblinded grant, plus a blinded study
    admin and coordinator."""
    admin = api.create_admin()
    api.create_study(admin, LISTED)
    api.unblind(admin, STUDY)
    staff = {role: api.staff(admin, f"study-{role}@site.org", role, STUDY)
             for role in ("admin", "coordinator")}
    return {"unblinded": admin, "blinded admin": staff["admin"],
            "coordinator": staff["coordinator"]}


def _upload(api, token, rows=ROWS, url=LISTS):
    return api.c.post(url, headers=api.bearer(token), json={"rows": rows})


def _slots(api, token):
    r = api.c.get(LISTS, headers=api.bearer(token))
    assert r.status_code == 200, r.json
    return [(s["stratum"], s["number"], s["sequence"], s["subject_id"]) for s in r.json["items"]]


def _enrol(api, token, subject, site, **more):
    return api.c.post(f"/api/v1/studies/{STUDY}/participants", headers=api.bearer(token),
                      json={"subject_id": subject, "site": site, **more})


def _audit(app, action):
    with app.extensions["paindiary"].session_factory() as s:
        return [(r.actor, r.after, r.at) for r in s.scalars(
            select(AuditRecord).where(AuditRecord.action == action).order_by(AuditRecord.id))]


# --- who may upload and read ----------------------------------------------------------------

def test_the_study_says_how_it_blinds_and_allocates(api, study):
    detail = api.c.get(f"/api/v1/studies/{STUDY}", headers=api.bearer(study["coordinator"]))
    assert (detail.json["blinding"], detail.json["randomisation"]) == (
        "double", {"method": "list", "stratify_by": ["site"]})


@pytest.mark.parametrize("who", ["blinded admin", "coordinator"])
def test_only_an_unblinded_admin_uploads_or_reads_the_list(api, study, app, who):
    r = _upload(api, study[who])
    assert (r.status_code, r.json["code"]) == (403, "forbidden")
    assert ("unblinded grant" if who == "blinded admin" else "admin access") in r.json["message"]
    r = api.c.get(LISTS, headers=api.bearer(study[who]))
    assert (r.status_code, r.json["code"]) == (403, "forbidden")
    assert _slots(api, study["unblinded"]) == [] and _audit(app, "allocation_list.upload") == []


def test_an_unblinded_coordinator_may_not_handle_the_list_either(api, study):
    api.unblind(study["unblinded"], STUDY, email="study-coordinator@site.org", role="coordinator")
    token = api.login("study-coordinator@site.org", "a long enough password")
    assert _upload(api, token).status_code == 403
    assert api.c.get(LISTS, headers=api.bearer(token)).status_code == 403


def test_an_upload_is_stored_in_number_order_per_stratum_and_audited(api, study, app, clock):
    r = _upload(api, study["unblinded"])
    assert r.status_code == 201, r.json
    assert (r.json["rows"], r.json["strata"]) == (5, {"site=PAR": 3, "site=LYO": 2})
    assert _slots(api, study["unblinded"]) == [
        ("site=LYO", 1, "KP", None), ("site=LYO", 2, "PK", None),
        ("site=PAR", 1, "PK", None), ("site=PAR", 2, "KP", None), ("site=PAR", 3, "PK", None)]
    [(actor, after, at)] = _audit(app, "allocation_list.upload")
    assert actor.startswith("account:") and at == clock.now()
    assert (after["rows"], after["format"], after["sha256"]) == (5, "json", r.json["sha256"])
    assert "KP" not in str(after) and "PK" not in str(after)  # the trail is read more widely


def test_a_csv_list_uploads_as_a_file_with_its_stratum_as_a_form_field(api, study):
    csv_text = "number,sequence\n1,KP\n2,PK\n"
    r = api.c.post(LISTS, headers=api.bearer(study["unblinded"]),
                   content_type="multipart/form-data",
                   data={"list": (io.BytesIO(csv_text.encode()), "lyon.csv"), "site": "LYO"})
    assert r.status_code == 201, r.json
    r = api.c.post(LISTS, headers={**api.bearer(study["unblinded"]),
                                   "Content-Type": "text/csv"},
                   data="number,site,sequence\n1,PAR,PK\n")
    assert (r.status_code, r.json["format"]) == (201, "csv")
    assert _slots(api, study["unblinded"]) == [
        ("site=LYO", 1, "KP", None), ("site=LYO", 2, "PK", None), ("site=PAR", 1, "PK", None)]


@pytest.mark.parametrize(("csv_text", "field"), [
    ("number,site,sequence\n1,PAR,KP,extra\n", "rows[0]"),
    ("", "list"),
    ("number,site,sequence\n0,PAR,KP\n", "rows[0].number"),
    ("number,site,sequence\n-1,PAR,KP\n", "rows[0].number"),
])
def test_a_bad_csv_is_422_naming_the_row(api, study, csv_text, field):
    r = api.c.post(LISTS, headers={**api.bearer(study["unblinded"]), "Content-Type": "text/csv"},
                   data=csv_text)
    assert (r.status_code, r.json["field"]) == (422, field), r.json
    assert _slots(api, study["unblinded"]) == []


def test_a_bad_list_names_every_problem_at_once_and_stores_nothing(api, study):
    rows = [{"number": 1, "site": "PAR", "sequence": "KP"},
            {"number": 1, "site": "PAR", "sequence": "PK"},     # repeats number 1 at PAR
            {"number": 2.5, "site": "PAR", "sequence": "KP"},   # not a whole number
            {"number": 3, "site": "NYC", "sequence": "KK"},     # unknown site and sequence
            {"number": 4, "site": "PAR", "sequence": "KP", "arm": "x"}]  # unknown column
    r = _upload(api, study["unblinded"], rows)
    assert (r.status_code, r.json["code"]) == (422, "invalid_allocation_list")
    assert set(r.json["errors"]) == {"rows[1].number", "rows[2].number", "rows[3].site",
                                     "rows[3].sequence", "rows[4].arm"}
    assert r.json["field"] == "rows[1].number"
    assert _slots(api, study["unblinded"]) == []


@pytest.mark.parametrize(("body", "field"), [
    ({"rows": []}, "rows"),
    ({"rows": "1,KP"}, "rows"),
    ({"rows": [], "stratum": {"site": "PAR"}, "extra": 1}, "extra"),
    ({"stratum": {"arm": "x"}, "rows": [{"number": 1, "sequence": "KP", "site": "PAR"}]},
     "stratum.arm"),
])
def test_malformed_uploads_are_422_naming_the_field(api, study, body, field):
    r = api.c.post(LISTS, headers=api.bearer(study["unblinded"]), json=body)
    assert (r.status_code, r.json["field"]) == (422, field), r.json


def test_a_number_already_in_the_list_is_a_conflict(api, study):
    assert _upload(api, study["unblinded"]).status_code == 201
    r = _upload(api, study["unblinded"], [{"number": 4, "site": "PAR", "sequence": "KP"},
                                          {"number": 2, "site": "LYO", "sequence": "KP"}])
    assert (r.status_code, r.json["field"]) == (409, "rows")
    assert "2 in site=LYO" in r.json["message"]
    # ... while new numbers extend the list
    r = _upload(api, study["unblinded"], [{"number": 4, "site": "PAR", "sequence": "KP"}])
    assert r.status_code == 201


def test_a_study_assigning_manually_takes_no_list(api):
    admin = api.create_admin()
    api.create_study(admin, LISTED.replace("randomisation: {method: list, stratify_by: [site]}",
                                           ""))
    api.unblind(admin, STUDY)
    r = _upload(api, admin, [{"number": 1, "sequence": "KP"}])
    assert (r.status_code, r.json["field"]) == (422, "randomisation")


# --- enrolment from the list ------------------------------------------------------------------

def test_enrolment_takes_the_next_free_slot_of_its_stratum_in_order(api, study, app):
    assert _upload(api, study["unblinded"]).status_code == 201
    coordinator = study["coordinator"]
    for subject, site in (("P1", "PAR"), ("L1", "LYO"), ("P2", "PAR"), ("P3", "PAR"),
                          ("L2", "LYO")):
        r = _enrol(api, coordinator, subject, site)
        assert r.status_code == 201, r.json
        assert r.json["sequence"].startswith("SEQ-")  # the coordinator stays blind
    assert _slots(api, study["unblinded"]) == [
        ("site=LYO", 1, "KP", "L1"), ("site=LYO", 2, "PK", "L2"),
        ("site=PAR", 1, "PK", "P1"), ("site=PAR", 2, "KP", "P2"), ("site=PAR", 3, "PK", "P3")]
    unblinded = api.c.get(f"/api/v1/studies/{STUDY}/participants",
                          headers=api.bearer(study["unblinded"])).json["items"]
    assert {p["subject_id"]: p["sequence"] for p in unblinded} == {
        "L1": "KP", "L2": "PK", "P1": "PK", "P2": "KP", "P3": "PK"}
    allocations = [after for _, after, _ in _audit(app, "participant.allocate")]
    assert [(a["stratum"], a["number"]) for a in allocations] == [
        ("site=PAR", 1), ("site=LYO", 1), ("site=PAR", 2), ("site=PAR", 3), ("site=LYO", 2)]


@pytest.mark.parametrize("given", [{"sequence": "KP"}, {"sequence": "PK"}, {"arm": "K"}])
def test_the_coordinator_cannot_choose_when_the_study_uses_a_list(api, study, given):
    assert _upload(api, study["unblinded"]).status_code == 201
    [name] = given
    r = _enrol(api, study["unblinded"], "P1", "PAR", **given)
    assert (r.status_code, r.json["field"]) == (422, name)
    assert "allocation list" in r.json["message"]
    assert [s[3] for s in _slots(api, study["unblinded"])] == [None] * 5


def test_an_exhausted_list_is_a_409_and_keeps_nothing_of_the_enrolment(api, study, app):
    assert _upload(api, study["unblinded"], ROWS[3:]).status_code == 201  # LYO only
    r = _enrol(api, study["coordinator"], "P1", "PAR")
    assert (r.status_code, r.json["code"]) == (409, "allocation_exhausted")
    assert "no allocation list for site=PAR" in r.json["message"]
    for subject in ("L1", "L2"):
        assert _enrol(api, study["coordinator"], subject, "LYO").status_code == 201
    r = _enrol(api, study["coordinator"], "L3", "LYO")
    assert (r.status_code, r.json["code"], r.json["field"]) == (409, "allocation_exhausted",
                                                                "site")
    assert "exhausted (2 slots, all taken)" in r.json["message"]
    with app.extensions["paindiary"].session_factory() as s:
        assert sorted(s.scalars(select(Participant.subject_id))) == ["L1", "L2"]
    # More slots: the same subject id now enrols.
    assert _upload(api, study["unblinded"], [{"number": 3, "site": "LYO",
                                              "sequence": "KP"}]).status_code == 201
    assert _enrol(api, study["coordinator"], "L3", "LYO").status_code == 201


def test_an_unstratified_parallel_list_allocates_arms(api):
    admin = api.create_admin()
    api.create_study(admin, PARALLEL)
    api.unblind(admin, "list-parallel")
    url = "/api/v1/studies/list-parallel/allocation-lists"
    r = api.c.post(url, headers={**api.bearer(admin), "Content-Type": "text/csv"},
                   data="number,arm\n1,placebo\n2,active\n")
    assert r.status_code == 201 and r.json["strata"] == {"": 2}
    arms = [api.enrol(admin, "list-parallel", subject_id=f"S{n}", site="PAR")["arm"]
            for n in (1, 2)]
    assert arms == ["placebo", "active"]


RACERS = 8


def test_concurrent_enrolments_never_share_a_slot(api, study, app):
    rows = [{"number": n, "site": "PAR", "sequence": "KP" if n % 2 else "PK"}
            for n in range(1, RACERS + 1)]
    assert _upload(api, study["unblinded"], rows).status_code == 201
    barrier = threading.Barrier(RACERS)
    token = study["coordinator"]

    def enrol(n):
        client = app.test_client()
        barrier.wait()
        return client.post(f"/api/v1/studies/{STUDY}/participants",
                           headers={"Authorization": f"Bearer {token}"},
                           json={"subject_id": f"R{n}", "site": "PAR"})

    with ThreadPoolExecutor(RACERS) as pool:
        responses = list(pool.map(enrol, range(RACERS)))
    assert sorted(r.status_code for r in responses) == [201] * RACERS
    slots = _slots(api, study["unblinded"])
    assert sorted(str(s[3]) for s in slots) == sorted(f"R{n}" for n in range(RACERS))
    with app.extensions["paindiary"].session_factory() as s:
        taken = s.scalar(select(func.count(func.distinct(AllocationSlot.participant_id))))
    assert taken == RACERS
    # one more is refused: every slot went to exactly one of them
    assert _enrol(api, token, "R-late", "PAR").status_code == 409


# --- the protocol section -----------------------------------------------------------------

@pytest.mark.parametrize(("section", "errors"), [
    ("randomisation: {method: coin}", {"randomisation.method": ["must be one of manual, list"]}),
    ("randomisation: {method: list, stratify_by: [age]}",
     {"randomisation.stratify_by[0]": ["must be one of site"]}),
    ("randomisation: {method: manual, stratify_by: [site]}",
     {"randomisation.stratify_by": ["only a list randomisation is stratified"]}),
    ("randomisation: {stratify_by: [site]}", {"randomisation.method": ["is required"]}),
])
def test_a_bad_randomisation_section_is_refused_with_its_path(api, section, errors):
    admin = api.create_admin()
    source = LISTED.replace("randomisation: {method: list, stratify_by: [site]}", section)
    r = api.upload(admin, source)
    assert r.status_code == 422
    assert r.json["errors"] == errors
