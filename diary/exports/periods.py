"""A study's participant-periods (the export's records) and where each one's day 0 is.

With a daily diary, the records are the diary spans of all participants, computed at
once by :func:`diary.schedule_batch.diary_spans_batch` (issue 3: one ``schedule`` call
per participant cost a quarter of the export). Without one, each participant's events of
the first anchor type (or its enrolment) are its periods, as before.

Intention to treat (issue 13): a participant without the records it should have (no
anchor event recorded, a crossover period without its infusion) gets one record per
missing period, without an anchor date or event (``event_id`` None, ``ordinal`` -1) and
with the reason in ``missing`` (:mod:`diary.exports.itt`).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta

import numpy as np

from diary.exports.instants import micros
from diary.exports.itt import missing_records
from diary.protocol.model import ENROLMENT, Protocol
from diary.schedule import AnchorEvent, DiarySpan, ParticipantRef, schedule, treatment_in
from diary.schedule_batch import (
    EPOCH_ORDINAL,
    NO_INSTANT,
    NOT_WITHDRAWN,
    Events,
    Participants,
    day_number,
    diary_spans_batch,
    local_day_numbers,
)
from diary.timezones import EPOCH, local_date, zone
from scoring.records import FIELDS, PeriodRecords

# Rows as load_study_records reads them, instants as diary.exports.instants.epoch_us.
PARTICIPANT_COLUMNS = ("id", "subject_id", "site", "arm", "sequence", "timezone",
                       "enrolled_at", "withdrawn_at")
EVENT_COLUMNS = ("id", "participant_id", "type", "period", "occurred_at")


@dataclass(frozen=True)
class StudyPeriods:
    """The records, and per record: its participant, anchor event, position among the
    participant's records (``ordinal``), day 0 and enrolment date as day numbers
    (from 1970-01-01). ``windows``: per participant its assessment windows by id, when
    asked for."""

    records: PeriodRecords
    pid: list[str]
    event_id: list[str | None]  # None: a record without its anchor event (ITT)
    ordinal: np.ndarray
    anchor_day: np.ndarray
    enrolled_day: np.ndarray
    windows: dict[str, dict]

    @property
    def owners(self) -> list[tuple[str, str]]:
        """Per record, (participant id, anchor event id)."""
        return list(zip(self.pid, self.event_id, strict=True))

    @property
    def start_days(self) -> list[int]:
        """Per record, the study day of the participant's enrolment date."""
        return (self.enrolled_day - self.anchor_day).tolist()


def study_periods(protocol: Protocol, participants: Sequence[Sequence],
                  events: Sequence[Sequence], now: datetime, *,
                  with_windows: bool = False) -> StudyPeriods:
    """The records of ``participants`` (rows of ``PARTICIPANT_COLUMNS``), in their order,
    given the study's ``events`` (rows of ``EVENT_COLUMNS``; others' are ignored); every
    participant has its expected records (intention to treat)."""
    found = _study_periods(protocol, participants, events, now, with_windows=with_windows)
    return _with_missing(protocol, found, participants, events)


def _study_periods(protocol: Protocol, participants: Sequence[Sequence],
                   events: Sequence[Sequence], now: datetime, *,
                   with_windows: bool = False) -> StudyPeriods:
    pids, subject, site, arm, sequence, tz, enrolled, withdrawn = _columns(
        participants, PARTICIPANT_COLUMNS)
    people = Participants(tz, micros(enrolled), micros(withdrawn), sequence)
    number = {pid: i for i, pid in enumerate(pids)}
    mine = [e for e in events if e[1] in number]  # others: participants of other sites
    event_id, owner, kind, period, occurred = _columns(mine, EVENT_COLUMNS)
    ev = Events(np.fromiter((number[pid] for pid in owner), np.int64, len(mine)), event_id,
                kind, micros(occurred), period)
    windows: dict[str, dict] = {}
    if with_windows:  # questionnaire endpoints only; the one schedule function decides
        refs = _event_refs(ev)
        for i, pid in enumerate(pids):
            sched = schedule(protocol, _participant_ref(people, pids, i), refs.get(i, []))
            windows[pid] = {w.id: w for w in sched.windows}
    if protocol.daily_diary is None:
        return _anchor_periods(protocol, pids, subject, site, arm, people, ev, now, windows)

    spans = diary_spans_batch(protocol, people, ev)
    who = spans.participant.tolist()
    anchor = spans.anchor_day
    # "Today" per time zone: a study has few.
    zone_names, zone_of = np.unique(np.array(tz, dtype=str), return_inverse=True)
    today = np.array([day_number(local_date(now, zone(z))) for z in zone_names.tolist()],
                     dtype=np.int64)[zone_of] if pids else np.zeros(0, np.int64)
    stop_day = spans.withdrawn_day[spans.participant]
    stopped = (stop_day != NOT_WITHDRAWN).tolist()
    stop = np.where(stop_day == NOT_WITHDRAWN, 0, stop_day - anchor).tolist()
    # Record days are dates: one object per distinct date, shared by the records.
    dates = {d: date.fromordinal(d + EPOCH_ORDINAL) for d in np.unique(anchor).tolist()}
    records = PeriodRecords(
        subject=[subject[p] for p in who],
        site=[site[p] for p in who],
        treatment=[t or arm[p] or "ALL" for t, p in zip(spans.treatment, who, strict=True)],
        period=[k + 1 if per is None else per
                for per, k in zip(spans.period, spans.ordinal.tolist(), strict=True)],
        sequence=[sequence[p] for p in who],
        anchor_date=[dates[d] for d in anchor.tolist()],
        today_day=(today[spans.participant] - anchor).tolist(),
        stop_day=[s if w else None for s, w in zip(stop, stopped, strict=True)],
        start_day=(spans.enrolled_day[spans.participant] - anchor).tolist(),
    )
    return StudyPeriods(records, [pids[p] for p in who], spans.event_id, spans.ordinal,
                        anchor, spans.enrolled_day[spans.participant], windows)


def _anchor_periods(protocol, pids, subject, site, arm, people, ev, now,
                    windows) -> StudyPeriods:
    """Without a daily diary: one record per event of the first anchor type (enrolment
    when the protocol has none), participant by participant."""
    refs = _event_refs(ev)
    cols: dict[str, list] = {f: [] for f in ("subject", "site", "treatment", "period",
                                             "sequence", "anchor_date", "today_day",
                                             "stop_day", "start_day")}
    pid, event_id, ordinal, anchor_day, enrolled_day = [], [], [], [], []
    today_in: dict[str, date] = {}  # "today" per time zone (a study has few)
    for i in range(len(pids)):
        ref = _participant_ref(people, pids, i)
        tz = zone(ref.timezone)
        today = today_in.get(ref.timezone)
        if today is None:
            today = today_in[ref.timezone] = local_date(now, tz)
        stop = local_date(ref.withdrawn_at, tz) if ref.withdrawn_at else None
        enrolled = day_number(local_date(ref.enrolled_at, tz))
        for k, s in enumerate(_anchor_spans(protocol, ref, refs.get(i, []), tz)):
            cols["subject"].append(subject[i])
            cols["site"].append(site[i])
            cols["treatment"].append(s.treatment or arm[i] or "ALL")
            cols["period"].append(s.period if s.period is not None else k + 1)
            cols["sequence"].append(ref.sequence)
            cols["anchor_date"].append(s.anchor_date)
            cols["today_day"].append((today - s.anchor_date).days)
            cols["stop_day"].append((stop - s.anchor_date).days if stop else None)
            cols["start_day"].append(enrolled - day_number(s.anchor_date))
            pid.append(ref.id)
            event_id.append(s.event_id)
            ordinal.append(k)
            anchor_day.append(day_number(s.anchor_date))
            enrolled_day.append(enrolled)
    return StudyPeriods(PeriodRecords(**cols), pid, event_id,
                        np.array(ordinal, dtype=np.int64), np.array(anchor_day, dtype=np.int64),
                        np.array(enrolled_day, dtype=np.int64), windows)


def _with_missing(protocol: Protocol, found: StudyPeriods, participants: Sequence[Sequence],
                  events: Sequence[Sequence]) -> StudyPeriods:
    """``found`` with a record for each expected period a participant has none for, placed
    among its records by period (participants without one keep their order)."""
    pids, subject, site, arm, sequence, tz, enrolled_us, _ = _columns(participants,
                                                                     PARTICIPANT_COLUMNS)
    if protocol.daily_diary is not None:
        anchor = protocol.daily_diary.anchor
    else:
        anchor = protocol.anchors[0].key if protocol.anchors else ENROLMENT
    number = {pid: i for i, pid in enumerate(pids)}
    owner = [number[pid] for pid in found.pid]
    periods = found.records.column("period")
    have: list[set[int]] = [set() for _ in pids]
    for p, period in zip(owner, periods, strict=True):
        have[p].add(period)
    recorded: list[set[int | None]] = [{None} if anchor == ENROLMENT else set() for _ in pids]
    for _, pid, kind, period, _ in events:
        if kind == anchor and pid in number:
            recorded[number[pid]].add(period)
    missing = missing_records(protocol, anchor, sequence, arm, have, recorded)
    if not missing:
        return found
    enrolled = local_day_numbers(micros(enrolled_us), tz).tolist()
    columns = {f: list(found.records.column(f)) for f in FIELDS}
    added = {f: [None] * len(missing) for f in FIELDS}
    for k, m in enumerate(missing):
        added["subject"][k], added["site"][k] = subject[m.participant], site[m.participant]
        added["treatment"][k], added["period"][k] = m.treatment, m.period
        added["sequence"][k], added["missing"][k] = sequence[m.participant], m.reason
    patched = {m.participant for m in missing}
    n = len(owner)
    keys = [(p, period if p in patched else 0, j)
            for j, (p, period) in enumerate(zip(owner, periods, strict=True))]
    keys += [(m.participant, m.period, n + k) for k, m in enumerate(missing)]
    order = [j for *_, j in sorted(keys)]
    merged = {f: columns[f] + added[f] for f in FIELDS}
    pid = found.pid + [pids[m.participant] for m in missing]
    event_id = list(found.event_id) + [None] * len(missing)
    day0 = [enrolled[m.participant] for m in missing]  # no anchor: start_days come out 0
    return StudyPeriods(
        PeriodRecords(**{f: [merged[f][j] for j in order] for f in FIELDS}),
        [pid[j] for j in order], [event_id[j] for j in order],
        np.concatenate([found.ordinal, np.full(len(missing), -1, np.int64)])[order],
        np.concatenate([found.anchor_day, np.array(day0, np.int64)])[order],
        np.concatenate([found.enrolled_day, np.array(day0, np.int64)])[order],
        found.windows)


def _anchor_spans(protocol, ref, events, tz) -> list[DiarySpan]:
    anchor = protocol.anchors[0].key if protocol.anchors else ENROLMENT
    chosen = [e for e in events if e.type == anchor] if protocol.anchors else [
        AnchorEvent(ENROLMENT, ENROLMENT, ref.enrolled_at)]
    spans = []
    for e in sorted(chosen, key=lambda e: e.occurred_at):
        day0 = local_date(e.occurred_at, tz)
        spans.append(DiarySpan(e.id, e.type, e.period,
                               treatment_in(protocol, ref.sequence, e.period), day0, day0, day0))
    return spans


def _columns(rows: Sequence[Sequence], names: tuple[str, ...]) -> list[Sequence]:
    return list(zip(*rows, strict=True)) or [()] * len(names)


def _instant(us: int) -> datetime | None:
    """An aware UTC datetime again, as the ORM would have read it (windows, no diary)."""
    return None if us == NO_INSTANT else EPOCH + timedelta(microseconds=us)


def _participant_ref(people: Participants, pids, i: int) -> ParticipantRef:
    return ParticipantRef(pids[i], people.timezone[i], _instant(int(people.enrolled_us[i])),
                          people.sequence[i], _instant(int(people.withdrawn_us[i])))


def _event_refs(ev: Events) -> dict[int, list[AnchorEvent]]:
    """Per participant number, its events as the schedule takes them (in given order)."""
    refs: dict[int, list[AnchorEvent]] = {}
    for p, event_id, kind, us, period in zip(ev.participant.tolist(), ev.id, ev.type,
                                             ev.occurred_us.tolist(), ev.period, strict=True):
        refs.setdefault(p, []).append(AnchorEvent(event_id, kind, _instant(us), period))
    return refs
