"""The summary table: every endpoint per arm or treatment.

For a crossover, grouping by treatment pools the periods, so each participant
contributes one value per treatment: the primary line of the 3-period
ketamine trial reads "AUC days 1-35: 184.5 ± 99.6" per treatment (column
``mean_sd``).  Yes/no endpoints (``spec.binary``: responders, any adverse
event) give the count and percent of 1s instead, so "% of patients with at
least one adverse event per treatment" counts each participant-period in the
treatment it gave; "n/N (x.x %)" reads them over the evaluable rows and with
the missing counted as non-responders.  Statistics follow
:mod:`scoring.summary`; every statistic is rounded once, to the endpoint's
declared precision (:meth:`EndpointSpec.decimals`), percentages to one decimal
(:mod:`scoring.precision`).
"""

from __future__ import annotations

from collections.abc import Sequence

from scoring.precision import PERCENT_DECIMALS, round_half_away
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
    ("mean", "MEAN", "Mean", "num", "arithmetic mean; MEAN to MAX rounded to the "
     "endpoint's precision (its wide column's)"),
    ("sd", "SD", "Standard deviation", "num", "sample SD (ddof=1); empty for n < 2"),
    ("median", "MEDIAN", "Median", "num", "numpy.quantile 'linear' (type 7)"),
    ("q1", "Q1", "First quartile", "num", "numpy.quantile 'linear' (type 7)"),
    ("q3", "Q3", "Third quartile", "num", "numpy.quantile 'linear' (type 7)"),
    ("min", "MIN", "Minimum", "num", "smallest value"),
    ("max", "MAX", "Maximum", "num", "largest value"),
    ("mean_sd", "MEANSD", "Mean +/- SD (display)", "char",
     "mean and SD rounded half away from zero to the endpoint's precision, 'mean ± SD'"),
    ("n_responders", "NRESP", "Responders / yes (yes-no endpoints)", "num",
     "yes/no endpoints (responder, ae_any): values equal to 1"),
    ("percent_responders", "PCTRESP", "Responders / yes (%)", "num",
     "yes/no endpoints: 100 * NRESP / N (participant-periods with a value)",
     PERCENT_DECIMALS),
    ("responders", "RESPEVAL", "Responders n/N (%), evaluable", "char",
     "yes/no endpoints: 'NRESP/N (x.x %)' over participant-periods with a value"),
    ("responders_all", "RESPALL", "Responders n/N (%), missing = no", "char",
     "yes/no endpoints: 'NRESP/(N + NMISS) (x.x %)', missing counted as non-responders"),
]


def summary_table(
    scored: ScoredRecords, *, by: Sequence[str] = ("treatment",), decimals: int | None = None
) -> Table:
    """Descriptive statistics of every endpoint output per group (dataset ``EPSUM``).

    Parameters
    ----------
    scored : ScoredRecords
        From :func:`scoring.tables.score_records`.
    by : sequence of str
        Record attributes to group by: ``treatment`` (default), ``period``,
        ``site``, ``sequence``.
    decimals : int, optional
        Decimals of every endpoint's statistics and ``mean_sd`` text; by default
        each endpoint's declared precision.

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
    (3, 5.0, 3.6, '5.0 ± 3.6')
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
            dec = spec.decimals() if decimals is None else decimals
            if spec.binary:
                rate = responder_rate(values)
                stats = (rate.n, rate.n_missing) + (None,) * 8
                resp = (rate.n_responders, round_half_away(rate.percent, PERCENT_DECIMALS),
                        rate.text(), rate.text_missing_as_non())
            else:
                s = describe(values)
                stats = (s.n, s.n_missing,
                         *(round_half_away(x, dec) for x in (s.mean, s.sd, s.median, s.q1,
                                                             s.q3, s.min, s.max)),
                         s.mean_sd(decimals=dec))
                resp = (None,) * 4
            rows.append((*key, o.key, o.label, o.visit, *stats, *resp))
    return Table("EPSUM", tuple(columns), rows)


def primary_line(
    scored: ScoredRecords, key: str, *, decimals: int | None = None, by: str = "treatment"
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
    {'K': '3.0 ± 1.4', 'P': '7.5 ± 2.1'}
    """
    table = summary_table(scored, by=(by,), decimals=decimals)
    out = {row[by]: row["mean_sd"] for row in table.dicts() if row["endpoint"] == key}
    if not out:
        raise ValueError(f"unknown endpoint output {key!r}")
    return out
