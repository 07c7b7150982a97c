"""Which side-effect reports alert the site coordinator (issue 6: "any severe or serious").

A checklist answer alerts when a symptom is severe (3); an adverse event when it is
serious, or severe.  Sending once is the outbox's job (a deterministic key per report);
this module only decides and words why.
"""

from __future__ import annotations

from diary.safety.adverse_events import AdverseEvent
from diary.safety.checklist import SEVERITIES, ChecklistAnswer

__all__ = ["alert_reasons", "needs_alert"]

_SEVERE = SEVERITIES.index("severe")


def alert_reasons(report: ChecklistAnswer | AdverseEvent) -> list[str]:
    """Why *report* alerts the coordinator; empty when it does not.

    Examples
    --------
    >>> alert_reasons(ChecklistAnswer({"nausea": 3, "headache": 1}))
    ['severe nausea']
    """
    if isinstance(report, ChecklistAnswer):
        return [f"severe {code.replace('_', ' ')}" for code in report.at_least(_SEVERE)]
    if isinstance(report, AdverseEvent):
        reasons = []
        if report.serious:
            reasons.append(f"serious adverse event: {report.term}")
        if report.severity >= _SEVERE:
            reasons.append(f"severe adverse event: {report.term}")
        return reasons
    raise TypeError(f"expected a ChecklistAnswer or an AdverseEvent, got {type(report).__name__}")


def needs_alert(report: ChecklistAnswer | AdverseEvent) -> bool:
    """True for a severe symptom, or a serious or severe adverse event.

    Examples
    --------
    >>> needs_alert(ChecklistAnswer({"nausea": 2})), needs_alert(ChecklistAnswer({"nausea": 3}))
    (False, True)
    """
    return bool(alert_reasons(report))
