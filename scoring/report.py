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

The ``report`` column is the line a paper prints, e.g. "3.4 ± 1.8 (NRS 0-10), n = 24":
``mean ± SD`` at the declared precision, the unit (declared, or the kind's default:
:mod:`scoring.units`) in parentheses, and the number of values; for yes/no endpoints
"n/N (x.x %)" over the evaluable values.  ``primary`` is "Y" on the rows of the
protocol's primary endpoint (``primary: true``).  Grouped by treatment, the
``treatment_name`` column holds the names given (the protocol's labels, for staff who
see the allocation), else the group's value as it is (a masked code stays a code).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from scoring.precision import PERCENT_DECIMALS, round_half_away
from scoring.summary import describe, responder_rate
from scoring.tables import Column, ScoredRecords, Table

__all__ = ["primary_line", "report_text", "summary_table"]

_GROUP_COLUMNS = {
    "treatment": Column("treatment", "TRTA", "Actual treatment (arm)", "char",
                        "arm or crossover treatment; periods pooled"),
    "period": Column("period", "APERIOD", "Period or anchor number", "num", "period"),
    "site": Column("site", "SITEID", "Study site identifier", "char", "site"),
    "sequence": Column("sequence", "TRTSEQP", "Planned treatment sequence", "char", "sequence"),
}
TREATMENT_NAME = Column("treatment_name", "TRTNAME", "Treatment (arm) name", "char",
                        "the protocol's label of the treatment or arm for staff who see "
                        "the allocation; the masked code for blinded staff")
_STATS = [
    ("endpoint", "ENDPOINT", "Endpoint output key", "char", "wide column name"),
    ("label", "PARAM", "Endpoint label", "char", "endpoint label"),
    ("visit", "AVISIT", "Analysis visit", "char", "visit of the output"),
    ("primary", "PRIMFL", "Primary endpoint flag", "char",
     "Y for the protocol's primary endpoint (primary: true)", None, "Y"),
    ("unit", "UNIT", "Unit of the values", "char",
     "the endpoint's declared unit, else its kind's default (scoring.units); empty for "
     "yes/no endpoints"),
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
    ("report", "REPORT", "Report line", "char",
     "as a paper prints it: 'mean ± SD (unit), n = N' at the endpoint's precision; "
     "yes/no endpoints 'NRESP/N (x.x %)' over participant-periods with a value"),
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


def report_text(mean_sd: str | None, unit: str, n: int) -> str | None:
    """The paper's line: ``"mean ± SD (unit), n = N"``; ``None`` without a value.

    Examples
    --------
    >>> report_text("3.4 ± 1.8", "NRS 0-10", 24), report_text("-1.2 ± 0.9", "", 2)
    ('3.4 ± 1.8 (NRS 0-10), n = 24', '-1.2 ± 0.9, n = 2')
    >>> report_text(None, "NRS 0-10", 0) is None
    True
    """
    if mean_sd is None:
        return None
    return f"{mean_sd}{f' ({unit})' if unit else ''}, n = {n}"


def summary_table(
    scored: ScoredRecords, *, by: Sequence[str] = ("treatment",), decimals: int | None = None,
    names: Mapping[str, str] | None = None,
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
    names : mapping, optional
        Display name of each treatment or arm value (``treatment_name``, added when
        grouping by treatment); a value without one is shown as it is.  Give names only
        to a caller who sees the allocation: masked records carry codes, and a code has
        no name here.

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
    >>> row["report"], row["treatment_name"]
    ('5.0 ± 3.6 (NRS 0-10), n = 3', 'K')
    """
    for b in by:
        if b not in _GROUP_COLUMNS:
            raise ValueError(f"cannot group by {b!r} (choose from {', '.join(_GROUP_COLUMNS)})")
    columns = [_GROUP_COLUMNS[b] for b in by] + [Column(*c) for c in _STATS]
    named = "treatment" in by
    if named:  # the name beside the value it names
        columns.insert(by.index("treatment") + 1, TREATMENT_NAME)
    names = names or {}
    groups: dict[tuple, list[int]] = {}
    for i, r in enumerate(scored.records):
        groups.setdefault(tuple(getattr(r, b) for b in by), []).append(i)
    rows = []
    for key in sorted(groups, key=lambda k: tuple((v is None, str(v)) for v in k)):
        idx = groups[key]
        group = list(key)
        if named:
            value = key[by.index("treatment")]
            group.insert(by.index("treatment") + 1, names.get(value, value))
        for spec, o in scored.outputs():
            values = scored.results[o.key].values[idx]
            dec = spec.decimals() if decimals is None else decimals
            unit = spec.unit_text()
            if spec.binary:
                rate = responder_rate(values)
                stats = (rate.n, rate.n_missing) + (None,) * 8 + (rate.text(),)
                resp = (rate.n_responders, round_half_away(rate.percent, PERCENT_DECIMALS),
                        rate.text(), rate.text_missing_as_non())
            else:
                s = describe(values)
                mean_sd = s.mean_sd(decimals=dec)
                stats = (s.n, s.n_missing,
                         *(round_half_away(x, dec) for x in (s.mean, s.sd, s.median, s.q1,
                                                             s.q3, s.min, s.max)),
                         mean_sd, report_text(mean_sd, unit, s.n))
                resp = (None,) * 4
            rows.append((*group, o.key, o.label, o.visit, "Y" if spec.primary else None,
                         unit or None, *stats, *resp))
    return Table("EPSUM", tuple(columns), rows)


def primary_line(
    scored: ScoredRecords, key: str | None = None, *, decimals: int | None = None,
    by: str = "treatment", names: Mapping[str, str] | None = None,
) -> dict[str, str | None]:
    """``{group: report line}`` of one endpoint output, by default the primary endpoint's
    (the first output of the first ``primary: true`` endpoint), e.g. the crossover AUC.
    Groups are named as in :func:`summary_table` (``names``, when grouping by treatment).

    Examples
    --------
    >>> from scoring.days import DailySeries
    >>> from scoring.endpoints import validate_endpoints
    >>> from scoring.tables import PeriodRecord, score_records
    >>> specs = validate_endpoints([{"key": "d1", "kind": "timepoint", "day": 1,
    ...                              "primary": True}])
    >>> recs = [PeriodRecord("S1", "01", t, DailySeries([1], [v]))
    ...         for t, v in [("K", 2.0), ("K", 4.0), ("P", 6.0), ("P", 9.0)]]
    >>> primary_line(score_records(recs, specs), names={"K": "Ketamine"})
    {'Ketamine': '3.0 ± 1.4 (NRS 0-10), n = 2', 'P': '7.5 ± 2.1 (NRS 0-10), n = 2'}
    """
    if key is None:
        first = next((s for s in scored.specs if s.primary), None)
        if first is None:
            raise ValueError("no endpoint is declared primary: true; name the output")
        key = first.outputs()[0].key
    table = summary_table(scored, by=(by,), decimals=decimals, names=names)
    group = "treatment_name" if by == "treatment" else by
    out = {row[group]: row["report"] for row in table.dicts() if row["endpoint"] == key}
    if not out:
        raise ValueError(f"unknown endpoint output {key!r}")
    return out
