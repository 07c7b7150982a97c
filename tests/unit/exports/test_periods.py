"""The export's records equal what one ``schedule`` call per participant gives.

The reference below is the per-participant loop the export ran before issue 3's batch
form: each diary span of ``schedule`` becomes a record, with "today" and the withdrawal
date in the participant's zone, the sequence's treatment (else the arm, else "ALL") and
the period (else the span's position).
"""

from __future__ import annotations

import random
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest

from diary.exports.periods import study_periods
from diary.protocol.loader import build_protocol, parse_protocol
from diary.schedule import AnchorEvent, ParticipantRef, schedule
from diary.timezones import EPOCH, MICROSECOND, local_date, zone

PROTOCOL = parse_protocol((Path(__file__).resolve().parents[3]
                           / "protocols/crossover-ketamine-magnesium.yaml").read_text("utf-8"))
ZONES = ("Europe/Paris", "America/Chicago", "Australia/Sydney", "Asia/Kolkata")
NOW = datetime(2027, 6, 1, 21, 30, tzinfo=UTC)  # already 2 June east of Paris


def reference(protocol, participants, events, now) -> list[tuple]:
    rows = []
    for pid, subject, site, arm, sequence, tz, enrolled, withdrawn in participants:
        ref = ParticipantRef(pid, tz, enrolled, sequence, withdrawn)
        mine = [AnchorEvent(e, kind, at, period)
                for e, owner, kind, period, at in events if owner == pid]
        z = zone(tz)
        today, stop = local_date(now, z), withdrawn and local_date(withdrawn, z)
        own = []
        for k, s in enumerate(schedule(protocol, ref, mine, with_windows=False).diary_spans):
            own.append((subject, site, s.treatment or arm or "ALL",
                        k + 1 if s.period is None else s.period, sequence, s.anchor_date,
                        (today - s.anchor_date).days,
                        (stop - s.anchor_date).days if stop else None,
                        pid, s.event_id, (local_date(enrolled, z) - s.anchor_date).days, None))
        # Intention to treat: a record for each period of the sequence (one without a
        # valid sequence) that has none, without anchor, placed by period.
        crossover = protocol.sequence(sequence) if sequence else None
        expected = range(1, 1 + (len(crossover.treatments) if crossover else 1))
        missing = [p for p in expected if p not in {row[3] for row in own}]
        for p in missing:
            anchored = any(e.type == "infusion" and e.period == p for e in mine)
            why = (f"infusion recorded for period {p}, but no diary day of it falls between "
                   "enrolment and withdrawal" if anchored
                   else f"no infusion recorded for period {p}")
            treatment = crossover.treatments[p - 1] if crossover else arm or "ALL"
            own.append((subject, site, treatment, p, sequence, None, None, None, pid, None,
                        0, why))
        rows += sorted(own, key=lambda row: row[3]) if missing else own
    return rows


def as_read(rows: list[tuple]) -> list[tuple]:
    """Rows as the export reads them: instants as microseconds (epoch_us on PostgreSQL)."""
    return [tuple((v - EPOCH) // MICROSECOND if isinstance(v, datetime) else v for v in row)
            for row in rows]


def study(seed: int, n: int = 80):
    """Participant rows (some withdrawn, some without events or sequence) and event rows
    (shuffled; some of other participants, as when the export is limited to sites)."""
    rng = random.Random(seed)
    start = datetime(2027, 1, 5, 9, tzinfo=UTC)
    participants, events = [], []
    for i in range(n):
        enrolled = start + timedelta(days=rng.randint(0, 60), minutes=rng.randint(0, 1439))
        withdrawn = rng.choice([None, None, enrolled + timedelta(days=rng.randint(0, 120),
                                                                  hours=rng.randint(0, 23))])
        participants.append((f"p{i:03d}", f"S-{i:03d}", rng.choice(["A", "B"]),
                             rng.choice([None, "ARM1"]), rng.choice(["S1", "S4", None, "S9"]),
                             rng.choice(ZONES), enrolled, withdrawn))
        first = enrolled + timedelta(days=rng.randint(-3, 12), minutes=rng.randint(-600, 600))
        for k in range(rng.choice([0, 1, 3, 3, 3])):
            events.append((f"e{i}-{k}", f"p{i:03d}", rng.choice(["infusion"] * 5 + ["other"]),
                           rng.choice([k + 1, k + 1, None]),
                           first + timedelta(days=42 * k, minutes=rng.randint(-90, 90))))
    events.append(("elsewhere", "p-other-site", "infusion", 1, start))
    rng.shuffle(events)
    return participants, events


@pytest.mark.parametrize("seed", range(5))
def test_records_equal_the_per_participant_reference(seed):
    participants, events = study(seed)
    got = study_periods(PROTOCOL, as_read(participants), as_read(events), NOW)
    r = got.records
    columns = [r.column(f) for f in ("subject", "site", "treatment", "period", "sequence",
                                     "anchor_date", "today_day", "stop_day")]
    rows = list(zip(*columns, got.pid, got.event_id, got.start_days, r.column("missing"),
                    strict=True))
    assert rows == reference(PROTOCOL, participants, events, NOW)
    # Every participant has a record, some without their infusion (the test would not
    # show intention to treat otherwise).
    assert {row[0] for row in rows} == {p[1] for p in participants}
    assert any(row[-1] for row in rows) and any(not row[-1] for row in rows)
    # The ordinal is each anchored record's position among its participant's records.
    seen: dict[str, int] = {}
    for pid, k in zip(got.pid, got.ordinal.tolist(), strict=True):
        if k < 0:
            continue
        assert k == seen.get(pid, 0)
        seen[pid] = k + 1


def test_windows_are_the_schedules_when_asked_for():
    participants, events = study(7, n=10)
    got = study_periods(PROTOCOL, as_read(participants), as_read(events), NOW,
                        with_windows=True)
    pid, _, _, _, sequence, tz, enrolled, withdrawn = participants[3]
    mine = [AnchorEvent(e, kind, at, period)
            for e, owner, kind, period, at in events if owner == pid]
    want = schedule(PROTOCOL, ParticipantRef(pid, tz, enrolled, sequence, withdrawn), mine)
    assert got.windows[pid] == {w.id: w for w in want.windows}
    assert study_periods(PROTOCOL, as_read(participants), as_read(events), NOW).windows == {}


def test_no_participants_give_no_records():
    got = study_periods(PROTOCOL, [], [], NOW)
    assert len(got.records) == 0 and got.pid == [] and got.start_days == []


def test_without_a_daily_diary_each_event_of_the_first_anchor_type_is_a_period():
    protocol = build_protocol({
        "key": "no-diary", "title": "No diary", "timezone": "UTC", "design": "single_group",
        "anchors": [{"key": "surgery", "max_count": None}, {"key": "dose"}]})
    tz = "America/Chicago"
    enrolled = datetime(2027, 3, 1, 15, tzinfo=UTC)
    participants = [("p0", "S-0", "A", None, None, tz, enrolled, None)]
    # 04:30 UTC on 15 March is 23:30 CDT on the 14th; the dose is not an anchor here.
    events = [("late", "p0", "surgery", None, datetime(2027, 5, 2, 12, tzinfo=UTC)),
              ("dose", "p0", "dose", None, datetime(2027, 3, 2, 12, tzinfo=UTC)),
              ("early", "p0", "surgery", None, datetime(2027, 3, 15, 4, 30, tzinfo=UTC))]
    got = study_periods(protocol, as_read(participants), as_read(events), NOW)
    assert got.event_id == ["early", "late"]
    assert got.records.column("period") == [1, 2]
    assert got.records.column("anchor_date") == [date(2027, 3, 14), date(2027, 5, 2)]
    assert got.start_days == [-13, -62]  # enrolled on 1 March (local)


def test_a_participant_without_its_anchor_has_one_record_with_the_reason():
    """Intention to treat, parallel design: no surgery recorded, still one record."""
    protocol = build_protocol({
        "key": "itt", "title": "ITT", "timezone": "UTC", "design": "parallel",
        "arms": [{"key": "A"}, {"key": "B"}], "anchors": [{"key": "surgery"}],
        "daily_diary": {"anchor": "surgery", "from_day": -7, "to_day": 42}})
    tz = "Europe/Paris"
    enrolled = datetime(2027, 3, 1, 15, tzinfo=UTC)
    participants = [("p0", "S-0", "A", "B", None, tz, enrolled, None),
                    ("p1", "S-1", "A", "A", None, tz, enrolled, None)]
    events = [("s1", "p1", "surgery", None, datetime(2027, 3, 3, 8, tzinfo=UTC))]
    got = study_periods(protocol, as_read(participants), as_read(events), NOW)
    r = got.records
    assert list(zip(r.column("subject"), r.column("treatment"), r.column("period"),
                    r.column("anchor_date"), r.column("missing"), strict=True)) == [
        ("S-0", "B", 1, None, "no surgery recorded"),
        ("S-1", "A", 1, date(2027, 3, 3), None)]
    assert got.event_id == [None, "s1"] and got.ordinal.tolist() == [-1, 0]
    assert got.start_days == [0, -2]
