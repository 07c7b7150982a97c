"""The one schedule function: a protocol plus a participant's events -> concrete windows.

Pure (plain data in, plain data out). The tasks API, the reminder planner and the
scoring windows all call ``schedule``; none of them re-derives dates.

Conventions
-----------
* Day 0 is the anchor's local date in the participant's zone; day 1 the day after.
* Offsets in days/weeks/months are calendar arithmetic on local dates and give
  whole-day windows, from local midnight of the first day to local midnight after the
  last (a 23- or 25-hour day stays one day across daylight-saving changes).
* Offsets in hours/minutes are elapsed time from the anchor's UTC instant.
* Repeats are counted from the anchor (``offset + k * every``), so months never chain.
* A planned event starts clocks like a confirmed one, from its planned instant, so the
  baseline days before a booked surgery are owed and reminded. A plan with a date only
  (``date_only``: ``occurred_at`` is that date's local midnight) has day 0 on that date;
  its elapsed (hour/minute) windows wait for the confirmed instant. A cancelled event
  starts nothing.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from diary.protocol.durations import Duration
from diary.protocol.model import ENROLMENT, QUESTIONNAIRE, Assessment, Protocol
from diary.timezones import local_date, start_of_day, zone


@dataclass(frozen=True)
class ParticipantRef:
    id: str
    timezone: str
    enrolled_at: datetime
    sequence: str | None = None
    withdrawn_at: datetime | None = None


PLANNED, CONFIRMED, CANCELLED = "planned", "confirmed", "cancelled"


@dataclass(frozen=True)
class AnchorEvent:
    id: str
    type: str
    occurred_at: datetime
    period: int | None = None
    status: str = CONFIRMED
    date_only: bool = False  # a planned date without a time: occurred_at is its midnight


def live_events(events: list[AnchorEvent]) -> list[AnchorEvent]:
    """The events that start clocks: planned and confirmed ones, not cancelled ones."""
    return [e for e in events if e.status != CANCELLED]


@dataclass(frozen=True)
class ScheduledWindow:
    """One concrete instance of an assessment; ``closes_at`` is exclusive."""

    id: str
    assessment: str
    instrument: str
    event_id: str
    anchor: str
    occurrence: int
    period: int | None
    treatment: str | None
    target_day: int | None  # day number for calendar offsets, None for elapsed ones
    opens_at: datetime
    closes_at: datetime
    opens_local: datetime
    closes_local: datetime
    form: str = QUESTIONNAIRE  # or a safety form (protocol.model.FORMS)

    def is_open(self, at: datetime) -> bool:
        return self.opens_at <= at < self.closes_at

    def covers_date(self, day: date) -> bool:
        """Is local date ``day`` one of the window's days? (A side-effect checklist for a
        day inside the window answers it; ``closes_local`` is exclusive.)"""
        last = (self.closes_local - timedelta(microseconds=1)).date()
        return self.opens_local.date() <= day <= last


@dataclass(frozen=True)
class DiarySpan:
    """The daily diary days owed for one anchor: ``first``..``last`` inclusive."""

    event_id: str
    anchor: str
    period: int | None
    treatment: str | None
    anchor_date: date
    first: date
    last: date

    def day_number(self, day: date) -> int:
        return (day - self.anchor_date).days

    def __contains__(self, day: date) -> bool:
        return self.first <= day <= self.last


@dataclass(frozen=True)
class Schedule:
    windows: tuple[ScheduledWindow, ...]
    diary_spans: tuple[DiarySpan, ...]

    def diary_dates(self, until: date | None = None) -> list[date]:
        """Every distinct diary date owed (up to ``until``), in order."""
        days: set[date] = set()
        for span in self.diary_spans:
            last = span.last if until is None else min(span.last, until)
            days.update(span.first + timedelta(n) for n in range((last - span.first).days + 1))
        return sorted(days)

    def diary_due(self, day: date) -> bool:
        return any(day in span for span in self.diary_spans)

    def open_windows(self, at: datetime) -> list[ScheduledWindow]:
        return [w for w in self.windows if w.is_open(at)]


def instance_id(*parts: object) -> str:
    """A deterministic id; JSON encoding keeps field boundaries unambiguous."""
    texts = [str(p) for p in parts]
    if _json_as_is("".join(texts)):  # the usual ids and dates: the same bytes, faster
        encoded = ('["' + '","'.join(texts) + '"]').encode()
    else:
        encoded = json.dumps(texts, separators=(",", ":")).encode()
    return hashlib.sha256(encoded).hexdigest()[:32]


def _json_as_is(text: str) -> bool:
    """Whether ``json.dumps`` writes ``text`` unescaped between its quotes."""
    return text.isascii() and text.isprintable() and '"' not in text and "\\" not in text


def instance_id_sql(*parts: str) -> str:
    """``instance_id`` as a PostgreSQL expression over SQL text expressions ``parts``, for
    values it writes as they are: check each with ``as_is_sql`` (the tick's bucket path
    computes its keys in the statement that inserts them)."""
    joined = """ || '","' || """.join(f"({p})" for p in parts)
    return f"""left(encode(sha256(convert_to('["' || {joined} || '"]', 'UTF8')), 'hex'), 32)"""


def as_is_sql(part: str) -> str:
    """``_json_as_is`` as a PostgreSQL condition on the SQL text expression ``part``."""
    return (f"(({part}) ~ '^[ -~]*$' AND strpos({part}, '\"') = 0 "
            f"AND strpos({part}, '\\') = 0)")


def treatment_in(protocol: Protocol, sequence_key: str | None, period: int | None) -> str | None:
    """The treatment a crossover sequence gives in a period (None outside a crossover)."""
    sequence = protocol.sequence(sequence_key) if sequence_key else None
    if sequence is None or period is None or not 1 <= period <= len(sequence.treatments):
        return None
    return sequence.treatments[period - 1]


def schedule(protocol: Protocol, participant: ParticipantRef,
             events: list[AnchorEvent], *, with_windows: bool = True,
             near: tuple[datetime, datetime] | None = None,
             bounds_cache: dict | None = None) -> Schedule:
    """Turn ``protocol`` into concrete windows for ``participant`` given its anchor events.

    Events of types the protocol does not declare, and cancelled events, are ignored
    (planned ones count: see the module's conventions). Windows that open after a
    withdrawal and diary days after it (or before enrolment) are dropped.
    ``with_windows=False`` computes the diary spans only (the export of a large study
    needs no assessment windows, and they are most of the cost); ``near=(start, end)``
    keeps only the windows open at some instant of ``[start, end]`` (the reminder tick).
    ``bounds_cache``, one dict shared by the calls for many participants of one protocol
    (the tick), computes each window's bounds once per anchor date and zone; it holds the
    ids of the protocol's assessments, so keep the protocol alive as long as the dict.
    """
    tz = zone(participant.timezone)
    enrolment = AnchorEvent(ENROLMENT, ENROLMENT, participant.enrolled_at)
    all_events = [enrolment, *sorted(live_events(events), key=lambda e: (e.occurred_at, e.id))]

    def treatment(period: int | None) -> str | None:
        return treatment_in(protocol, participant.sequence, period)

    windows: list[ScheduledWindow] = []
    for event in all_events if with_windows else ():
        for assessment, k, opens, closes, target_day in _occurrences(protocol, event, tz,
                                                                      bounds_cache):
            if participant.withdrawn_at is not None and opens >= participant.withdrawn_at:
                continue
            if near is not None and not (opens <= near[1] and closes > near[0]):
                continue
            windows.append(_window(assessment, event, k, participant, tz,
                                   treatment(event.period), opens, closes, target_day))
    windows.sort(key=lambda w: (w.opens_at, w.assessment, w.id))

    spans: list[DiarySpan] = []
    diary = protocol.daily_diary
    if diary is not None:
        floor = local_date(participant.enrolled_at, tz)
        ceiling = local_date(participant.withdrawn_at, tz) if participant.withdrawn_at else None
        for event in all_events:
            if event.type != diary.anchor:
                continue
            day0 = local_date(event.occurred_at, tz)
            first = max(day0 + timedelta(diary.from_day), floor)
            last = day0 + timedelta(diary.to_day)
            if ceiling is not None:
                last = min(last, ceiling)
            if first <= last:
                spans.append(DiarySpan(event.id, event.type, event.period,
                                       treatment(event.period), day0, first, last))
    return Schedule(tuple(windows), tuple(spans))


def _occurrences(protocol: Protocol, event: AnchorEvent, tz, cache: dict | None
                 ) -> list[tuple[Assessment, int, datetime, datetime, int | None]]:
    """Every occurrence of the assessments anchored on ``event``, with its bounds. Through
    ``cache`` those with calendar offsets are computed once per anchor date and zone (they
    depend on nothing else); elapsed ones are cheap UTC arithmetic."""
    def of(elapsed: bool) -> list:
        if elapsed and event.date_only:  # no instant yet: elapsed windows wait for it
            return []
        return [(a, k, *_bounds(a, event, k, tz)) for a in protocol.assessments
                if a.anchor == event.type and _is_elapsed(a) == elapsed
                for k in range(a.occurrences)]

    key = (id(protocol), event.type, tz.key, local_date(event.occurred_at, tz))
    if cache is None:
        return _calendar(protocol, tz, key, of) + of(True)
    calendar = cache.get(key)
    if calendar is None:
        calendar = cache[key] = _calendar(protocol, tz, key, of)
    anchored_elapsed = (id(protocol), event.type)  # most protocols have none
    if anchored_elapsed not in cache:
        cache[anchored_elapsed] = any(a.anchor == event.type and _is_elapsed(a)
                                      for a in protocol.assessments)
    return calendar + of(True) if cache[anchored_elapsed] else calendar


CALENDAR_MEMO = 2048
"""Anchors whose calendar windows the process keeps (kBs each), all dropped when
full: every schedule of a participant asks for the same ones again (the tick, each
request that checks a window), and they depend on the anchor's local date alone."""
_calendar_memo: dict[tuple, tuple[Protocol, object, list]] = {}


def _calendar(protocol: Protocol, tz, key: tuple, of) -> list:
    """``of(False)`` (the calendar-offset occurrences) for ``key``, computed once per
    process. The entry holds the protocol and the zone it was computed with: the
    protocol's id in the key cannot be reused, and a reloaded zone database misses."""
    hit = _calendar_memo.get(key)
    if hit is not None and hit[0] is protocol and hit[1] is tz:
        return hit[2]
    found = of(False)
    if len(_calendar_memo) >= CALENDAR_MEMO:
        _calendar_memo.clear()
    _calendar_memo[key] = (protocol, tz, found)
    return found


def _is_elapsed(assessment: Assessment) -> bool:
    repeat = assessment.repeat
    return assessment.offset.is_elapsed or (repeat is not None and repeat.every.is_elapsed)


def _bounds(assessment: Assessment, event: AnchorEvent, k: int, tz
            ) -> tuple[datetime, datetime, int | None]:
    """When occurrence ``k`` opens and closes (UTC), and its target day (calendar offsets)."""
    due: Duration = assessment.offset
    if assessment.repeat is not None and k:
        due = due.plus(assessment.repeat.every.times(k))
    win = assessment.window
    if due.is_elapsed:
        target = due.add_elapsed(event.occurred_at)
        opens, closes = win.open.add_elapsed(target), win.close.add_elapsed(target)
        target_day = None
    else:
        day0 = local_date(event.occurred_at, tz)
        target = due.add_to_date(day0)
        opens = start_of_day(win.open.add_to_date(target), tz)
        closes = start_of_day(win.close.add_to_date(target) + timedelta(1), tz)
        target_day = (target - day0).days
    return opens, closes, target_day


def _window(assessment: Assessment, event: AnchorEvent, k: int, participant: ParticipantRef,
            tz, treatment: str | None, opens: datetime, closes: datetime,
            target_day: int | None) -> ScheduledWindow:
    return ScheduledWindow(
        id=instance_id(participant.id, assessment.key, event.id, k),
        assessment=assessment.key,
        instrument=assessment.instrument,
        event_id=event.id,
        anchor=event.type,
        occurrence=k,
        period=event.period,
        treatment=treatment,
        target_day=target_day,
        opens_at=opens,
        closes_at=closes,
        opens_local=opens.astimezone(tz),
        closes_local=closes.astimezone(tz),
        form=assessment.form,
    )
