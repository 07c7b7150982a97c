"""Pure scoring: daily-score endpoints, their tables and summaries.

Standard library and numpy only (no Flask, SQLAlchemy or I/O).  The day
convention is documented once, in :mod:`scoring.days`: the anchor's local
date is day 0, day 1 the first day after it, baseline days negative.

Modules: ``days`` (convention, :class:`DailySeries`), ``matrix`` (batch form),
``results``, ``auc``, ``timepoints``, ``baseline``, ``compliance``,
``summary``, ``endpoints`` (declarations; kinds in ``kinds``, ``derived``,
registry in ``spec``), ``tables`` (wide), ``adam`` (long BDS), ``report``
(summary table), ``naming`` (XPORT short names).  Kinds reading event diaries
from ``extra``: ``questionnaire_kind``, ``medication_kind`` (MME, rescue days;
:class:`MedicationDays`) and ``safety_kind`` (adverse events, symptoms;
:class:`SafetyDays`), with on-study days from ``onstudy``.
"""

import importlib
import sys
import types

# The public names below load their module on first use (PEP 562), not with the package:
# importing any submodule runs this file first, and the app imports the numpy-free
# ``scoring.instruments`` at start-up (issue 12: numpy alone costs ~0.1 s per start).
_SOURCES = {
    "adam": ("long_table", "paramcds", "trace_table"),
    "auc": ("CoverageRule", "auc", "auc_batch"),
    "baseline": ("baseline", "change", "change_batch", "percent_change",
                 "percent_change_batch", "responder", "responder_batch"),
    "compliance": ("compliance", "compliance_batch"),
    "days": ("DailySeries", "study_day"),
    # KINDS from ``endpoints``, which imports (and so registers) the built-in kinds.
    "endpoints": ("KINDS", "EndpointError", "compute_endpoints", "compute_endpoints_batch",
                  "specs_span", "validate_endpoints"),
    "matrix": ("DailyMatrix",),
    "medication_kind": ("MEDICATION", "MedicationDays"),
    "report": ("primary_line", "summary_table"),
    "results": ("BatchResult", "ScoreResult"),
    "safety_kind": ("SAFETY", "SafetyDays"),
    "spec": ("EndpointSpec", "Output", "register_kind"),
    "summary": ("Summary", "describe", "format_mean_sd", "responder_rate"),
    "tables": ("Column", "PeriodRecord", "ScoredRecords", "Table", "score_records",
               "wide_table"),
    "timepoints": ("value_at", "week_days", "weekly_mean", "window_mean",
                   "window_mean_batch"),
}
_MODULE_OF = {name: module for module, names in _SOURCES.items() for name in names}


def __getattr__(name: str):
    if name not in _MODULE_OF:
        raise AttributeError(f"module 'scoring' has no attribute {name!r}")
    value = getattr(importlib.import_module(f"scoring.{_MODULE_OF[name]}"), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))


class _Package(types.ModuleType):
    """Keeps ``scoring.auc`` the function: importing the submodule ``scoring.auc`` binds
    the module to that name otherwise (likewise ``baseline`` and ``compliance``)."""

    def __setattr__(self, name: str, value) -> None:
        if not (name in _MODULE_OF and isinstance(value, types.ModuleType)):
            super().__setattr__(name, value)


sys.modules[__name__].__class__ = _Package


__all__ = [
    "KINDS",
    "MEDICATION",
    "SAFETY",
    "BatchResult",
    "Column",
    "CoverageRule",
    "DailyMatrix",
    "DailySeries",
    "EndpointError",
    "EndpointSpec",
    "MedicationDays",
    "Output",
    "PeriodRecord",
    "ScoreResult",
    "SafetyDays",
    "ScoredRecords",
    "Summary",
    "Table",
    "auc",
    "auc_batch",
    "baseline",
    "change",
    "change_batch",
    "compliance",
    "compliance_batch",
    "compute_endpoints",
    "compute_endpoints_batch",
    "describe",
    "format_mean_sd",
    "long_table",
    "paramcds",
    "percent_change",
    "percent_change_batch",
    "primary_line",
    "register_kind",
    "responder",
    "responder_batch",
    "responder_rate",
    "score_records",
    "specs_span",
    "study_day",
    "summary_table",
    "trace_table",
    "validate_endpoints",
    "value_at",
    "week_days",
    "weekly_mean",
    "wide_table",
    "window_mean",
    "window_mean_batch",
]
