"""Coordinator-recorded adverse events: vocabularies and one validated record.

Seriousness is yes/no as ICH E2A defines it (death, life-threatening, hospitalisation,
disability, congenital anomaly, or medically important); severity is intensity
(mild/moderate/severe, coded 1..3 as on the checklist), a separate axis: a severe
headache need not be serious.  Relatedness uses the five-level scale common in trial
case report forms (not related, unlikely, possible, probable, definite).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from diary.safety.checklist import SEVERITIES, ChecklistError, severity_code

__all__ = ["RELATEDNESS", "AdverseEvent", "AdverseEventError", "adverse_event"]

#: Relatedness codes to the study treatment, in increasing certainty.
RELATEDNESS: tuple[str, ...] = ("not_related", "unlikely", "possible", "probable", "definite")
_TERM_MAX = 200


class AdverseEventError(ValueError):
    """An adverse-event record breaks a rule: ``field`` and ``rule``."""

    def __init__(self, field: str, rule: str):
        self.field, self.rule = field, rule
        super().__init__(f"{field}: {rule}")


@dataclass(frozen=True, slots=True)
class AdverseEvent:
    """A validated adverse event; ``severity`` is 1..3 (mild..severe)."""

    term: str
    onset: dt.date
    severity: int
    serious: bool
    relatedness: str
    resolved: dt.date | None = None

    @property
    def severity_word(self) -> str:
        return SEVERITIES[self.severity]


def adverse_event(
    term: str,
    onset: dt.date,
    *,
    severity: int | str,
    serious: bool,
    relatedness: str,
    resolved: dt.date | None = None,
) -> AdverseEvent:
    """Validate an adverse event as a coordinator records it.

    Examples
    --------
    >>> ae = adverse_event("Hallucinations", dt.date(2026, 3, 2), severity="moderate",
    ...                    serious=False, relatedness="probable")
    >>> ae.severity, ae.severity_word
    (2, 'moderate')
    >>> adverse_event("Rash", dt.date(2026, 3, 2), severity="mild", serious=False,
    ...               relatedness="possible", resolved=dt.date(2026, 3, 1))
    Traceback (most recent call last):
    ...
    diary.safety.adverse_events.AdverseEventError: resolved: 2026-03-01 is before the \
onset 2026-03-02
    """
    if not isinstance(term, str) or not 0 < len(term.strip()) <= _TERM_MAX:
        raise AdverseEventError("term", f"must be a text of 1 to {_TERM_MAX} characters")
    if not isinstance(onset, dt.date) or isinstance(onset, dt.datetime):
        raise AdverseEventError("onset", f"must be a date, got {onset!r}")
    try:
        sev = severity_code(severity, "severity")
    except ChecklistError as e:
        raise AdverseEventError("severity", "must be mild, moderate or severe (1-3), "
                                            f"got {severity!r}") from e
    if sev == 0:
        raise AdverseEventError("severity", "an adverse event is at least mild (1-3)")
    if not isinstance(serious, bool):
        raise AdverseEventError("serious", f"must be yes or no (true/false), got {serious!r}")
    if relatedness not in RELATEDNESS:
        raise AdverseEventError("relatedness", f"must be one of {', '.join(RELATEDNESS)}, "
                                               f"got {relatedness!r}")
    if resolved is not None:
        if not isinstance(resolved, dt.date) or isinstance(resolved, dt.datetime):
            raise AdverseEventError("resolved", f"must be a date, got {resolved!r}")
        if resolved < onset:
            raise AdverseEventError("resolved", f"{resolved} is before the onset {onset}")
    return AdverseEvent(term.strip(), onset, sev, serious, relatedness, resolved)
