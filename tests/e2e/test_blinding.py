"""Blinding: participants never see their allocation; blinded staff see masked codes in
every view and export; the ``unblinded`` grant and emergency unblinding are audited.

Treatment and sequence keys here are words that appear nowhere else in a response
(``ketamine``, ``kfirst``...), so "not in the text" is a real check.
"""

from __future__ import annotations

import csv
import io
import json
import re
from datetime import UTC, datetime, timedelta

import pytest
from openpyxl import load_workbook
from sqlalchemy import delete, func, select

from diary.db.allocation_models import BlindingCode
from diary.db.audit_models import AuditRecord
from notifications.transport import ConsoleTransport
from tests.e2e.reminder_support import Harness
from tests.e2e.sms_support import text_in

STUDY = "blind-crossover"
BLINDED = """
key: blind-crossover
title: Blinded crossover
timezone: Europe/Paris
design: crossover
sites: [PAR, LYO]
languages: [en, fr]
treatments: [{key: ketamine, label: Ketamine 0.5 mg/kg}, {key: saline, label: Saline}]
sequences:
  - {key: kfirst, treatments: [ketamine, saline]}
  - {key: sfirst, treatments: [saline, ketamine]}
anchors: [{key: infusion, per_period: true}]
daily_diary: {anchor: infusion, from_day: -3, to_day: 7}
assessments:
  - {key: pgic_d7, label: PGIC day 7, instrument: pgic, anchor: infusion, offset: P7D,
     window: {open: -P1D, close: P1D}}
reminders: {daily_time: "20:00", window_open: true, window_closing_before: P1D}
endpoints:
  - {key: auc_d1_7, kind: auc, from_day: 1, to_day: 7, ends: carry, min_coverage: 0.1}
  - {key: compliance, kind: compliance, from_day: 1, to_day: 7}
"""
SECRETS = ("ketamine", "Ketamine", "saline", "Saline", "kfirst", "sfirst")
PHONES = {"S1": "+33612345601", "S2": "+33612345602"}
CODE = {"arm": re.compile(r"ARM-[A-Z]+"), "sequence": re.compile(r"SEQ-\d+"),
        "treatment": re.compile(r"TRT-\d+")}


def _leaks(text: str) -> list[str]:
    return [s for s in SECRETS if s in text]


def _audit(app, action: str) -> list[AuditRecord]:
    with app.extensions["paindiary"].session_factory() as s:
        rows = list(s.scalars(select(AuditRecord).where(AuditRecord.action == action)
                              .order_by(AuditRecord.id)))
        s.expunge_all()
        return rows


def _audits(app, action: str) -> list[tuple[str, dict]]:
    return [(r.actor, r.after) for r in _audit(app, action)]


@pytest.fixture
def trial(api, clock):
    """S1 (kfirst) and S2 (sfirst), both infused for period 1 on 1 March 08:00 UTC, each
    with a device and a score; a blinded coordinator and viewer."""
    admin = api.create_admin()
    api.create_study(admin, BLINDED)
    devices = {}
    for subject, sequence in (("S1", "kfirst"), ("S2", "sfirst")):
        enrolled = api.enrol(admin, STUDY, subject_id=subject, site="PAR", sequence=sequence,
                             phone=PHONES[subject])
        devices[subject] = api.activate(enrolled["activation_code"])
        r = api.event(admin, STUDY, subject, type="infusion", period=1,
                      occurred_at="2027-03-01T08:00:00+00:00")
        assert r.status_code == 201, r.json
        assert api.entry(devices[subject], "2027-03-01", 5).status_code == 201
    staff = {role: api.staff(admin, f"{role}@site.org", role, STUDY)
             for role in ("coordinator", "viewer")}
    return {"admin": admin, "devices": devices, **staff}


# --- participants ------------------------------------------------------------------------

ME_READS = ["/api/v1/me", "/api/v1/me/tasks", "/api/v1/me/diary-entries",
            "/api/v1/me/questionnaire-responses", "/api/v1/me/instruments/pgic",
            "/api/v1/me/medications", "/api/v1/me/medication-drugs"]


def test_the_participants_api_never_names_arm_sequence_or_treatment(api, trial, clock):
    device = api.bearer(trial["devices"]["S1"])
    # Day 6 evening: the day-7 window is open, so the tasks list it.
    clock.set(datetime(2027, 3, 7, 18, tzinfo=UTC))
    tasks = api.c.get("/api/v1/me/tasks", headers=device).json
    assert [w["assessment"] for w in tasks["open_windows"]] == ["pgic_d7"]
    window = tasks["open_windows"][0]["id"]
    r = api.c.post("/api/v1/me/questionnaire-responses", headers=device, json={
        "instrument": "pgic", "answers": {"pgic": 2}, "window_id": window,
        "client_id": "4f1c9e2a-8d4b-4c1e-9a77-0c2b5d6e7f80",
        "device_time": "2027-03-07T19:00:00+01:00"})
    assert r.status_code == 201, r.json
    texts = {path: api.c.get(path, headers=device).get_data(as_text=True) for path in ME_READS}
    texts["POST questionnaire-responses"] = r.get_data(as_text=True)
    assert {path: _leaks(text) for path, text in texts.items()} == {p: [] for p in texts}
    assert all(api.c.get(p, headers=device).status_code == 200 for p in ME_READS)


def test_reminders_and_sms_replies_never_name_arm_sequence_or_treatment(api, trial, app,
                                                                        clock):
    harness = Harness(app, ConsoleTransport(now=clock.now))
    start = datetime(2027, 3, 1, 19, tzinfo=UTC)
    harness.run(start, start + timedelta(days=8), timedelta(hours=1))
    bodies = [m.body for m in harness.outbox()]
    kinds = {m.kind for m in harness.outbox()}
    assert len(bodies) > 5 and len(kinds) >= 2, kinds  # diary and window reminders went out
    replies = [text_in(api.c, body, sender=PHONES["S2"])[1]
               for body in ("4", "HELP", "nonsense", "PAIN 3")]
    assert any(replies)
    assert [b for b in bodies + [r or "" for r in replies] if _leaks(b)] == []


# --- blinded staff -----------------------------------------------------------------------

def _masked_views(api, token) -> dict:
    h = api.bearer(token)
    base = f"/api/v1/studies/{STUDY}/participants"
    listing = api.c.get(base, headers=h).json["items"]
    item = api.c.get(base + "/S1", headers=h).json
    schedule = api.c.get(base + "/S1/schedule", headers=h).json
    return {"list": {p["subject_id"]: p["sequence"] for p in listing},
            "item": item["sequence"],
            "windows": {w["treatment"] for w in schedule["windows"]},
            "spans": {s["treatment"] for s in schedule["diary_spans"]}}


@pytest.mark.parametrize("role", ["coordinator", "viewer"])
def test_blinded_staff_see_masked_codes_in_the_list_item_and_schedule(api, trial, role):
    views = _masked_views(api, trial[role])
    seq1, seq2 = views["list"]["S1"], views["list"]["S2"]
    assert CODE["sequence"].fullmatch(seq1) and CODE["sequence"].fullmatch(seq2)
    assert seq1 != seq2 and views["item"] == seq1
    [trt] = views["windows"]
    assert CODE["treatment"].fullmatch(trt) and views["spans"] == {trt}
    # The same codes for every blinded reader, on every call.
    assert _masked_views(api, trial["viewer" if role == "coordinator" else "coordinator"]) \
        == views == _masked_views(api, trial[role])
    h = api.bearer(trial[role])
    base = f"/api/v1/studies/{STUDY}/participants"
    texts = [api.c.get(base + suffix, headers=h).get_data(as_text=True)
             for suffix in ("", "/S1", "/S1/schedule", "/S2/schedule", "/S1/events",
                            "/S1/fhir-bundle", "/S1/questionnaire-responses")]
    texts.append(api.c.get(f"/api/v1/studies/{STUDY}/reminders",
                           headers=h).get_data(as_text=True))
    assert [_leaks(t) for t in texts] == [[]] * len(texts)


def test_a_blinded_coordinator_enrols_and_withdraws_seeing_only_codes(api, trial):
    h = api.bearer(trial["coordinator"])
    r = api.c.post(f"/api/v1/studies/{STUDY}/participants", headers=h,
                   json={"subject_id": "S3", "site": "LYO", "sequence": "sfirst"})
    assert r.status_code == 201, r.json
    listing = {p["subject_id"]: p["sequence"]
               for p in api.c.get(f"/api/v1/studies/{STUDY}/participants", headers=h)
               .json["items"]}
    assert r.json["sequence"] == listing["S2"] and not _leaks(r.get_data(as_text=True))
    r = api.c.post(f"/api/v1/studies/{STUDY}/participants/S3/withdrawal", headers=h,
                   json={"reason": "moved away"})
    assert r.status_code == 200 and r.json["sequence"] == listing["S2"]


def _diary_days_1_to_3(api, trial, clock):
    """Scores on days 1-3 for both, so that every layout (the trace too) has rows."""
    for day in (1, 2, 3):
        clock.set(datetime(2027, 3, 1 + day, 19, tzinfo=UTC))
        for device in trial["devices"].values():
            assert api.entry(device, f"2027-03-0{1 + day}", 4 + day).status_code == 201
    clock.set(datetime(2027, 3, 20, 12, tzinfo=UTC))


def _table(api, token, layout, fmt="csv", part="data"):
    r = api.c.get(f"/api/v1/studies/{STUDY}/endpoints?layout={layout}&format={fmt}"
                  f"&part={part}", headers=api.bearer(token))
    assert r.status_code == 200, r.get_data(as_text=True)[:300]
    return r


@pytest.mark.parametrize("role", ["coordinator", "viewer"])
@pytest.mark.parametrize("layout", ["wide", "long", "summary", "trace"])
def test_blinded_staff_export_masked_codes_in_every_layout(api, trial, clock, role, layout):
    _diary_days_1_to_3(api, trial, clock)
    token = api.login(f"{role}@site.org", "a long enough password")
    listing = api.c.get(f"/api/v1/studies/{STUDY}/participants",
                        headers=api.bearer(token)).json["items"]
    sequences = {p["subject_id"]: p["sequence"] for p in listing}
    data = _table(api, token, layout)
    text = data.get_data(as_text=True)
    assert _leaks(text) == [] and _leaks(data.headers["X-Paindiary-Provenance"]) == []
    assert "allocation=masked codes" in data.headers["X-Paindiary-Provenance"]
    rows = list(csv.DictReader(io.StringIO(text)))
    assert rows
    column = {"wide": "treatment", "summary": "treatment", "long": "TRTA"}.get(layout)
    if column:  # the trace names no treatment: only that nothing leaks
        assert {CODE["treatment"].fullmatch(r[column]) is not None for r in rows} == {True}
    if layout == "wide":  # the sequence column carries the same codes as the list
        assert {(r["subject"], r["sequence"]) for r in rows} == set(sequences.items())
    for part in ("dictionary",):
        assert _leaks(_table(api, token, layout, part=part).get_data(as_text=True)) == []


def test_a_blinded_xlsx_export_holds_no_real_value_in_any_sheet(api, trial, clock):
    _diary_days_1_to_3(api, trial, clock)
    token = api.login("viewer@site.org", "a long enough password")
    book = load_workbook(io.BytesIO(_table(api, token, "wide", "xlsx").data), read_only=True)
    cells = [str(v) for sheet in book for row in sheet.iter_rows(values_only=True)
             for v in row if v is not None]
    assert cells and _leaks(" ".join(cells)) == []


def _summary_names(api, token, fmt, tmp_path) -> set[tuple[str, str]]:
    """(treatment, treatment_name) pairs of the summary, read back from CSV, XLSX or XPT;
    the whole file must not name a real treatment when the caller is blinded."""
    data = _table(api, token, "summary", fmt).data
    if fmt == "csv":
        rows = list(csv.DictReader(io.StringIO(data.decode())))
        return {(r["treatment"], r["treatment_name"]) for r in rows}
    if fmt == "xlsx":
        sheet = load_workbook(io.BytesIO(data), read_only=True)["EPSUM"]
        header, *rows = sheet.iter_rows(values_only=True)
        i, j = header.index("treatment"), header.index("treatment_name")
        return {(r[i], r[j]) for r in rows}
    import pyreadstat

    path = tmp_path / "summary.xpt"
    path.write_bytes(data)
    frame = pyreadstat.read_xport(str(path), output_format="dict")[0]
    return set(zip(frame["TRTA"], frame["TRTNAME"], strict=True))


@pytest.mark.parametrize("fmt", ["csv", "xlsx", "xpt"])
def test_the_summary_names_treatments_only_for_unblinded_staff(api, trial, clock, app,
                                                                tmp_path, fmt):
    """Issue 14: the protocol's labels for staff who see the allocation, codes otherwise,
    in every format; a blinded file holds no label anywhere (values, sheets, dictionary)."""
    _diary_days_1_to_3(api, trial, clock)
    blinded = api.login("viewer@site.org", "a long enough password")
    pairs = _summary_names(api, blinded, fmt, tmp_path)
    assert {CODE["treatment"].fullmatch(t) is not None and n == t for t, n in pairs} == {True}
    raw = _table(api, blinded, "summary", fmt).data
    if fmt == "xlsx":
        book = load_workbook(io.BytesIO(raw), read_only=True)
        raw = " ".join(str(v) for sheet in book for row in sheet.iter_rows(values_only=True)
                       for v in row if v is not None).encode()
    assert _leaks(raw.decode("latin-1")) == []
    admin = api.login("admin@site.org", "correct horse battery")  # 12-hour tokens
    api.unblind(admin, STUDY, email="viewer@site.org", role="viewer")
    unblinded = api.login("viewer@site.org", "a long enough password")
    assert _summary_names(api, unblinded, fmt, tmp_path) == {
        ("ketamine", "Ketamine 0.5 mg/kg"), ("saline", "Saline")}


@pytest.mark.parametrize("figure", ["mean", "participants"])
def test_blinded_staff_figures_name_only_masked_codes(api, trial, clock, figure):
    _diary_days_1_to_3(api, trial, clock)
    token = api.login("viewer@site.org", "a long enough password")
    r = api.c.get(f"/api/v1/studies/{STUDY}/endpoints?format=svg&figure={figure}",
                  headers=api.bearer(token))
    assert r.status_code == 200, r.get_data(as_text=True)[:300]
    text = r.get_data(as_text=True)
    assert _leaks(text) == [] and _leaks(r.headers["X-Paindiary-Provenance"]) == []
    assert sorted(set(CODE["treatment"].findall(text))) == ["TRT-1", "TRT-2"]


@pytest.mark.parametrize(("flags", "treatments"), [
    ([], {"ketamine", "saline"}), (["--masked"], {"TRT-1", "TRT-2"})])
def test_the_command_line_exports_the_allocation_unless_masked(app, api, trial, clock,
                                                               tmp_path, flags, treatments):
    _diary_days_1_to_3(api, trial, clock)
    out = tmp_path / "wide.csv"
    result = app.test_cli_runner().invoke(args=[
        "export", "endpoints", "--study", STUDY, "--layout", "wide", "--format", "csv",
        "-o", str(out), *flags])
    assert result.exit_code == 0, result.output
    rows = list(csv.DictReader(io.StringIO(out.read_text())))
    assert {r["treatment"] for r in rows} == treatments
    assert [a["allocation"] for _, a in _audits(app, "endpoints.export")] == [
        "masked codes" if flags else "as allocated"]


# --- the unblinded grant -----------------------------------------------------------------

def test_the_unblinded_grant_shows_the_allocation_and_is_audited(api, trial, app, clock):
    admin = trial["admin"]
    api.unblind(admin, STUDY, email="coordinator@site.org", role="coordinator")
    token = api.login("coordinator@site.org", "a long enough password")
    views = _masked_views(api, token)
    assert views["list"] == {"S1": "kfirst", "S2": "sfirst"} and views["windows"] == {
        "ketamine"}
    clock.set(datetime(2027, 3, 20, 12, tzinfo=UTC))
    token = api.login("coordinator@site.org", "a long enough password")
    rows = list(csv.DictReader(io.StringIO(_table(api, token, "wide").get_data(as_text=True))))
    assert {(r["subject"], r["period"], r["treatment"], r["sequence"]) for r in rows} == {
        ("S1", "1", "ketamine", "kfirst"), ("S1", "2", "saline", "kfirst"),
        ("S2", "1", "saline", "sfirst"), ("S2", "2", "ketamine", "sfirst")}
    [grant] = _audit(app, "role.unblind")
    assert (grant.after, grant.before) == (
        {"account": "coordinator@site.org", "unblinded": True}, {"unblinded": False})
    assert grant.actor.startswith("account:")
    # A PUT without it takes it back (audited too): codes again.
    admin = api.login("admin@site.org", "correct horse battery")  # 12-hour tokens
    r = api.c.put(f"/api/v1/studies/{STUDY}/roles", headers=api.bearer(admin),
                  json={"email": "coordinator@site.org", "role": "coordinator"})
    assert (r.status_code, r.json["unblinded"]) == (200, False)
    assert [a.after["unblinded"] for a in _audit(app, "role.blind")] == [False]
    assert CODE["sequence"].fullmatch(_masked_views(api, token)["item"])


def test_a_superuser_is_blinded_until_granted(api, trial):
    views = _masked_views(api, trial["admin"])
    assert CODE["sequence"].fullmatch(views["item"])
    api.unblind(trial["admin"], STUDY)
    assert _masked_views(api, trial["admin"])["item"] == "kfirst"


def test_only_study_admins_grant_the_unblinded_role(api, trial):
    r = api.c.put(f"/api/v1/studies/{STUDY}/roles", headers=api.bearer(trial["coordinator"]),
                  json={"email": "viewer@site.org", "role": "viewer", "unblinded": True})
    assert (r.status_code, r.json["code"]) == (403, "forbidden")
    r = api.c.put(f"/api/v1/studies/{STUDY}/roles", headers=api.bearer(trial["admin"]),
                  json={"email": "viewer@site.org", "role": "viewer", "unblinded": "yes please"})
    assert (r.status_code, r.json["field"]) == (422, "unblinded")


def test_the_codes_do_not_follow_the_protocol_order(api):
    """Each study draws its own permutation: over ten studies with three treatments the
    first treatment is not always TRT-1 (all ten alike: probability 6**-9)."""
    admin = api.create_admin()
    source = BLINDED.replace(
        "treatments: [{key: ketamine, label: Ketamine 0.5 mg/kg}, {key: saline, label: Saline}]",
        "treatments: [{key: ketamine}, {key: saline}, {key: lidocaine}]")
    mappings = set()
    for n in range(10):
        key = f"order-{n}"
        api.create_study(admin, source.replace(f"key: {STUDY}", f"key: {key}"))
        api.enrol(admin, key, subject_id="S1", site="PAR", sequence="kfirst")
        api.event(admin, key, "S1", type="infusion", period=1,
                  occurred_at="2027-03-01T08:00:00+00:00")
        api.event(admin, key, "S1", type="infusion", period=2,
                  occurred_at="2027-03-01T09:00:00+00:00")
        spans = api.c.get(f"/api/v1/studies/{key}/participants/S1/schedule",
                          headers=api.bearer(admin)).json["diary_spans"]
        mappings.add(tuple(s["treatment"] for s in spans))
    assert len(mappings) > 1
    assert all(set(m) <= {"TRT-1", "TRT-2", "TRT-3"} and len(set(m)) == 2 for m in mappings)


def test_a_study_from_before_the_codes_gets_them_once_on_first_read(api, trial, app):
    """Studies created before migration 0006 have no codes: the first blinded read draws
    and stores them, and every later read shows the same ones."""
    with app.extensions["paindiary"].session_factory() as s:
        s.execute(delete(BlindingCode))
        s.commit()
    first = _masked_views(api, trial["viewer"])
    assert CODE["sequence"].fullmatch(first["item"])
    assert _masked_views(api, trial["coordinator"]) == first == _masked_views(api,
                                                                              trial["viewer"])
    with app.extensions["paindiary"].session_factory() as s:
        assert s.scalar(select(func.count()).select_from(BlindingCode)) == 4


# --- open-label and single-blind protocols -----------------------------------------------

@pytest.mark.parametrize("blinding", ["open", "single"])
def test_staff_of_open_and_single_blind_studies_see_the_allocation(api, blinding):
    admin = api.create_admin()
    api.create_study(admin, BLINDED + f"blinding: {blinding}\n")
    enrolled = api.enrol(admin, STUDY, subject_id="S1", site="PAR", sequence="kfirst")
    viewer = api.staff(admin, "viewer@site.org", "viewer", STUDY)
    assert enrolled["sequence"] == "kfirst"
    assert _masked_views(api, viewer)["item"] == "kfirst"
    device = api.activate(enrolled["activation_code"])  # the participant still sees none
    tasks = api.c.get("/api/v1/me/tasks", headers=api.bearer(device))
    assert tasks.status_code == 200 and _leaks(tasks.get_data(as_text=True)) == []


def test_an_unknown_blinding_is_refused_with_its_path(api):
    admin = api.create_admin()
    r = api.upload(admin, BLINDED + "blinding: triple\n")
    assert r.status_code == 422
    assert r.json["errors"] == {"blinding": ["must be one of double, single, open"]}


# --- emergency unblinding ----------------------------------------------------------------

UNBLIND = f"/api/v1/studies/{STUDY}/participants/S2/unblinding"


def test_emergency_unblinding_discloses_one_allocation_with_a_reason_audited(api, trial, app,
                                                                           clock):
    admin = trial["admin"]
    api.unblind(admin, STUDY)
    r = api.c.post(UNBLIND, headers=api.bearer(admin),
                   json={"reason": "anaphylaxis during infusion; treating physician asks"})
    assert r.status_code == 200, r.json
    assert {k: r.json[k] for k in ("subject_id", "arm", "sequence", "treatments")} == {
        "subject_id": "S2", "arm": None, "sequence": "sfirst",
        "treatments": ["saline", "ketamine"]}
    assert r.json["unblinded_at"] == clock.now().isoformat()
    [record] = _audit(app, "participant.unblind")
    assert record.reason == "anaphylaxis during infusion; treating physician asks"
    assert record.actor == r.json["unblinded_by"] and record.actor.startswith("account:")
    assert record.at == clock.now()
    assert record.after["sequence"] == "sfirst"


@pytest.mark.parametrize(("body", "field"), [
    ({}, "reason"), ({"reason": ""}, "reason"), ({"reason": "   "}, "reason"),
])
def test_emergency_unblinding_needs_a_reason(api, trial, app, body, field):
    api.unblind(trial["admin"], STUDY)
    r = api.c.post(UNBLIND, headers=api.bearer(trial["admin"]), json=body)
    assert (r.status_code, r.json["field"]) == (422, field)
    assert _audit(app, "participant.unblind") == []


@pytest.mark.parametrize("who", ["coordinator", "viewer", "admin", "unblinded coordinator"])
def test_emergency_unblinding_needs_an_unblinded_study_admin(api, trial, app, who):
    token = trial.get(who)
    if who == "unblinded coordinator":
        api.unblind(trial["admin"], STUDY, email="coordinator@site.org", role="coordinator")
        token = api.login("coordinator@site.org", "a long enough password")
    r = api.c.post(UNBLIND, headers=api.bearer(token), json={"reason": "SAE"})
    assert (r.status_code, r.json["code"]) == (403, "forbidden")
    assert _leaks(json.dumps(r.json)) == [] and _audit(app, "participant.unblind") == []
