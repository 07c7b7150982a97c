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

from scoring.adam import long_table, paramcds, trace_table
from scoring.auc import CoverageRule, auc, auc_batch
from scoring.baseline import (
    baseline,
    change,
    change_batch,
    percent_change,
    percent_change_batch,
    responder,
    responder_batch,
)
from scoring.compliance import compliance, compliance_batch
from scoring.days import DailySeries, study_day
from scoring.endpoints import (
    EndpointError,
    compute_endpoints,
    compute_endpoints_batch,
    specs_span,
    validate_endpoints,
)
from scoring.matrix import DailyMatrix
from scoring.medication_kind import MEDICATION, MedicationDays
from scoring.report import primary_line, summary_table
from scoring.results import BatchResult, ScoreResult
from scoring.safety_kind import SAFETY, SafetyDays
from scoring.spec import KINDS, EndpointSpec, Output, register_kind
from scoring.summary import Summary, describe, format_mean_sd, responder_rate
from scoring.tables import Column, PeriodRecord, ScoredRecords, Table, score_records, wide_table
from scoring.timepoints import value_at, week_days, weekly_mean, window_mean, window_mean_batch

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
