"""The one schedule function across daylight-saving changes, month ends and many anchors.

2027 clock changes used below: America/Chicago 14 March (02:00 CST -> 03:00 CDT, UTC-6 ->
UTC-5) and 7 November (back); Europe/Paris 28 March (CET -> CEST, UTC+1 -> UTC+2) and
31 October (back). Expected instants are written in UTC with the offset arithmetic beside.
"""

from __future__ import annotations

import hashlib
import json
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from diary.protocol.loader import build_protocol, parse_protocol
from diary.protocol.model import Protocol
from diary.schedule import AnchorEvent, ParticipantRef, instance_id, schedule
from diary.timezones import zone

PROTOCOLS = Path(__file__).resolve().parents[3] / "protocols"


def shipped(name: str) -> Protocol:
    return parse_protocol((PROTOCOLS / f"{name}.yaml").read_text(encoding="utf-8"))


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)


def local(tz: str, *args: int) -> datetime:
    return datetime(*args, tzinfo=zone(tz))


def assessment(key: str, offset: str, opens: str, closes: str, *, anchor: str = "surgery",
               repeat: dict | None = None, instrument: str = "nrs_pain") -> dict[str, Any]:
    item = {"key": key, "instrument": instrument, "anchor": anchor, "offset": offset,
            "window": {"open": opens, "close": closes}}
    if repeat:
        item["repeat"] = repeat
    return item


def study(*assessments: dict, diary: dict | None = None, **top: Any) -> Protocol:
    data: dict[str, Any] = {
        "key": "sched", "title": "Schedule test", "timezone": "UTC", "design": "single_group",
        "anchors": [{"key": "surgery", "max_count": None}, {"key": "dose"}],
        "assessments": list(assessments),
    }
    if diary:
        data["daily_diary"] = diary
    data.update(top)
    return build_protocol(data)


JAN_1 = utc(2027, 1, 1)


def participant(tz: str = "UTC", enrolled_at: datetime = JAN_1, pid: str = "p-001",
                **kw: Any) -> ParticipantRef:
    return ParticipantRef(pid, tz, enrolled_at, **kw)


def surgery(at: datetime, eid: str = "ev-1") -> AnchorEvent:
    return AnchorEvent(eid, "surgery", at)


# --- whole-day windows keep local midnight boundaries ------------------------------------

@pytest.mark.parametrize(
    ("tz", "event", "target", "opens_at", "closes_at", "hours"),
    [
        # 00:00 CST = 06:00 UTC; next midnight is CDT, 00:00 CDT = 05:00 UTC.
        pytest.param("America/Chicago", (2027, 3, 13, 10), date(2027, 3, 14),
                     utc(2027, 3, 14, 6), utc(2027, 3, 15, 5), 23, id="Chicago spring forward"),
        # 00:00 CDT = 05:00 UTC; next midnight is CST, 00:00 CST = 06:00 UTC.
        pytest.param("America/Chicago", (2027, 11, 6, 10), date(2027, 11, 7),
                     utc(2027, 11, 7, 5), utc(2027, 11, 8, 6), 25, id="Chicago fall back"),
        # 00:00 CET = 23:00 UTC the day before; 00:00 CEST = 22:00 UTC the day before.
        pytest.param("Europe/Paris", (2027, 3, 27, 10), date(2027, 3, 28),
                     utc(2027, 3, 27, 23), utc(2027, 3, 28, 22), 23, id="Paris spring forward"),
        # 00:00 CEST = 22:00 UTC the day before; 00:00 CET = 23:00 UTC the day before.
        pytest.param("Europe/Paris", (2027, 10, 30, 10), date(2027, 10, 31),
                     utc(2027, 10, 30, 22), utc(2027, 10, 31, 23), 25, id="Paris fall back"),
    ],
)
def test_a_whole_day_window_runs_from_local_midnight_to_local_midnight_on_a_clock_change_day(
        tz, event, target, opens_at, closes_at, hours):
    protocol = study(assessment("day1", "P1D", "P0D", "P0D"))
    [w] = schedule(protocol, participant(tz), [surgery(local(tz, *event))]).windows
    assert (w.opens_at, w.closes_at) == (opens_at, closes_at)
    assert w.closes_at - w.opens_at == timedelta(hours=hours)
    assert w.opens_local.replace(tzinfo=None) == datetime.combine(target, time(0, 0))
    assert w.closes_local.replace(tzinfo=None) == datetime.combine(target + timedelta(1), time(0))
    assert w.target_day == 1


def test_a_week_long_window_containing_the_spring_change_lasts_one_hour_less_than_seven_days():
    # Surgery 10 March; day 7 = 17 March; window 14..20 March inclusive (-3 .. +3 days).
    protocol = study(assessment("d7", "P7D", "-P3D", "P3D"))
    event = surgery(local("America/Chicago", 2027, 3, 10, 8))
    [w] = schedule(protocol, participant("America/Chicago"), [event]).windows
    assert w.opens_at == utc(2027, 3, 14, 6)   # 14 March 00:00 CST (+6 h)
    assert w.closes_at == utc(2027, 3, 21, 5)  # 21 March 00:00 CDT (+5 h)
    assert w.closes_at - w.opens_at == timedelta(hours=7 * 24 - 1)


# --- elapsed windows are real hours -------------------------------------------------------

@pytest.mark.parametrize(
    ("tz", "dose_local", "dose_utc", "wall_hour_at_48h"),
    [
        # 09:00 CST = 15:00 UTC; + 48 h = 15:00 UTC = 10:00 CDT (49 wall-clock hours).
        pytest.param("America/Chicago", (2027, 3, 13, 9), utc(2027, 3, 13, 15), 10,
                     id="Chicago spring forward"),
        # 09:00 CDT = 14:00 UTC; + 48 h = 14:00 UTC = 08:00 CST (47 wall-clock hours).
        pytest.param("America/Chicago", (2027, 11, 6, 9), utc(2027, 11, 6, 14), 8,
                     id="Chicago fall back"),
        # 09:00 CET = 08:00 UTC; + 48 h = 08:00 UTC = 10:00 CEST.
        pytest.param("Europe/Paris", (2027, 3, 27, 9), utc(2027, 3, 27, 8), 10,
                     id="Paris spring forward"),
        # 09:00 CEST = 07:00 UTC; + 48 h = 07:00 UTC = 08:00 CET.
        pytest.param("Europe/Paris", (2027, 10, 30, 9), utc(2027, 10, 30, 7), 8,
                     id="Paris fall back"),
    ],
)
@pytest.mark.parametrize("given_as", ["utc", "local"])
def test_a_48_hour_time_point_is_exactly_48_real_hours_after_the_dose_across_a_clock_change(
        tz, dose_local, dose_utc, wall_hour_at_48h, given_as):
    protocol = study(assessment("h48", "PT48H", "-PT2H", "PT2H", anchor="dose"))
    at = dose_utc if given_as == "utc" else local(tz, *dose_local)
    assert at == dose_utc
    [w] = schedule(protocol, participant(tz), [AnchorEvent("d", "dose", at)]).windows
    assert w.opens_at == dose_utc + timedelta(hours=48 - 2)
    assert w.closes_at == dose_utc + timedelta(hours=48 + 2)
    assert w.opens_at.utcoffset() == timedelta(0)
    assert (w.opens_local + timedelta(hours=2)).hour == wall_hour_at_48h
    assert w.target_day is None


def test_sixty_minutes_after_a_dose_in_the_spring_gap_is_one_real_hour():
    # Dose at 01:30 CST (07:30 UTC); the clocks jump from 02:00 to 03:00, so 60 minutes
    # later is 08:30 UTC, 03:30 CDT on the wall. Window -10/+15 min: 08:20-08:45 UTC.
    protocol = shipped("single-dose-intranasal")
    dose = AnchorEvent("d", "dose", local("America/Chicago", 2027, 3, 14, 1, 30))
    windows = schedule(protocol, participant("America/Chicago", dose.occurred_at), [dose]).windows
    w = next(w for w in windows if w.assessment == "pain_60min")
    assert (w.opens_at, w.closes_at) == (utc(2027, 3, 14, 8, 20), utc(2027, 3, 14, 8, 45))
    assert w.opens_local.replace(tzinfo=None) == datetime(2027, 3, 14, 3, 20)
    predose = next(w for w in windows if w.assessment == "predose_pain")
    assert (predose.opens_at, predose.closes_at) == (utc(2027, 3, 14, 7), utc(2027, 3, 14, 7, 30))


# --- calendar months clamp and never chain ------------------------------------------------

@pytest.mark.parametrize(
    ("anchor_day", "targets", "target_days"),
    [
        pytest.param(date(2027, 1, 31), [date(2027, 2, 28), date(2027, 3, 31), date(2027, 4, 30)],
                     [28, 28 + 31, 28 + 31 + 30], id="31 January 2027"),
        pytest.param(date(2028, 1, 31), [date(2028, 2, 29), date(2028, 3, 31), date(2028, 4, 30)],
                     [29, 29 + 31, 29 + 31 + 30], id="31 January 2028, a leap year"),
        pytest.param(date(2027, 10, 31),
                     [date(2027, 11, 30), date(2027, 12, 31), date(2028, 1, 31)],
                     [30, 30 + 31, 30 + 31 + 31], id="31 October across the year end"),
    ],
)
def test_monthly_repeats_clamp_at_month_ends_and_are_counted_from_the_anchor(
        anchor_day, targets, target_days):
    monthly = assessment("monthly", "P1M", "P0D", "P0D", repeat={"every": "P1M", "count": 3})
    event = surgery(datetime.combine(anchor_day, time(10), zone("Europe/Paris")))
    windows = schedule(study(monthly), participant("Europe/Paris"), [event]).windows
    assert [w.opens_local.date() for w in windows] == targets
    assert [w.target_day for w in windows] == target_days
    assert [w.occurrence for w in windows] == [0, 1, 2]


def test_the_six_month_follow_up_of_an_august_31_surgery_is_on_february_29():
    protocol = shipped("perioperative-ketamine")
    event = surgery(local("Europe/Paris", 2027, 8, 31, 9))
    windows = schedule(protocol, participant("Europe/Paris"), [event]).windows
    by_key = {w.assessment: w for w in windows}
    # Targets: 30 Sep 2027, 30 Nov 2027, 29 Feb 2028; each window is target -14 .. +14 days.
    assert by_key["m1_bpi_sf"].opens_local.date() == date(2027, 9, 30) - timedelta(14)
    assert by_key["m3_dn4"].opens_local.date() == date(2027, 11, 30) - timedelta(14)
    m6 = by_key["m6_nrs_pain"]
    assert m6.target_day == (date(2028, 2, 29) - date(2027, 8, 31)).days == 182
    assert m6.opens_local.date() == date(2028, 2, 15)
    # Closes at the midnight that ends 14 March (29 Feb + 14 days), CET: 23:00 UTC.
    assert m6.closes_at == utc(2028, 3, 14, 23)


# --- deterministic ids --------------------------------------------------------------------

WEEKLY = assessment("weekly", "P7D", "-P1D", "P1D", repeat={"every": "P7D", "count": 3})
H48 = assessment("h48", "PT48H", "-PT2H", "PT2H")
EVENTS = [surgery(utc(2027, 2, 1, 9), "ev-1"), surgery(utc(2027, 6, 1, 9), "ev-2")]


def ids_of(protocol: Protocol, who: ParticipantRef, key: str) -> list[str]:
    return [w.id for w in schedule(protocol, who, EVENTS).windows if w.assessment == key]


def test_the_same_inputs_give_the_same_ids():
    first = schedule(study(WEEKLY, H48), participant(), EVENTS)
    again = schedule(study(WEEKLY, H48), participant(), list(reversed(EVENTS)))
    assert [w.id for w in first.windows] == [w.id for w in again.windows]
    assert all(len(w.id) == 32 and int(w.id, 16) >= 0 for w in first.windows)


def test_ids_survive_a_protocol_upgrade_that_keeps_the_assessment_key():
    v1 = study(WEEKLY, H48, version="1.0", title="Schedule test")
    widened = {**WEEKLY, "window": {"open": "-P2D", "close": "P2D"}, "label": "Weekly pain"}
    v2 = study(assessment("m3", "P3M", "-P14D", "P14D"), widened, version="2.0",
               title="Schedule test, amended")
    assert ids_of(v1, participant(), "weekly") == ids_of(v2, participant(), "weekly")


def test_ids_are_unaffected_by_unrelated_assessments():
    alone = ids_of(study(WEEKLY), participant(), "weekly")
    among = ids_of(study(H48, WEEKLY, assessment("m1", "P1M", "P0D", "P0D")), participant(),
                   "weekly")
    assert alone == among


def test_ids_differ_for_each_participant_event_and_occurrence():
    mine = ids_of(study(WEEKLY), participant(pid="p-001"), "weekly")
    theirs = ids_of(study(WEEKLY), participant(pid="p-002"), "weekly")
    assert len(mine) == len(set(mine)) == 2 * 3  # 2 events x 3 occurrences
    assert not set(mine) & set(theirs)


@pytest.mark.parametrize(
    ("left", "right"),
    [
        (("p-1", "a|b", "ev", 0), ("p-1|a", "b", "ev", 0)),
        (("p-1", "ab", "ev", 0), ("p-1a", "b", "ev", 0)),
        (("p-1", "k", "ev,1", 0), ("p-1", "k", "ev", "1,0")),
        (("p-1", "k", 'ev","x', 0), ("p-1", "k", "ev", "x\",\"0")),
    ],
)
def test_instance_ids_keep_their_fields_apart(left, right):
    assert instance_id(*left) != instance_id(*right)


# --- crossover periods, repeated anchors --------------------------------------------------

def crossover_schedule(withdrawn_at: datetime | None = None):
    protocol = shipped("crossover-ketamine-magnesium")
    who = participant("Europe/Paris", local("Europe/Paris", 2027, 1, 20, 9), sequence="S2",
                      withdrawn_at=withdrawn_at)
    # One infusion every 35 days: 1 Feb + 35 = 8 Mar (28 days of Feb), + 35 = 12 Apr.
    infusions = [AnchorEvent(f"inf-{n}", "infusion", local("Europe/Paris", *day, 9), period=n)
                 for n, day in ((3, (2027, 4, 12)), (1, (2027, 2, 1)), (2, (2027, 3, 8)))]
    return schedule(protocol, who, infusions)


def test_crossover_periods_map_to_treatments_through_the_participants_sequence():
    plan = crossover_schedule()  # sequence S2 = KM, P, K
    assert [(s.period, s.treatment) for s in plan.diary_spans] == [(1, "KM"), (2, "P"), (3, "K")]
    day7 = [w for w in plan.windows if w.assessment == "nrs_d7"]
    assert [(w.period, w.treatment, w.opens_local.date()) for w in day7] == [
        (1, "KM", date(2027, 2, 7)),   # 1 Feb + 7 days, window -1 day
        (2, "P", date(2027, 3, 14)),
        (3, "K", date(2027, 4, 18)),
    ]
    auc_days = [s.day_number(s.last) for s in plan.diary_spans]
    assert auc_days == [35, 35, 35]


def test_overlapping_crossover_diary_spans_merge_into_one_date_each():
    plan = crossover_schedule()
    dates = plan.diary_dates()
    # 3 spans of days -7..35 = 3 * 43 = 129 span-days; consecutive spans share the 8 dates
    # from day 28 (= next day -7) to day 35 (= next day 0): 129 - 2 * 8 = 113 dates,
    # 25 Jan (1 Feb - 7) to 17 May (12 Apr + 35).
    assert len(dates) == 3 * 43 - 2 * 8 == 113
    assert (dates[0], dates[-1]) == (date(2027, 1, 25), date(2027, 5, 17))
    assert dates == sorted(set(dates))
    assert plan.diary_dates(until=date(2027, 2, 3)) == [
        date(2027, 1, 25) + timedelta(n) for n in range(10)]
    shared = date(2027, 3, 1)  # day 28 of period 1 and day -7 of period 2
    assert [s.period for s in plan.diary_spans if shared in s] == [1, 2]


def test_repeated_anchors_give_one_set_of_windows_and_one_diary_span_per_event():
    protocol = shipped("repeated-infusions-paediatric")
    tz = "America/New_York"
    courses = [AnchorEvent(f"course-{n}", "infusion", local(tz, *day, 9))
               for n, day in enumerate([(2027, 1, 4), (2027, 3, 1), (2027, 5, 3), (2027, 9, 6)])]
    plan = schedule(protocol, participant(tz, local(tz, 2027, 1, 4, 8)), courses)
    keys = {"pre_fps_r", "pre_nrs", "post_fps_r", "post_nrs", "side_effects_2h",
            "course_start_function", "course_end_function",
            *(f"m{m}_{what}" for m in (1, 2, 3) for what in ("fps_r", "nrs", "fdi"))}
    for course in courses:
        assert {w.assessment for w in plan.windows if w.event_id == course.id} == keys
    assert len(plan.windows) == 4 * 16
    assert [(s.first, s.last) for s in plan.diary_spans] == [
        (date(2027, 1, 4), date(2027, 1, 14)), (date(2027, 3, 1), date(2027, 3, 11)),
        (date(2027, 5, 3), date(2027, 5, 13)), (date(2027, 9, 6), date(2027, 9, 16))]
    assert len(plan.diary_dates()) == 4 * 11


def test_events_of_types_the_protocol_does_not_declare_are_ignored():
    protocol = study(assessment("day1", "P1D", "P0D", "P0D"))
    plan = schedule(protocol, participant(), [AnchorEvent("x", "infusion", utc(2027, 2, 1))])
    assert plan.windows == () and plan.diary_spans == ()


# --- planned and cancelled events ---------------------------------------------------------

def planned_and_elapsed() -> Protocol:
    return study(assessment("day7", "P7D", "-P1D", "P1D"),
                 assessment("h6", "PT6H", "-PT1H", "PT1H"),
                 diary={"anchor": "surgery", "from_day": -7, "to_day": 14})


def test_a_planned_date_places_day_0_and_calendar_windows_and_waits_for_the_instant():
    tz = "America/Chicago"
    # The date only: 14 March 2027, stored as its local midnight (06:00 UTC, CST).
    midnight = local(tz, 2027, 3, 14, 0)
    planned = AnchorEvent("ev-1", "surgery", midnight, status="planned", date_only=True)
    who = participant(tz, local(tz, 2027, 3, 1, 9))
    plan = schedule(planned_and_elapsed(), who, [planned])
    assert [w.assessment for w in plan.windows] == ["day7"]  # no 6-hour window yet
    assert [(s.anchor_date, s.first, s.last) for s in plan.diary_spans] == [
        (date(2027, 3, 14), date(2027, 3, 7), date(2027, 3, 28))]
    # Confirmed at 07:30 CDT (12:30 UTC): the same day 0, the same window ids, and the
    # 6-hour window from the instant (13:30 CDT +- 1 h = 17:30..19:30 UTC).
    confirmed = AnchorEvent("ev-1", "surgery", local(tz, 2027, 3, 14, 7, 30))
    done = schedule(planned_and_elapsed(), who, [confirmed])
    assert done.diary_spans == plan.diary_spans
    day7 = {w.assessment: w for w in done.windows}
    assert day7["day7"] == plan.windows[0]
    assert (day7["h6"].opens_at, day7["h6"].closes_at) == (utc(2027, 3, 14, 17, 30),
                                                           utc(2027, 3, 14, 19, 30))


def test_a_plan_with_a_time_schedules_like_a_confirmed_event_and_a_cancelled_one_not_at_all():
    at = utc(2027, 3, 14, 8)
    who = participant("UTC")
    planned = schedule(planned_and_elapsed(), who,
                       [AnchorEvent("ev-1", "surgery", at, status="planned")])
    assert planned == schedule(planned_and_elapsed(), who, [AnchorEvent("ev-1", "surgery", at)])
    cancelled = schedule(planned_and_elapsed(), who,
                         [AnchorEvent("ev-1", "surgery", at, status="cancelled")])
    assert cancelled.windows == () and cancelled.diary_spans == ()


def test_a_moved_event_keeps_its_window_ids_and_moves_its_windows():
    who = participant("Europe/Paris")
    first = schedule(planned_and_elapsed(), who,
                     [AnchorEvent("ev-1", "surgery", utc(2027, 3, 10, 8), status="planned")])
    moved = schedule(planned_and_elapsed(), who,
                     [AnchorEvent("ev-1", "surgery", utc(2027, 3, 13, 8), status="planned")])
    assert [w.id for w in moved.windows] == [w.id for w in first.windows]
    assert [w.opens_at - v.opens_at for w, v in zip(moved.windows, first.windows,
                                                   strict=True)] == [timedelta(days=3)] * 2


# --- enrolment and withdrawal -------------------------------------------------------------

def perioperative(who: ParticipantRef, at: datetime):
    return schedule(shipped("perioperative-ketamine"), who, [surgery(at, "surgery-1")])


def test_withdrawal_drops_windows_opening_later_and_clips_the_diary_span():
    tz = "Europe/Paris"
    enrolled, operated = local(tz, 2027, 2, 1, 10), local(tz, 2027, 2, 10, 8)
    full = perioperative(participant(tz, enrolled), operated)
    # baseline + 3 instruments at months 1, 3, 6 + the adverse-event form after surgery
    # and at each visit
    assert len(full.windows) == 1 + 3 * 3 + 1 + 3
    assert (full.diary_spans[0].first, full.diary_spans[0].last) == (
        date(2027, 2, 3), date(2027, 3, 24))  # 10 Feb - 7 days .. 10 Feb + 42 days

    withdrawn = local(tz, 2027, 3, 1, 12)
    plan = perioperative(participant(tz, enrolled, withdrawn_at=withdrawn), operated)
    # Month-1 windows opened on 24 Feb (10 Mar - 14 days), before the withdrawal: kept.
    assert sorted(w.assessment for w in plan.windows) == [
        "ae_m1", "ae_postop", "baseline_bpi_sf", "m1_bpi_sf", "m1_dn4", "m1_nrs_pain"]
    assert all(w.opens_at < withdrawn for w in plan.windows)
    [span] = plan.diary_spans
    assert (span.first, span.last) == (date(2027, 2, 3), date(2027, 3, 1))


def test_a_window_opening_exactly_at_withdrawal_is_dropped():
    protocol = study(assessment("day1", "P1D", "P0D", "P0D"))
    # Day 1 of a 1 Feb surgery opens at 2 Feb 00:00 UTC.
    plan = schedule(protocol, participant(withdrawn_at=utc(2027, 2, 2)),
                    [surgery(utc(2027, 2, 1, 9))])
    assert plan.windows == ()


def test_the_diary_never_starts_before_the_local_date_of_enrolment():
    # Enrolled at 05:30 UTC on 7 Feb, which is 23:30 CST on 6 Feb in Chicago. Surgery
    # 10 Feb: day -7 would be 3 Feb; the diary starts on the local enrolment date, 6 Feb.
    who = participant("America/Chicago", utc(2027, 2, 7, 5, 30))
    [span] = perioperative(who, local("America/Chicago", 2027, 2, 10, 7)).diary_spans
    assert span.first == date(2027, 2, 6)
    assert span.day_number(span.first) == -4
    assert not perioperative(who, local("America/Chicago", 2027, 2, 10, 7)).diary_due(
        date(2027, 2, 5))


def test_an_enrolment_anchored_assessment_starts_from_the_enrolment_instant():
    who = participant("Europe/Paris", local("Europe/Paris", 2027, 2, 1, 10))
    plan = perioperative(who, local("Europe/Paris", 2027, 2, 10, 8))
    baseline = next(w for w in plan.windows if w.assessment == "baseline_bpi_sf")
    assert baseline.event_id == "enrolment"
    assert baseline.opens_at == utc(2027, 1, 31, 23)  # 1 Feb 00:00 CET (+1 h)


def test_a_window_is_open_from_its_opening_instant_until_just_before_it_closes():
    protocol = study(assessment("day1", "P1D", "P0D", "P0D"))
    plan = schedule(protocol, participant(), [surgery(utc(2027, 2, 1, 9))])
    [w] = plan.windows
    assert plan.open_windows(w.opens_at) == [w]
    assert plan.open_windows(w.closes_at - timedelta(microseconds=1)) == [w]
    assert plan.open_windows(w.closes_at) == []
    assert plan.open_windows(w.opens_at - timedelta(microseconds=1)) == []


@given(st.lists(st.text(max_size=12) | st.integers() | st.sampled_from(['"', "\\", "\x7f", "é"]),
                min_size=1, max_size=5))
def test_instance_id_is_the_hash_of_the_json_list(parts):
    encoded = json.dumps([str(p) for p in parts], separators=(",", ":")).encode()
    assert instance_id(*parts) == hashlib.sha256(encoded).hexdigest()[:32]
