"""The summary table: every endpoint per arm or treatment.

For a crossover, grouping by treatment pools the periods, so each participant
contributes one value per treatment: the primary line of the 3-period
ketamine trial reads "AUC days 1-35: 185 ± 100" per treatment (column
``mean_sd``).  Yes/no endpoints (``spec.binary``: responders, any adverse
event) give the count and percent of 1s instead, so "% of patients with at
least one adverse event per treatment" counts each participant-period in the
treatment it gave.  Statistics follow :mod:`scoring.summary`.
"""

from __future__ import annotations

from collections.abc import Sequence

from scoring.summary import describe, responder_rate
from scoring.tables import Column, ScoredRecords, Table

__all__ = ["primary_line", "summary_table"]

_GROUP_COLUMNS = {
    "treatment": Column("treatment", "TRTA", "Actual treatment (arm)", "char",
                        "arm or crossover treatment; periods pooled"),
    "period": Column("period", "APERIOD", "Period or anchor number", "num", "period"),
    "site": Column("site", "SITEID", "Study site identifier", "char", "site"),
    "sequence": Column("sequence", "TRTSEQP", "Planned treatment sequence", "char", "sequence"),
}
_STATS = [
    ("endpoint", "ENDPOINT", "Endpoint output key", "char", "wide column name"),
    ("label", "PARAM", "Endpoint label", "char", "endpoint label"),
    ("visit", "AVISIT", "Analysis visit", "char", "visit of the output"),
    ("n", "N", "Participant-periods with a value", "num", "count of non-missing values"),
    ("n_missing", "NMISS", "Participant-periods without a value", "num",
     "count of missing values (reasons in the wide table)"),
    ("mean", "MEAN", "Mean", "num", "arithmetic mean"),
    ("sd", "SD", "Standard deviation", "num", "sample SD (ddof=1); empty for n < 2"),
    ("median", "MEDIAN", "Median", "num", "numpy.quantile 'linear' (type 7)"),
    ("q1", "Q1", "First quartile", "num", "numpy.quantile 'linear' (type 7)"),
    ("q3", "Q3", "Third quartile", "num", "numpy.quantile 'linear' (type 7)"),
    ("min", "MIN", "Minimum", "num", "smallest value"),
    ("max", "MAX", "Maximum", "num", "largest value"),
    ("mean_sd", "MEANSD", "Mean +/- SD (display)", "char",
     "mean and SD rounded half away from zero, as 'mean ± SD'"),
    ("n_responders", "NRESP", "Responders / yes (yes-no endpoints)", "num",
     "yes/no endpoints (responder, ae_any): values equal to 1"),
    ("percent_responders", "PCTRESP", "Responders / yes (%)", "num",
     "yes/no endpoints: 100 * NRESP / N (participant-periods with a value)"),
]


def summary_table(
    scored: ScoredRecords, *, by: Sequence[str] = ("treatment",), decimals: int = 0
) -> Table:
    """Descriptive statistics of every endpoint output per group (dataset ``EPSUM``).

    Parameters
    ----------
    scored : ScoredRecords
        From :func:`scoring.tables.score_records`.
    by : sequence of str
        Record attributes to group by: ``treatment`` (default), ``period``,
        ``site``, ``sequence``.
    decimals : int
        Decimals of the ``mean_sd`` display text.

    Examples
    --------
    >>> from scoring.days import DailySeries
    >>> from scoring.endpoints import validate_endpoints
    >>> from scoring.tables import PeriodRecord, score_records
    >>> specs = validate_endpoints([{"key": "d1", "kind": "timepoint", "day": 1}])
    >>> recs = [PeriodRecord(f"S{i}", "01", "K", DailySeries([1], [v]))
    ...         for i, v in enumerate([2.0, 4.0, 9.0])]
    >>> row = summary_table(score_records(recs, specs)).dicts()[0]
    >>> row["n"], row["mean"], row["sd"], row["mean_sd"]             # sd = sqrt((9+1+16)/2)
    (3, 5.0, 3.605551275463989, '5 ± 4')
    """
    for b in by:
        if b not in _GROUP_COLUMNS:
            raise ValueError(f"cannot group by {b!r} (choose from {', '.join(_GROUP_COLUMNS)})")
    columns = [_GROUP_COLUMNS[b] for b in by] + [Column(*c) for c in _STATS]
    groups: dict[tuple, list[int]] = {}
    for i, r in enumerate(scored.records):
        groups.setdefault(tuple(getattr(r, b) for b in by), []).append(i)
    rows = []
    for key in sorted(groups, key=lambda k: tuple((v is None, str(v)) for v in k)):
        idx = groups[key]
        for spec, o in scored.outputs():
            values = scored.results[o.key].values[idx]
            if spec.binary:
                rate = responder_rate(values)
                stats = (rate.n, rate.n_missing) + (None,) * 8
                resp = (rate.n_responders, rate.percent)
            else:
                s = describe(values)
                stats = (s.n, s.n_missing, s.mean, s.sd, s.median, s.q1, s.q3, s.min, s.max,
                         s.mean_sd(decimals=decimals))
                resp = (None, None)
            rows.append((*key, o.key, o.label, o.visit, *stats, *resp))
    return Table("EPSUM", tuple(columns), rows)


def primary_line(
    scored: ScoredRecords, key: str, *, decimals: int = 0, by: str = "treatment"
) -> dict[str, str | None]:
    """``{treatment: "mean ± SD"}`` for one endpoint output, e.g. the crossover AUC.

    Examples
    --------
    >>> from scoring.days import DailySeries
    >>> from scoring.endpoints import validate_endpoints
    >>> from scoring.tables import PeriodRecord, score_records
    >>> specs = validate_endpoints([{"key": "d1", "kind": "timepoint", "day": 1}])
    >>> recs = [PeriodRecord("S1", "01", t, DailySeries([1], [v]))
    ...         for t, v in [("K", 2.0), ("K", 4.0), ("P", 6.0), ("P", 9.0)]]
    >>> primary_line(score_records(recs, specs), "d1")     # sd K = sqrt(2), P = sqrt(4.5)
    {'K': '3 ± 1', 'P': '8 ± 2'}
    """
    table = summary_table(scored, by=(by,), decimals=decimals)
    out = {row[by]: row["mean_sd"] for row in table.dicts() if row["endpoint"] == key}
    if not out:
        raise ValueError(f"unknown endpoint output {key!r}")
    return out
