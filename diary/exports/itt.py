"""Intention to treat: every enrolled participant has its expected records (issue 13).

A participant whose anchor event was never recorded (no surgery, a crossover period
without its infusion) still gets a record per expected period, with empty endpoint cells
and the reason: one record in a parallel or single-group study, one per period of its
sequence in a crossover. Pure: plain values in, plain values out.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass

from diary.protocol.model import Protocol
from diary.schedule import treatment_in


@dataclass(frozen=True)
class MissingRecord:
    """A record the participant should have and has not: its period, treatment, reason."""

    participant: int  # index into the study's participants
    period: int
    treatment: str
    reason: str


def expected_periods(protocol: Protocol, sequence: str | None) -> range:
    """The periods a participant is expected to have a record for: each period of its
    crossover sequence, else one."""
    found = protocol.sequence(sequence) if sequence else None
    if protocol.design == "crossover" and found is not None:
        return range(1, len(found.treatments) + 1)
    return range(1, 2)


def missing_reason(protocol: Protocol, anchor: str, period: int, *, recorded: bool) -> str:
    """Why a record has no values: its anchor event is not recorded, or it is but none of
    its diary days falls between enrolment and withdrawal.

    Examples
    --------
    >>> from types import SimpleNamespace as N
    >>> missing_reason(N(design="parallel"), "surgery", 1, recorded=False)
    'no surgery recorded'
    >>> missing_reason(N(design="crossover"), "infusion", 2, recorded=False)
    'no infusion recorded for period 2'
    """
    where = f" for period {period}" if protocol.design == "crossover" else ""
    if recorded:
        return f"{anchor} recorded{where}, but no diary day of it falls between enrolment " \
               "and withdrawal"
    return f"no {anchor} recorded{where}"


def missing_records(protocol: Protocol, anchor: str, sequences: Sequence[str | None],
                    arms: Sequence[str | None], have: Sequence[Collection[int]],
                    recorded: Sequence[Collection[int | None]]) -> list[MissingRecord]:
    """Per participant ``i`` (in order), the expected periods missing from ``have[i]``
    (the periods of its records). ``recorded[i]``: the periods of its events of the
    anchor type (None for an event without a period)."""
    out = []
    for i, (sequence, arm) in enumerate(zip(sequences, arms, strict=True)):
        for period in expected_periods(protocol, sequence):
            if period in have[i]:
                continue
            is_recorded = period in recorded[i] or (
                protocol.design != "crossover" and bool(recorded[i]))
            out.append(MissingRecord(
                i, period, treatment_in(protocol, sequence, period) or arm or "ALL",
                missing_reason(protocol, anchor, period, recorded=is_recorded)))
    return out
