"""Coordinators record anchor events: types, periods, order in time, counts, withdrawal."""

from __future__ import annotations

from datetime import timedelta

import pytest

STUDY = "mini-crossover"
S001 = f"/api/v1/studies/{STUDY}/participants/S001"
PARALLEL_BODY = {"subject_id": "S001", "site": "CHI", "arm": "active"}


def _relogin(api) -> str:
    """Staff tokens last 12 h: tests that move the clock by days log in again."""
    return api.login("admin@site.org", "correct horse battery")


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
