"""The batch planner returns exactly what ``plan_with_next`` returns, participant by
participant, however many of them share a diary pattern."""

from __future__ import annotations

from datetime import timedelta

from hypothesis import given, settings
from hypothesis import strategies as st

from diary.schedule import AnchorEvent
from notifications.batch_planner import BatchPlanner
from notifications.planner import Completed, PlannerParticipant, plan_with_next
from tests.unit.planner.support import make_schedule, study, utc

ZONES = ["Europe/Paris", "America/Chicago"]  # few, so participants share patterns
TIMES = [None, "20:00", "21:30"]


@st.composite
def cohorts(draw):
    rules = {"daily_time": "20:00",
             "nudge_after": draw(st.sampled_from([None, "PT2H"])),
             "window_closing_before": draw(st.sampled_from([None, "P1D"])),
             "missed_days_alert": draw(st.sampled_from([None, 2, 3])),
             "quiet_hours": {"start": "22:00", "end": "08:00"}}
    windows = [{"key": f"w{i}", "instrument": "nrs_pain", "anchor": "surgery",
                "offset": offset, "window": {"open": "-P1D", "close": "P1D"}}
               for i, offset in enumerate(["P1D", "P7D"])]
    protocol = study(reminders={k: v for k, v in rules.items() if v is not None},
                     assessments=windows)
    # Around the spring-forward weekends of Chicago and Paris (10 and 28 March 2027).
    now = utc(2027, 3, 8) + timedelta(minutes=draw(st.integers(0, 60 * 24 * 25)))
    people = []
    for n in range(draw(st.integers(1, 12))):
        tz = draw(st.sampled_from(ZONES))
        enrolled = now - timedelta(days=draw(st.integers(0, 12)), hours=draw(st.integers(0, 3)))
        surgery = enrolled + timedelta(days=draw(st.integers(0, 4)))
        pid = f"p-{n}"
        sched = make_schedule(protocol, tz, enrolled, [AnchorEvent(f"op{n}", "surgery", surgery)],
                              pid=pid)
        done_days = draw(st.sets(st.integers(-14, 2), max_size=6))
        done = Completed({(now + timedelta(days=d)).date() for d in done_days},
                         {w.id for w in sched.windows if draw(st.booleans())})
        stop = draw(st.sampled_from([None, None, timedelta(hours=-5), timedelta(hours=30)]))
        who = PlannerParticipant(
            pid, tz, reminder_time=draw(st.sampled_from(TIMES)),
            has_phone=draw(st.booleans()) or n % 2 == 0,
            withdrawn_at=now + stop if stop is not None and n % 3 == 0 else None,
            opted_out_at=now + stop if stop is not None and n % 3 == 1 else None)
        people.append((who, sched, done))
    return protocol, now, people


@settings(max_examples=200, deadline=None)
@given(cohorts())
def test_batch_equals_one_by_one(cohort):
    protocol, now, people = cohort
    batch = BatchPlanner(now)
    for who, sched, done in people:
        assert batch.plan(protocol, who, sched, done) == plan_with_next(
            protocol, who, sched, done, now)


def test_a_shared_pattern_gives_each_participant_its_own_keys():
    protocol = study(reminders={"missed_days_alert": 2})
    now = utc(2027, 3, 10, 20)
    batch = BatchPlanner(now)
    keys = []
    for pid in ("a", "b"):
        sched = make_schedule(protocol, "UTC", utc(2027, 3, 1), pid=pid)
        due, _ = batch.plan(protocol, PlannerParticipant(pid, "UTC"), sched, Completed())
        assert {r.participant_id for r in due} == {pid}
        assert all(dict(r.params).get("participant", pid) == pid for r in due)
        keys.append({r.key for r in due})
    assert keys[0] and not keys[0] & keys[1]
