"""The words shown for stored codes (message states, reminder kinds), in one place so that
each goes through the catalogs once."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l

STATE_LABELS = {
    "pending": _l("waiting"), "sending": _l("sending"), "sent": _l("sent"),
    "delivered": _l("delivered"), "failed": _l("failed"), "cancelled": _l("cancelled"),
}

# The planner's kinds (notifications/planning/model.py) and the safety alert's.
KIND_LABELS = {
    "diary": _l("Diary reminder"), "diary_nudge": _l("Diary nudge"),
    "window_open": _l("Questionnaire open"), "window_closing": _l("Questionnaire closing"),
    "coordinator_missed_days": _l("Missed days"), "safety_alert": _l("Safety"),
}


def labels() -> dict:
    return {"state_labels": STATE_LABELS, "kind_labels": KIND_LABELS}
