"""The batch diary spans equal ``schedule(...).diary_spans`` participant by participant.

The reference is the one schedule function; the cases vary what it decides on: time zones
with daylight-saving changes (events just before and after local midnight on change
days), withdrawal before, inside and after the spans, enrolment after an event, events of
other types, no events, ties on the instant, period None, a diary anchored at enrolment.
"""

from __future__ import annotations

import random
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import numpy as np
import pytest

from diary.protocol.loader import build_protocol, parse_protocol
from diary.protocol.model import Protocol
from diary.schedule import (
    CANCELLED,
    CONFIRMED,
    PLANNED,
    AnchorEvent,
    ParticipantRef,
    schedule,
)
from diary.schedule_batch import (
    NO_INSTANT,
    NOT_WITHDRAWN,
    Events,
    Participants,
    day_number,
    diary_spans_batch,
    local_day_numbers,
)
from diary.timezones import EPOCH, MICROSECOND, local_date, start_of_day, zone

PROTOCOLS = Path(__file__).resolve().parents[3] / "protocols"
# Zones with daylight saving (north and south), a 30-minute change (Lord Howe), a date-line
# change of offset (Apia), none (Kolkata), and UTC.
ZONES = ("Europe/Paris", "America/Chicago", "Australia/Sydney", "Australia/Lord_Howe",
         "Pacific/Apia", "Asia/Kolkata", "UTC")
# 2027 change instants (UTC) near which events are placed: Chicago 14 Mar 08:00 and
# 7 Nov 07:00; Paris 28 Mar and 31 Oct 01:00; Sydney 4 Apr 16:00 (3 Apr) and 2 Oct 16:00.
CHANGES = [datetime(2027, 3, 14, 8, tzinfo=UTC), datetime(2027, 11, 7, 7, tzinfo=UTC),
           datetime(2027, 3, 28, 1, tzinfo=UTC), datetime(2027, 10, 31, 1, tzinfo=UTC),
           datetime(2027, 4, 3, 16, tzinfo=UTC), datetime(2027, 10, 2, 16, tzinfo=UTC)]


def crossover() -> Protocol:
    return parse_protocol((PROTOCOLS / "crossover-ketamine-magnesium.yaml")
                          .read_text(encoding="utf-8"))


def surgery_diary(anchor: str = "surgery", from_day: int = -3, to_day: int = 10) -> Protocol:
    return build_protocol({
        "key": "batch", "title": "Batch spans", "timezone": "UTC", "design": "single_group",
        "anchors": [{"key": "surgery", "max_count": None}, {"key": "dose"}],
        "daily_diary": {"measure": "nrs_pain", "anchor": anchor, "from_day": from_day,
                        "to_day": to_day},
    })


def random_instant(rng: random.Random) -> datetime:
    """Near a clock change (minutes either side of it, or of local midnights) or anywhere."""
    if rng.random() < 0.6:
        base = rng.choice(CHANGES) + timedelta(days=rng.choice([-1, 0, 1]))
        return base + timedelta(minutes=rng.randint(-180, 180))
    return datetime(2027, 1, 1, tzinfo=UTC) + timedelta(minutes=rng.randint(0, 525_600))


def random_study(rng: random.Random, n: int, types: tuple[str, ...], sequences: list[str],
                 *, plans: bool = False):
    """``n`` participants as refs, and (participant number, event) pairs, shuffled as a
    database may return them. ``plans``: events are also planned (some with a date only,
    stored as that date's local midnight) or cancelled."""
    refs, events = [], []
    for i in range(n):
        enrolled = random_instant(rng) - timedelta(days=rng.choice([0, 2, 20, 60]))
        withdrawn = rng.choice([None, None, enrolled + timedelta(days=rng.randint(-1, 90),
                                                                  minutes=rng.randint(0, 1440))])
        refs.append(ParticipantRef(f"p{i:03d}", rng.choice(ZONES), enrolled,
                                   rng.choice(sequences), withdrawn))
        shared = random_instant(rng)  # ties on the instant break by id
        for j in range(rng.choice([0, 1, 2, 3, 4])):
            at = shared if rng.random() < 0.2 else random_instant(rng)
            period = rng.choice([None, 1, 2, 3, 4])
            status, date_only = CONFIRMED, False
            if plans:
                status = rng.choice([PLANNED, CONFIRMED, CANCELLED])
                date_only = status != CONFIRMED and rng.random() < 0.5
            if date_only:
                tz = zone(refs[-1].timezone)
                at = start_of_day(local_date(at, tz), tz)
            events.append((i, AnchorEvent(f"e{rng.randint(0, 99)}-{j}", rng.choice(types),
                                          at, period, status, date_only)))
    rng.shuffle(events)
    return refs, events


def micros(instants: list[datetime | None]) -> np.ndarray:
    """Microseconds from 1970-01-01 UTC, NO_INSTANT for None (as the export reads them)."""
    return np.array([NO_INSTANT if at is None else (at - EPOCH) // MICROSECOND
                     for at in instants], dtype=np.int64)


def batch(protocol: Protocol, refs: list[ParticipantRef],
          events: list[tuple[int, AnchorEvent]]):
    return diary_spans_batch(
        protocol,
        Participants([r.timezone for r in refs], micros([r.enrolled_at for r in refs]),
                     micros([r.withdrawn_at for r in refs]), [r.sequence for r in refs]),
        Events(np.array([k for k, _ in events], dtype=np.int64), [e.id for _, e in events],
               [e.type for _, e in events], micros([e.occurred_at for _, e in events]),
               [e.period for _, e in events], [e.status for _, e in events]))


def assert_same_as_schedule(protocol, refs, events):
    got = batch(protocol, refs, events)
    for k, ref in enumerate(refs):
        mine = [e for owner, e in events if owner == k]
        want = schedule(protocol, ref, mine, with_windows=False).diary_spans
        rows = np.flatnonzero(got.participant == k)
        assert [got.span(int(i)) for i in rows] == list(want), ref
        assert got.ordinal[rows].tolist() == list(range(len(want)))
        tz = zone(ref.timezone)
        assert got.enrolled_day[k] == day_number(local_date(ref.enrolled_at, tz))
        assert got.withdrawn_day[k] == (NOT_WITHDRAWN if ref.withdrawn_at is None
                                        else day_number(local_date(ref.withdrawn_at, tz)))
    # Grouped by participant, in input order.
    assert (np.diff(got.participant) >= 0).all()


@pytest.mark.parametrize("seed", range(6))
def test_crossover_spans_equal_the_schedule_of_each_participant(seed):
    refs, events = random_study(random.Random(seed), 60, ("infusion", "infusion", "other"),
                                ["S1", "S2", "S6", "unknown"])
    assert_same_as_schedule(crossover(), refs, events)


@pytest.mark.parametrize(("anchor", "from_day", "to_day"),
                         [("surgery", -3, 10), ("surgery", 0, 0), ("dose", 2, 40),
                          ("enrolment", -7, 14), ("enrolment", 1, 3)])
@pytest.mark.parametrize("seed", range(3))
def test_spans_of_other_anchors_equal_the_schedule(anchor, from_day, to_day, seed):
    refs, events = random_study(random.Random(100 + seed), 50, ("surgery", "dose", "enrolment"),
                                [None])
    assert_same_as_schedule(surgery_diary(anchor, from_day, to_day), refs, events)


@pytest.mark.parametrize("seed", range(4))
def test_planned_and_cancelled_events_give_the_spans_of_the_schedule(seed):
    """Planned events (with a time or a date only) start spans, cancelled ones none."""
    refs, events = random_study(random.Random(200 + seed), 60, ("surgery", "dose"), [None],
                                plans=True)
    statuses = {e.status for _, e in events}
    assert statuses == {PLANNED, CONFIRMED, CANCELLED}
    assert_same_as_schedule(surgery_diary("surgery", -7, 10), refs, events)


def test_a_cancelled_event_starts_no_span_in_the_batch_or_the_schedule():
    who = ParticipantRef("p000", "Europe/Paris", datetime(2027, 3, 1, tzinfo=UTC))
    at = datetime(2027, 3, 20, 8, tzinfo=UTC)
    cancelled = AnchorEvent("e0", "surgery", at, None, CANCELLED)
    planned = AnchorEvent("e1", "surgery", at, None, PLANNED)
    protocol = surgery_diary("surgery", -7, 10)
    assert len(batch(protocol, [who], [(0, cancelled)])) == 0
    assert schedule(protocol, who, [cancelled], with_windows=False).diary_spans == ()
    assert batch(protocol, [who], [(0, planned)]).span(0).first == date(2027, 3, 13)


def test_no_participants_and_no_events_give_no_spans():
    got = batch(crossover(), [], [])
    assert len(got) == 0 and got.enrolled_day.size == 0
    one = [ParticipantRef("p000", "Europe/Paris", datetime(2027, 1, 1, tzinfo=UTC))]
    assert len(batch(crossover(), one, [])) == 0


def test_a_withdrawal_before_the_span_drops_it_and_one_inside_cuts_it():
    tz = "America/Chicago"
    enrolled = datetime(2027, 3, 1, 15, tzinfo=UTC)
    # Infusion at 23:30 CDT on 14 Mar = 04:30 UTC on 15 Mar: day 0 is the local 14 Mar.
    infusion = AnchorEvent("e0", "infusion", datetime(2027, 3, 15, 4, 30, tzinfo=UTC), 1)
    late = AnchorEvent("e1", "infusion", datetime(2027, 6, 1, 14, tzinfo=UTC), 2)
    who = ParticipantRef("p000", tz, enrolled, "S1",
                         withdrawn_at=datetime(2027, 3, 20, 3, tzinfo=UTC))  # 19 Mar local
    got = batch(crossover(), [who], [(0, late), (0, infusion)])
    assert [got.span(i) for i in range(len(got))] == list(
        schedule(crossover(), who, [infusion, late], with_windows=False).diary_spans)
    assert len(got) == 1  # the second period starts after the withdrawal
    span = got.span(0)
    assert (span.anchor_date, span.first, span.last) == (
        date(2027, 3, 14), date(2027, 3, 7), date(2027, 3, 19))  # -7 .. withdrawal


def test_local_day_numbers_follow_each_zone_and_mark_missing_instants():
    at = datetime(2027, 3, 28, 0, 30, tzinfo=UTC)  # 01:30 CET in Paris, 19:30 CDT in Chicago
    got = local_day_numbers(micros([at, at, None]), ["Europe/Paris", "America/Chicago", "UTC"])
    assert got.tolist() == [day_number(date(2027, 3, 28)), day_number(date(2027, 3, 27)),
                            NOT_WITHDRAWN]
