"""The side-effect diary's pure rules: checklist, adverse-event vocabularies, alerts (issue 6).

No database, no Flask.  Severity is coded 0..3 (none, mild, moderate, severe) in both
the participant's checklist and the coordinator's adverse-event record, so the endpoint
kinds of :mod:`scoring.safety_kind` compare one scale.
"""

from diary.safety.adverse_events import (
    RELATEDNESS,
    AdverseEvent,
    AdverseEventError,
    adverse_event,
)
from diary.safety.alerts import alert_reasons, needs_alert
from diary.safety.checklist import (
    DEFAULT_SYMPTOMS,
    SEVERITIES,
    Checklist,
    ChecklistAnswer,
    ChecklistError,
    Symptom,
    endpoint_symptom_issues,
    make_checklist,
    severity_code,
    validate_answer,
)

__all__ = [
    "DEFAULT_SYMPTOMS",
    "RELATEDNESS",
    "SEVERITIES",
    "AdverseEvent",
    "AdverseEventError",
    "Checklist",
    "ChecklistAnswer",
    "ChecklistError",
    "Symptom",
    "adverse_event",
    "alert_reasons",
    "endpoint_symptom_issues",
    "make_checklist",
    "needs_alert",
    "severity_code",
    "validate_answer",
]
