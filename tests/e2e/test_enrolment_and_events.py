"""Coordinators enrol participants, record anchor events, withdraw; every write is audited."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import func, select

from diary.db.models import AuditRecord, Participant

STUDY = "mini-crossover"
PARIS, CHICAGO = ZoneInfo("Europe/Paris"), ZoneInfo("America/Chicago")
S001 = f"/api/v1/studies/{STUDY}/participants/S001"
DELETE = object()  # in a table of changes: leave the field out

# A parallel study with its own defaults and anchors of every multiplicity.
MINI_PARALLEL = """
key: mini-parallel
title: Minimal parallel
timezone: America/Chicago
design: parallel
sites: [CHI, NYC]
languages: [es, en]
arms: [{key: active}, {key: placebo}]
anchors:
  - {key: surgery}                   # max_count defaults to 1
  - {key: rescue_dose, max_count: 2}
  - {key: flare, max_count: null}    # any number
daily_diary: {anchor: surgery, from_day: -7, to_day: 42}
reminders: {daily_time: "19:30"}
"""


def _relogin(api) -> str:
    """Staff tokens last 12 h: tests that move the clock by days log in again."""
    return api.login("admin@site.org", "correct horse battery")


def _actions(app) -> list[str]:
    with app.extensions["paindiary"].session_factory() as s:
        return list(s.scalars(select(AuditRecord.action).order_by(AuditRecord.id)))


@pytest.fixture
def admin(api):
    return api.create_admin()


@pytest.fixture
def crossover(api, admin, crossover_source):
    api.create_study(admin, crossover_source)
    return admin


@pytest.fixture
def parallel(api, admin):
    api.create_study(admin, MINI_PARALLEL)
    return admin


@pytest.fixture
def s001(api, crossover):
    """S001 enrolled 2027-03-01 17:00 UTC (18:00 in Paris) on sequence KP, activated."""
    enrolled = api.enrol(crossover, STUDY, subject_id="S001", site="PAR", sequence="KP")
    return {"admin": crossover, "token": api.activate(enrolled["activation_code"])}


# --- enrolment --------------------------------------------------------------------------

CROSSOVER_BODY = {"subject_id": "S001", "site": "PAR", "sequence": "KP"}
PARALLEL_BODY = {"subject_id": "S001", "site": "CHI", "arm": "active"}
REFUSED_ENROLMENTS = [
    # (study, changes to a valid body, code, field, message contains)
    ("crossover", {"site": "MRS"}, "rule_violation", "site", "must be one of PAR, LYO"),
    ("crossover", {"site": DELETE}, "validation_error", "site", "Missing data"),
    ("crossover", {"arm": "K"}, "rule_violation", "arm", "a crossover study has no arms"),
    ("crossover", {"sequence": DELETE}, "rule_violation", "sequence", "one of KP, PK"),
    ("crossover", {"sequence": "KK"}, "rule_violation", "sequence", "one of KP, PK"),
    ("parallel", {"arm": DELETE}, "rule_violation", "arm", "must be one of active, placebo"),
    ("parallel", {"arm": "verum"}, "rule_violation", "arm", "must be one of active, placebo"),
    ("parallel", {"sequence": "KP"}, "rule_violation", "sequence", "has no sequences"),
    ("crossover", {"timezone": "Europe/Atlantis"}, "rule_violation", "timezone", "IANA"),
    ("crossover", {"timezone": "Europe"}, "rule_violation", "timezone", "IANA"),
    ("crossover", {"timezone": "+01:00"}, "rule_violation", "timezone", "IANA"),
    ("crossover", {"phone": "12345"}, "rule_violation", "phone", "not a phone number"),
    ("crossover", {"phone": "06 12 34 56 78"}, "rule_violation", "phone",
     "not a phone number"),  # no country code: E.164 is required
    ("crossover", {"phone": "+1 555 0100"}, "rule_violation", "phone", "not a valid"),
    ("crossover", {"reminder_time": "8pm"}, "rule_violation", "reminder_time", "HH:MM"),
    ("crossover", {"reminder_time": "24:00"}, "rule_violation", "reminder_time", "HH:MM"),
    ("crossover", {"reminder_time": "7:30"}, "rule_violation", "reminder_time", "HH:MM"),
    ("crossover", {"reminder_time": "19:30:00"}, "rule_violation", "reminder_time", "HH:MM"),
    ("crossover", {"language": "fr"}, "rule_violation", "language", "must be one of en"),
    ("crossover", {"subject_id": "S 001"}, "rule_violation", "subject_id", "letters, digits"),
    ("crossover", {"subject_id": ""}, "validation_error", "subject_id", "Length"),
    ("crossover", {"email": "p@example.org"}, "validation_error", "email", "Unknown field"),
]


def _change_id(study: str, changes: dict) -> str:
    return study + " " + ", ".join(f"{k} unset" if v is DELETE else f"{k}={v!r}"
                                   for k, v in changes.items())


@pytest.mark.parametrize(("study", "changes", "code", "field", "says"), REFUSED_ENROLMENTS,
                         ids=[_change_id(study, changes)
                              for study, changes, *_ in REFUSED_ENROLMENTS])
def test_an_enrolment_breaking_a_rule_is_refused_with_its_field(api, crossover, parallel, study,
                                                                changes, code, field, says):
    key, body = ("mini-crossover", CROSSOVER_BODY) if study == "crossover" else (
        "mini-parallel", PARALLEL_BODY)
    body = {k: v for k, v in {**body, **changes}.items() if v is not DELETE}
    r = api.c.post(f"/api/v1/studies/{key}/participants", headers=api.bearer(crossover),
                   json=body)
    assert r.status_code == 422
    assert (r.json["code"], r.json["field"]) == (code, field)
    assert says in r.json["message"]
    listing = api.c.get(f"/api/v1/studies/{key}/participants", headers=api.bearer(crossover))
    assert listing.json["total"] == 0


def test_an_enrolment_returns_a_single_use_code_valid_for_seven_days(api, crossover):
    r = api.enrol(crossover, STUDY, **CROSSOVER_BODY)
    assert r["activation_expires_at"] == "2027-03-08T17:00:00+00:00"  # 1 March 17:00 + 7 d
    assert len(r["activation_code"]) == len("XXXX-XXXX-XXXX")
    assert (r["status"], r["enrolled_at"]) == ("active", "2027-03-01T17:00:00+00:00")


@pytest.mark.parametrize(("study", "body", "defaults"), [
    ("mini-crossover", CROSSOVER_BODY,
     # the crossover declares no reminders (20:00 built in) and no languages ("en")
     {"timezone": "Europe/Paris", "reminder_time": "20:00", "language": "en"}),
    ("mini-parallel", PARALLEL_BODY,
     {"timezone": "America/Chicago", "reminder_time": "19:30", "language": "es"}),
])
def test_an_enrolment_defaults_to_the_studys_zone_reminder_time_and_first_language(
        api, crossover, parallel, study, body, defaults):
    r = api.enrol(crossover, study, **body)
    assert {k: r[k] for k in defaults} == defaults


def test_given_zone_reminder_time_and_language_are_kept(api, parallel):
    r = api.enrol(parallel, "mini-parallel", **PARALLEL_BODY, timezone="America/New_York",
                  reminder_time="21:15", language="en")
    assert (r["timezone"], r["reminder_time"], r["language"]) == (
        "America/New_York", "21:15", "en")


@pytest.mark.parametrize(("given", "e164", "masked"), [
    ("+33 6 12 34 56 78", "+33612345678", "+33" + "*" * 7 + "78"),  # 12 characters - 5 shown
    ("+33612345678", "+33612345678", "+33" + "*" * 7 + "78"),
    ("+44 20 7946 0958", "+442079460958", "+44" + "*" * 8 + "58"),  # 13 - 5
])
def test_a_phone_number_is_stored_encrypted_in_e164_and_shown_masked(app, api, crossover, given,
                                                                     e164, masked):
    r = api.enrol(crossover, STUDY, **CROSSOVER_BODY, phone=given)
    assert r["phone"] == masked
    shown = api.c.get(S001, headers=api.bearer(crossover)).json["phone"]
    assert shown == masked
    vault = app.extensions["paindiary"].vault
    with app.extensions["paindiary"].session_factory() as s:
        row = s.scalar(select(Participant).where(Participant.subject_id == "S001"))
        assert vault.decrypt(row.phone_encrypted) == e164
        assert e164[1:].encode() not in row.phone_encrypted
        assert row.phone_index == vault.index(e164)


def test_without_a_phone_number_none_is_stored(api, crossover):
    assert api.enrol(crossover, STUDY, **CROSSOVER_BODY)["phone"] is None


def test_a_subject_id_enrolled_twice_in_a_study_is_a_conflict(api, crossover, parallel):
    api.enrol(crossover, STUDY, **CROSSOVER_BODY)
    r = api.c.post(f"/api/v1/studies/{STUDY}/participants", headers=api.bearer(crossover),
                   json={**CROSSOVER_BODY, "site": "LYO", "sequence": "PK"})
    assert (r.status_code, r.json["code"], r.json["field"]) == (409, "conflict", "subject_id")
    # The same subject id in another study is another person.
    assert api.enrol(crossover, "mini-parallel", **PARALLEL_BODY)["subject_id"] == "S001"


# --- anchor events ----------------------------------------------------------------------

def _event(api, token, subject="S001", study=STUDY, **fields):
    return api.event(token, study, subject, **fields)


@pytest.mark.parametrize("type_", ["surgery", "enrolment", ""])
def test_an_event_of_a_type_the_protocol_does_not_declare_is_refused(api, s001, type_):
    r = _event(api, s001["admin"], type=type_, period=1,
               occurred_at="2027-03-01T08:00:00+00:00")
    assert (r.status_code, r.json["field"]) == (422, "type")
    assert "this protocol has: infusion" in r.json["message"]


@pytest.mark.parametrize(("period", "status", "code"), [
    (None, 422, "rule_violation"),
    (0, 422, "rule_violation"),
    (1, 201, None),
    (2, 201, None),
    (3, 422, "rule_violation"),     # two treatments per sequence: two periods
    ("1", 422, "validation_error"),  # strict integers, not coerced
    (1.5, 422, "validation_error"),
])
def test_a_per_period_event_needs_a_period_of_the_sequence(api, s001, period, status, code):
    r = _event(api, s001["admin"], type="infusion", period=period,
               occurred_at="2027-03-01T08:00:00+00:00")
    assert r.status_code == status, r.json
    if status == 422:
        assert (r.json["code"], r.json["field"]) == (code, "period")
    else:
        assert (r.json["type"], r.json["period"]) == ("infusion", period)


def test_a_period_recorded_twice_is_a_conflict(api, s001):
    first = _event(api, s001["admin"], type="infusion", period=1,
                   occurred_at="2027-02-01T08:00:00+00:00")
    again = _event(api, s001["admin"], type="infusion", period=1,
                   occurred_at="2027-03-01T08:00:00+00:00")
    assert (first.status_code, again.status_code) == (201, 409)
    assert again.json["field"] == "period"


@pytest.mark.parametrize(("first", "second", "status", "says"), [
    ((1, "2027-02-01T08:00"), (2, "2027-03-01T08:00"), 201, None),
    ((2, "2027-03-01T08:00"), (1, "2027-02-01T08:00"), 201, None),  # late, but in order
    ((1, "2027-03-01T08:00"), (2, "2027-02-01T08:00"), 422,
     "period 2 must come after period 1 (2027-03-01)"),
    ((2, "2027-02-01T08:00"), (1, "2027-03-01T08:00"), 422,
     "period 1 must come before period 2 (2027-02-01)"),
    ((1, "2027-03-01T08:00"), (2, "2027-03-01T08:00"), 422, "must come after period 1"),
])
def test_periods_must_follow_each_other_in_time(api, s001, first, second, status, says):
    for (period, at), expected in ((first, 201), (second, status)):
        r = _event(api, s001["admin"], type="infusion", period=period,
                   occurred_at=at + ":00+00:00")
        assert r.status_code == expected, r.json
    if says:
        assert r.json["field"] == "occurred_at" and says in r.json["message"]


@pytest.mark.parametrize(("occurred_at", "status"), [
    ("2027-03-01T17:05:00+00:00", 201),  # now is 17:00 UTC; 5 minutes of clock skew allowed
    ("2027-03-01T17:05:01+00:00", 422),
    ("2027-03-01T18:05:01+01:00", 422),  # the same instant written in Paris time
    ("2027-03-02T08:00:00+00:00", 422),
    ("2026-02-28T17:00:00+00:00", 201),  # enrolment - 366 days: 2026 has no 29 February
    ("2026-02-28T16:59:59+00:00", 422),  # more than a year before enrolment
])
def test_an_event_instant_must_be_in_the_past_and_within_a_year_of_enrolment(
        api, s001, occurred_at, status):
    r = _event(api, s001["admin"], type="infusion", period=1, occurred_at=occurred_at)
    assert r.status_code == status, r.json
    if status == 422:
        assert (r.json["code"], r.json["field"]) == ("rule_violation", "occurred_at")


@pytest.mark.parametrize("occurred_at", ["2027-03-01T08:00:00", "2027-03-01", "yesterday"])
def test_an_event_instant_without_a_utc_offset_is_refused(api, s001, occurred_at):
    r = _event(api, s001["admin"], type="infusion", period=1, occurred_at=occurred_at)
    assert (r.status_code, r.json["code"], r.json["field"]) == (422, "validation_error",
                                                                "occurred_at")


@pytest.mark.parametrize(("type_", "allowed"), [("surgery", 1), ("rescue_dose", 2),
                                                ("flare", None)])
def test_the_protocols_max_count_bounds_the_events_of_a_type(api, parallel, type_, allowed):
    api.enrol(parallel, "mini-parallel", **PARALLEL_BODY)
    statuses = [_event(api, parallel, study="mini-parallel", type=type_,
                       occurred_at=f"2027-02-{day:02d}T08:00:00+00:00").status_code
                for day in range(1, 6)]  # five events
    assert statuses == ([201] * 5 if allowed is None else [201] * allowed + [409] * (5 - allowed))


def test_an_event_type_without_periods_refuses_a_period(api, parallel):
    api.enrol(parallel, "mini-parallel", **PARALLEL_BODY)
    r = _event(api, parallel, study="mini-parallel", type="surgery", period=1,
               occurred_at="2027-03-01T08:00:00+00:00")
    assert (r.status_code, r.json["field"]) == (422, "period")
    assert "surgery events have no period" in r.json["message"]


@pytest.mark.parametrize(("occurred_at", "status"), [
    ("2027-03-02T08:00:00+00:00", 422),  # after the withdrawal (1 March 17:00 UTC)
    ("2027-03-01T08:00:00+00:00", 201),  # before it, recorded late: kept (app's choice)
])
def test_an_event_after_the_withdrawal_instant_is_refused(api, s001, clock, occurred_at, status):
    r = api.c.post(S001 + "/withdrawal", headers=api.bearer(s001["admin"]),
                   json={"reason": "moved away"})
    assert r.status_code == 200
    clock.advance(timedelta(days=1))
    r = _event(api, _relogin(api), type="infusion", period=1, occurred_at=occurred_at)
    assert r.status_code == status, r.json
    if status == 422:
        assert r.json["field"] == "occurred_at" and "withdrawal" in r.json["message"]


def test_recorded_events_are_listed_in_time_order(api, s001):
    for period, at in ((2, "2027-02-20T09:30:00+01:00"), (1, "2027-01-16T08:00:00+00:00")):
        assert _event(api, s001["admin"], type="infusion", period=period,
                      occurred_at=at).status_code == 201
    events = api.c.get(S001 + "/events", headers=api.bearer(s001["admin"])).json
    assert [(e["period"], e["occurred_at"], e["recorded_at"]) for e in events] == [
        (1, "2027-01-16T08:00:00+00:00", "2027-03-01T17:00:00+00:00"),
        (2, "2027-02-20T08:30:00+00:00", "2027-03-01T17:00:00+00:00"),  # stored in UTC
    ]


# --- withdrawal ----------------------------------------------------------------------------

@pytest.mark.parametrize(("body", "code"), [
    ({}, "validation_error"),
    ({"reason": ""}, "validation_error"),
    ({"reason": "   "}, "rule_violation"),
    ({"reason": None}, "validation_error"),
])
def test_a_withdrawal_needs_a_reason(api, s001, body, code):
    r = api.c.post(S001 + "/withdrawal", headers=api.bearer(s001["admin"]), json=body)
    assert (r.status_code, r.json["code"], r.json["field"]) == (422, code, "reason")
    assert api.c.get(S001, headers=api.bearer(s001["admin"])).json["status"] == "active"


def test_a_withdrawal_is_recorded_once(api, s001):
    h = api.bearer(s001["admin"])
    first = api.c.post(S001 + "/withdrawal", headers=h, json={"reason": "  moved away "})
    assert first.status_code == 200
    assert (first.json["status"], first.json["withdrawn_at"], first.json["withdrawal_reason"]) \
        == ("withdrawn", "2027-03-01T17:00:00+00:00", "moved away")
    again = api.c.post(S001 + "/withdrawal", headers=h, json={"reason": "twice"})
    assert (again.status_code, again.json["code"]) == (409, "conflict")
    assert "withdrew on 2027-03-01" in again.json["message"]
    assert api.c.get(S001, headers=h).json["withdrawal_reason"] == "moved away"


def test_no_new_activation_code_is_issued_after_a_withdrawal(api, s001):
    h = api.bearer(s001["admin"])
    api.c.post(S001 + "/withdrawal", headers=h, json={"reason": "moved away"})
    r = api.c.post(S001 + "/activation-code", headers=h)
    assert (r.status_code, r.json["code"]) == (422, "rule_violation")


# --- diary completion in the participant list ------------------------------------------------

def _log(api, token, day: int, tz, score=5):
    """Log 2027-03-<day> at 20:00 local time on that day."""
    api.app.extensions["paindiary"].clock.set(datetime(2027, 3, day, 20, tzinfo=tz))
    r = api.entry(token, f"2027-03-{day:02d}", score,
                  device_time=datetime(2027, 3, day, 20, tzinfo=tz).isoformat())
    assert r.status_code == 201, r.json


def test_the_participant_list_shows_diary_completion_up_to_yesterday(api, crossover, clock):
    # Everyone enrolled 1 March 17:00 UTC and had infusion 1 at 08:00 UTC that morning:
    # day 0 is 1 March in Paris (09:00) and in Chicago (02:00 CST). Diary days -7..35 are
    # 22 February..5 April, of which only those from enrolment (1 March) on are owed.
    tokens = {}
    for subject, site, tz in (("S001", "PAR", "Europe/Paris"),
                              ("S002", "LYO", "America/Chicago"),
                              ("S003", "PAR", "Europe/Paris")):
        code = api.enrol(crossover, STUDY, subject_id=subject, site=site, sequence="KP",
                         timezone=tz)["activation_code"]
        tokens[subject] = api.activate(code)
        assert api.event(crossover, STUDY, subject, type="infusion", period=1,
                         occurred_at="2027-03-01T08:00:00+00:00").status_code == 201
    for day in (1, 2, 4):
        _log(api, tokens["S001"], day, PARIS)
    for day in (1, 2, 3, 4):
        _log(api, tokens["S002"], day, CHICAGO)
    _log(api, tokens["S003"], 1, PARIS)
    clock.set(datetime(2027, 3, 3, 13, tzinfo=PARIS))
    assert api.c.post(f"/api/v1/studies/{STUDY}/participants/S003/withdrawal",
                      headers=api.bearer(_relogin(api)),
                      json={"reason": "moved away"}).status_code == 200
    # Now: 6 March 03:00 UTC, which is 04:00 on 6 March in Paris, 21:00 on 5 March in Chicago.
    clock.set(datetime(2027, 3, 6, 3, 0, tzinfo=UTC))
    today = api.entry(tokens["S001"], "2027-03-06", 2, device_time="2027-03-06T04:00:00+01:00")
    assert today.status_code == 201

    listing = api.c.get(f"/api/v1/studies/{STUDY}/participants",
                        headers=api.bearer(_relogin(api))).json
    completion = {p["subject_id"]: p["completion"] for p in listing["items"]}
    assert completion == {
        # owed 1..5 March = 5 days; logged 1, 2, 4: 3/5; today (6 March) logged too
        "S001": {"expected_days": 5, "completed_days": 3, "rate": 3 / 5, "today_done": True},
        # Chicago's today is 5 March: owed 1..4 March = 4 days, all logged: 4/4
        "S002": {"expected_days": 4, "completed_days": 4, "rate": 4 / 4, "today_done": False},
        # withdrawn on 3 March (13:00 Paris), a day that still counts: owed 1..3 = 3; 1/3
        "S003": {"expected_days": 3, "completed_days": 1, "rate": round(1 / 3, 4),
                 "today_done": False},
    }


def test_a_corrected_day_counts_once(api, s001, clock):
    api.event(s001["admin"], STUDY, "S001", type="infusion", period=1,
              occurred_at="2027-03-01T08:00:00+00:00")
    _log(api, s001["token"], 1, PARIS, score=6)
    assert api.entry(s001["token"], "2027-03-01", 4, reason="typo").status_code == 201
    clock.set(datetime(2027, 3, 2, 20, tzinfo=PARIS))
    listing = api.c.get(f"/api/v1/studies/{STUDY}/participants",
                        headers=api.bearer(_relogin(api))).json
    # owed: 1 March only (today is 2 March); two versions of it, one day completed
    assert listing["items"][0]["completion"] == {"expected_days": 1, "completed_days": 1,
                                                 "rate": 1.0, "today_done": False}


# --- the schedule ----------------------------------------------------------------------------

def test_the_schedule_lists_windows_and_diary_spans_in_the_participants_zone(api, s001):
    api.event(s001["admin"], STUDY, "S001", type="infusion", period=1,
              occurred_at="2027-03-01T08:00:00+00:00")
    schedule = api.c.get(S001 + "/schedule", headers=api.bearer(s001["admin"])).json
    [window] = schedule["windows"]
    # Day 0 is 1 March (09:00 in Paris); day 7 is 8 March, +- 1 day: 7 March 00:00 to
    # 10 March 00:00 Paris time (UTC+1), i.e. 23:00 UTC the evening before.
    assert {k: window[k] for k in ("assessment", "instrument", "anchor", "occurrence", "period",
                                   "treatment", "target_day", "opens_at", "closes_at",
                                   "opens_local", "closes_local")} == {
        "assessment": "pain_d7", "instrument": "nrs_pain", "anchor": "infusion",
        "occurrence": 0, "period": 1, "treatment": "K", "target_day": 7,
        "opens_at": "2027-03-06T23:00:00+00:00", "closes_at": "2027-03-09T23:00:00+00:00",
        "opens_local": "2027-03-07 00:00:00+01:00", "closes_local": "2027-03-10 00:00:00+01:00",
    }
    [span] = schedule["diary_spans"]
    # days -7..35 around 1 March are 22 February..5 April; owed only from enrolment (1 March)
    assert (span["anchor_date"], span["first"], span["last"], span["treatment"]) == (
        "2027-03-01", "2027-03-01", "2027-04-05", "K")


def test_window_ids_are_stable_across_calls_and_protocol_upgrades_keeping_the_key(
        api, s001, crossover_source):
    api.event(s001["admin"], STUDY, "S001", type="infusion", period=1,
              occurred_at="2027-03-01T08:00:00+00:00")
    h = api.bearer(s001["admin"])
    first = api.c.get(S001 + "/schedule", headers=h).json["windows"]
    assert api.c.get(S001 + "/schedule", headers=h).json["windows"] == first

    wider = crossover_source.replace("window: {open: -P1D, close: P1D}",
                                     "window: {open: -P2D, close: P2D}")
    assert api.upload(s001["admin"], wider,
                      url=f"/api/v1/studies/{STUDY}/versions").status_code == 201
    [upgraded] = api.c.get(S001 + "/schedule", headers=h).json["windows"]
    assert upgraded["id"] == first[0]["id"]
    # 8 March -2 days = 6 March 00:00 Paris; +2 days = 10 March, closing 11 March 00:00
    assert (upgraded["opens_at"], upgraded["closes_at"]) == ("2027-03-05T23:00:00+00:00",
                                                             "2027-03-10T23:00:00+00:00")

    renamed = wider.replace("key: pain_d7", "key: pain_day7")
    assert api.upload(s001["admin"], renamed,
                      url=f"/api/v1/studies/{STUDY}/versions").status_code == 201
    [other] = api.c.get(S001 + "/schedule", headers=h).json["windows"]
    assert other["assessment"] == "pain_day7" and other["id"] != first[0]["id"]


def test_after_a_withdrawal_the_tasks_show_withdrawn_and_no_open_window(api, s001, clock):
    api.event(s001["admin"], STUDY, "S001", type="infusion", period=1,
              occurred_at="2027-03-01T08:00:00+00:00")
    clock.set(datetime(2027, 3, 7, 12, tzinfo=UTC))  # inside the day-7 window
    me = api.bearer(s001["token"])
    before = api.c.get("/api/v1/me/tasks", headers=me).json
    assert [w["assessment"] for w in before["open_windows"]] == ["pain_d7"]
    assert before["withdrawn"] is False and before["diary"]["due"] is True
    r = api.c.post(S001 + "/withdrawal", headers=api.bearer(_relogin(api)),
                   json={"reason": "adverse event"})
    assert r.status_code == 200
    after = api.c.get("/api/v1/me/tasks", headers=me).json
    assert (after["withdrawn"], after["open_windows"], after["diary"]) == (True, [], None)
    assert api.c.get("/api/v1/me", headers=me).json["withdrawn_at"] == "2027-03-07T12:00:00+00:00"


# --- the audit trail -------------------------------------------------------------------------

def test_every_write_adds_audit_records_that_verify_intact(app, api, crossover_source, clock):
    ctx = {}

    def first_admin():
        ctx["admin"] = api.create_admin()  # through the CLI: no HTTP response

    def enrol_refused():
        return api.c.post(f"/api/v1/studies/{STUDY}/participants",
                          headers=api.bearer(ctx["admin"]),
                          json={**CROSSOVER_BODY, "site": "MRS"})

    def enrol():
        r = api.c.post(f"/api/v1/studies/{STUDY}/participants",
                       headers={**api.bearer(ctx["admin"]), "X-Request-Id": "req-enrol-1"},
                       json=CROSSOVER_BODY)
        ctx["code"] = r.json["activation_code"]
        return r

    def reissue():
        r = api.c.post(S001 + "/activation-code", headers=api.bearer(ctx["admin"]))
        ctx["code"] = r.json["activation_code"]
        return r

    def activate():
        r = api.c.post("/api/v1/participant/activate", json={"code": ctx["code"]})
        ctx["token"] = r.json["token"]
        return r

    def entry(score, reason=None, client_id="0b5e3c1a-8f7d-4c2e-9a6b-1d2e3f4a5b6c"):
        return api.entry(ctx["token"], "2027-03-01", score, reason=reason, client_id=client_id)

    steps = [
        # (what, the call, status, the actions it appends to the trail)
        ("create the first administrator", first_admin, None, ["account.create"]),
        ("create a study", lambda: api.upload(ctx["admin"], crossover_source), 201,
         ["protocol.load", "study.create"]),
        ("create an account", lambda: api.c.post(
            "/api/v1/accounts", headers=api.bearer(ctx["admin"]),
            json={"email": "coord@site.org", "password": "long enough pass"}), 201,
         ["account.create"]),
        ("grant a role", lambda: api.c.put(
            f"/api/v1/studies/{STUDY}/roles", headers=api.bearer(ctx["admin"]),
            json={"email": "coord@site.org", "role": "coordinator"}), 200, ["role.grant"]),
        ("a refused enrolment", enrol_refused, 422, []),
        ("enrol", enrol, 201, ["participant.enrol", "activation_code.issue"]),
        ("reissue the activation code", reissue, 201, ["activation_code.issue"]),
        ("activate a device", activate, 200, ["participant.activate"]),
        ("record an event", lambda: api.event(
            ctx["admin"], STUDY, "S001", type="infusion", period=1,
            occurred_at="2027-03-01T08:00:00+00:00"), 201, ["event.record"]),
        ("log pain", lambda: entry(6), 201, ["diary_entry.create"]),
        ("retry the same entry", lambda: entry(6), 200, []),
        ("correct it", lambda: entry(4, "tapped 6, meant 4", client_id=None), 201,
         ["diary_entry.correct"]),
        ("upgrade the protocol", lambda: api.upload(
            ctx["admin"], crossover_source.replace("Minimal", "Amended"),
            url=f"/api/v1/studies/{STUDY}/versions"), 201, ["protocol.load", "study.upgrade"]),
        ("withdraw", lambda: api.c.post(S001 + "/withdrawal", headers=api.bearer(ctx["admin"]),
                                        json={"reason": "moved away"}), 200,
         ["participant.withdraw"]),
        ("withdraw again", lambda: api.c.post(
            S001 + "/withdrawal", headers=api.bearer(ctx["admin"]), json={"reason": "again"}),
         409, []),
    ]
    trail: list[str] = []
    for what, call, status, appended in steps:
        r = call()
        assert r is None if status is None else r.status_code == status, what
        trail += appended
        assert _actions(app) == trail, what

    with app.extensions["paindiary"].session_factory() as s:
        enrolment = s.scalar(select(AuditRecord).where(
            AuditRecord.action == "participant.enrol"))
        assert (enrolment.actor, enrolment.request_id) == ("account:1", "req-enrol-1")
        assert enrolment.after["phone"] is None and enrolment.after["protocol_version"] == 1
        withdrawal = s.scalar(select(AuditRecord).where(
            AuditRecord.action == "participant.withdraw"))
        assert withdrawal.reason == "moved away"
        assert s.scalar(select(func.count()).select_from(AuditRecord)) == len(trail)

    result = app.test_cli_runner().invoke(args=["audit", "verify"])
    assert result.exit_code == 0, result.output
    assert f"audit trail intact: {len(trail)} records verified" in result.output  # 16
