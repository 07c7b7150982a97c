"""Diary spans of many participants at once: the batch form of ``schedule().diary_spans``.

Pure (plain data in, plain data out), like :mod:`diary.schedule`. The participants of a
study share one protocol, so once each instant is a local day number their spans are
array arithmetic. Calling :func:`diary.schedule.schedule` per participant cost the
endpoint export ~0.5 s of 2 at 10,000 participants (issue 3), nearly all in making
objects. Instants come as int64 microseconds from 1970-01-01 UTC, as the export reads
them. ``tests/unit/schedule/test_schedule_batch.py`` holds the batch equal to the
per-participant reference. Assessment windows are not computed here.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

import numpy as np

from diary.protocol.model import ENROLMENT, Protocol
from diary.schedule import CANCELLED, CONFIRMED, DiarySpan, treatment_in
from diary.timezones import local_days, zone

EPOCH_ORDINAL = date(1970, 1, 1).toordinal()  # day numbers count from 1970-01-01
NO_INSTANT = np.iinfo(np.int64).min  # an instant not given (numpy's NaT as an integer)
NOT_WITHDRAWN = np.iinfo(np.int64).max  # a withdrawal day after every day: min() keeps the other


def day_number(day: date) -> int:
    """Days from 1970-01-01 to ``day``."""
    return day.toordinal() - EPOCH_ORDINAL


def local_day_numbers(micros: np.ndarray, timezones: Sequence[str], *,
                      missing: int = NOT_WITHDRAWN) -> np.ndarray:
    """Each instant's local date in its zone, as a day number (``missing`` for NO_INSTANT).

    Instants are microseconds from 1970-01-01 UTC; zone by zone,
    :func:`diary.timezones.local_days` converts them (daylight saving included).
    """
    micros = np.asarray(micros, dtype=np.int64)
    out = np.full(micros.size, missing, dtype=np.int64)
    given = micros != NO_INSTANT
    if not given.any():
        return out
    names, which = np.unique(np.asarray(timezones, dtype=str)[given], return_inverse=True)
    where = np.flatnonzero(given)
    for k, name in enumerate(names.tolist()):  # a study has few zones
        rows = where[which == k]
        out[rows] = local_days(micros[rows], zone(name))
    return out


@dataclass(frozen=True)
class Participants:
    """A study's participants as columns (one item each), in the order spans come out.

    Instants are microseconds from 1970-01-01 UTC; ``withdrawn_us`` is NO_INSTANT for a
    participant not withdrawn.
    """

    timezone: Sequence[str]
    enrolled_us: np.ndarray
    withdrawn_us: np.ndarray
    sequence: Sequence[str | None]


@dataclass(frozen=True)
class Events:
    """Anchor events as columns; ``participant`` indexes :class:`Participants`.
    ``status`` None: every event is confirmed (a date-only plan needs no column: its
    instant is its date's local midnight, and spans use only the date)."""

    participant: np.ndarray
    id: Sequence[str]
    type: Sequence[str]
    occurred_us: np.ndarray
    period: Sequence[int | None]
    status: Sequence[str] | None = None


@dataclass(frozen=True)
class StudySpans:
    """Every participant's diary spans, grouped by participant in input order and, within
    one, in the order ``schedule`` lists them. Days are day numbers (from 1970-01-01).

    ``ordinal`` is a span's position among its participant's spans (0, 1, ...);
    ``enrolled_day`` and ``withdrawn_day`` (``NOT_WITHDRAWN`` if not) are per participant.
    """

    participant: np.ndarray
    ordinal: np.ndarray
    event_id: list[str]
    anchor: list[str]
    period: list[int | None]
    treatment: list[str | None]
    anchor_day: np.ndarray
    first_day: np.ndarray
    last_day: np.ndarray
    enrolled_day: np.ndarray
    withdrawn_day: np.ndarray

    def __len__(self) -> int:
        return int(self.participant.size)

    def span(self, i: int) -> DiarySpan:
        """Span ``i`` as the :class:`~diary.schedule.DiarySpan` ``schedule`` makes."""
        day = [date.fromordinal(int(d[i]) + EPOCH_ORDINAL)
               for d in (self.anchor_day, self.first_day, self.last_day)]
        return DiarySpan(self.event_id[i], self.anchor[i], self.period[i], self.treatment[i],
                         *day)


def diary_spans_batch(protocol: Protocol, participants: Participants,
                      events: Events) -> StudySpans:
    """For each participant, the spans ``schedule(protocol, it, its events)`` gives.

    The rules of :func:`diary.schedule.schedule`: one span per event of the diary's
    anchor type that is not cancelled (enrolment first, then events by instant and id),
    days ``from_day`` to ``to_day`` around the event's local date, cut to the days from
    the enrolment date to the withdrawal date; spans left empty are dropped.
    """
    diary = protocol.daily_diary
    if diary is None:
        raise ValueError("the protocol has no daily diary")
    n = len(participants.timezone)
    zones = participants.timezone
    enrolled = local_day_numbers(participants.enrolled_us, zones)
    withdrawn = local_day_numbers(participants.withdrawn_us, zones)

    # The anchoring events: enrolment (an event every participant has, listed first by
    # schedule) and/or the stored events of the anchor type.
    statuses = events.status if events.status is not None else [CONFIRMED] * len(events.type)
    chosen = np.array([kind == diary.anchor and status != CANCELLED
                       for kind, status in zip(events.type, statuses, strict=True)], dtype=bool)
    owner = np.asarray(events.participant, dtype=np.int64)[chosen]
    ids = [i for i, c in zip(events.id, chosen.tolist(), strict=True) if c]
    micros = np.asarray(events.occurred_us, dtype=np.int64)[chosen]
    periods = [p for p, c in zip(events.period, chosen.tolist(), strict=True) if c]
    first_rank = np.ones(owner.size, dtype=np.int64)  # sorts after enrolment
    if diary.anchor == ENROLMENT:
        owner = np.concatenate([np.arange(n, dtype=np.int64), owner])
        ids = [ENROLMENT] * n + ids
        micros = np.concatenate([np.asarray(participants.enrolled_us, dtype=np.int64), micros])
        periods = [None] * n + periods
        first_rank = np.concatenate([np.zeros(n, dtype=np.int64), first_rank])
    # schedule sorts a participant's events by (instant, id); ids compare as str here too.
    order = np.lexsort((np.array(ids, dtype=str), micros, first_rank, owner))
    owner = owner[order]
    anchor_day = local_day_numbers(micros[order], [zones[p] for p in owner.tolist()])

    first = np.maximum(anchor_day + diary.from_day, enrolled[owner])
    last = np.minimum(anchor_day + diary.to_day, withdrawn[owner])
    keep = first <= last
    kept = order[keep]
    owner = owner[keep]
    # Position within the participant's group (the groups are contiguous after sorting).
    new_group = np.r_[True, owner[1:] != owner[:-1]] if owner.size else np.zeros(0, bool)
    group_start = np.maximum.accumulate(np.where(new_group, np.arange(owner.size), 0))
    ordinal = np.arange(owner.size) - group_start

    period = [periods[j] for j in kept.tolist()]
    sequences = participants.sequence
    treatments: dict[tuple[str | None, int | None], str | None] = {}
    treatment = []
    for p, per in zip(owner.tolist(), period, strict=True):
        key = (sequences[p], per)
        if key not in treatments:  # a study has few sequence x period pairs
            treatments[key] = treatment_in(protocol, *key)
        treatment.append(treatments[key])
    return StudySpans(
        participant=owner, ordinal=ordinal, event_id=[ids[j] for j in kept.tolist()],
        anchor=[diary.anchor] * owner.size, period=period, treatment=treatment,
        anchor_day=anchor_day[keep], first_day=first[keep], last_day=last[keep],
        enrolled_day=enrolled, withdrawn_day=withdrawn)
