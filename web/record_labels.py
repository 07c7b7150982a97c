"""Words for the stored codes of a participant's record (schedule states, entry sources,
questionnaire timing, export job states), each through the catalogs once."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l

TIMELINE_LABELS = {
    "past": _l("closed"), "open": _l("open now"), "upcoming": _l("upcoming"),
    "planned": _l("planned"), "confirmed": _l("confirmed"), "cancelled": _l("cancelled"),
}
SOURCE_LABELS = {
    "participant": _l("participant"), "clinician": _l("clinician"),
    "paper": _l("paper diary"), "phone": _l("phone call"),
}
TIMING_LABELS = {"unscheduled": _l("unscheduled")}
JOB_STATE_LABELS = {
    "queued": _l("waiting"), "running": _l("running"), "done": _l("ready"),
    "failed": _l("failed"), "expired": _l("expired"),
}
JOB_PHASE_LABELS = {
    "queued": _l("waiting for its turn"), "reading": _l("reading the diary"),
    "scoring": _l("scoring"), "drawing": _l("drawing"), "writing": _l("writing the file"),
    "done": _l("done"), "failed": _l("failed"),
}
LAYOUT_LABELS = {
    "wide": _l("wide: a row per participant and period"),
    "long": _l("long: ADaM BDS, a row per parameter"),
    "summary": _l("summary per treatment"), "trace": _l("trace: values and their entries"),
}
FORMAT_LABELS = {"csv": _l("CSV"), "xlsx": _l("Excel (XLSX)"), "xpt": _l("SAS XPORT"),
                 "png": _l("figure, PNG"), "svg": _l("figure, SVG")}
FIGURE_LABELS = {"mean": _l("mean daily pain ± SE"),
                 "participants": _l("a curve per participant-period")}
EVENT_ACTION_LABELS = {"correct": _l("Correct"), "confirm": _l("Confirm it happened"),
                       "reschedule": _l("Move"), "cancel": _l("Cancel")}
CHANGE_LABELS = {"added": _l("added"), "removed": _l("removed"), "changed": _l("changed"),
                 "reordered": _l("reordered")}


def record_labels() -> dict:
    return {"timeline_labels": TIMELINE_LABELS, "source_labels": SOURCE_LABELS,
            "timing_labels": TIMING_LABELS, "job_state_labels": JOB_STATE_LABELS,
            "job_phase_labels": JOB_PHASE_LABELS, "change_labels": CHANGE_LABELS,
            "layout_labels": LAYOUT_LABELS, "format_labels": FORMAT_LABELS,
            "figure_labels": FIGURE_LABELS, "event_action_labels": EVENT_ACTION_LABELS}
