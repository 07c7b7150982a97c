"""The long table in the CDISC ADaM BDS style, and its traceability companion.

One row per participant-period, parameter and visit.  Parameters are the
endpoints that read the diary (auc, timepoint, weekly, baseline, compliance,
and later kinds); ``change``, ``percent_change`` and ``responder`` endpoints
do not get rows of their own: they fill CHG, PCHG and CRITy/CRITyFL of the row
of the value they derive from, whose BASE is their baseline (ADaM IG, Basic
Data Structure).  ADY is the study day with the anchor date as day 0, unlike
SDTM's ``--DY``, which has no day 0.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import replace

from scoring.naming import fit_label, xport_name
from scoring.precision import round_values
from scoring.results import dtype_label
from scoring.spec import EndpointSpec
from scoring.tables import DTYPE_CODES, Column, ScoredRecords, Table, nan_to_none, record_columns
from scoring.tables import record_values as _record_values
from scoring.tables import staff_sources as _staff_sources

__all__ = ["PARAM_MAX", "long_table", "paramcds", "params", "trace_table"]

#: PARAM is a value, not a label: XPORT v5 holds 200 bytes per character value.
PARAM_MAX = 200


def paramcds(specs: Sequence[EndpointSpec]) -> dict[str, str]:
    """PARAMCD (<= 8 chars) per endpoint key: declared ``paramcd`` or derived.

    Declared codes are kept; the others follow :func:`scoring.naming.xport_name`
    in declaration order.

    Examples
    --------
    >>> from scoring.endpoints import validate_endpoints
    >>> paramcds(validate_endpoints([
    ...     {"key": "auc_d1_35", "kind": "auc", "from_day": 1, "to_day": 35},
    ...     {"key": "pain", "kind": "timepoint", "day": 7, "paramcd": "PAIND7"}]))
    {'auc_d1_35': 'AUCD135', 'pain': 'PAIND7'}
    """
    taken = {s.paramcd for s in specs if s.paramcd}
    out = {}
    for s in specs:
        if s.paramcd:
            out[s.key] = s.paramcd
        else:
            out[s.key] = xport_name(s.key, taken)
            taken.add(out[s.key])
    return out


def params(specs: Sequence[EndpointSpec], codes: Mapping[str, str]) -> dict[str, str]:
    """PARAM per endpoint key: one text per PARAMCD and one PARAMCD per text (ADaM).

    The declared label, else a text derived from the definition
    (:meth:`~scoring.spec.EndpointSpec.param_text`), at most ``PARAM_MAX``
    characters.  A text already taken by an earlier endpoint gets its PARAMCD
    appended, so the same protocol always gives the same texts.

    Examples
    --------
    >>> from scoring.endpoints import validate_endpoints
    >>> specs = validate_endpoints([
    ...     {"key": "auc", "kind": "auc", "from_day": 1, "to_day": 35},
    ...     {"key": "auc_raw", "kind": "auc", "from_day": 1, "to_day": 35, "ends": "none"},
    ...     {"key": "p28", "kind": "timepoint", "day": 28, "window": 1},
    ...     {"key": "d7", "kind": "timepoint", "day": 7, "label": "Pain day 7"},
    ...     {"key": "d7b", "kind": "timepoint", "day": 7, "label": "Pain day 7"}])
    >>> list(params(specs, paramcds(specs)).values())  # doctest: +NORMALIZE_WHITESPACE
    ['AUC days 1-35, ends carried', 'AUC days 1-35, ends not carried',
     'Pain at day 28 (days 27-29)', 'Pain day 7', 'Pain day 7 (D7B)']
    """
    out: dict[str, str] = {}
    taken: set[str] = set()
    for s in specs:
        if getattr(s, "adam_annotation", None) is not None:
            continue            # no rows of its own
        text = s.param_text()
        if text in taken:
            text = f"{text} ({codes[s.key]})"
        text = fit_label(text, PARAM_MAX)
        # Still taken only if a label spells another's text plus code: count up.
        k = 2
        while text in taken:
            text, k = fit_label(f"{s.param_text()} ({codes[s.key]}, {k})", PARAM_MAX), k + 1
        taken.add(text)
        out[s.key] = text
    return out


def _annotations(specs: Sequence[EndpointSpec]):
    """Row output key -> {"CHG": key, "PCHG": key, "BASE": key, "CRIT": [spec, ...]}."""
    notes: dict[str, dict] = {}
    for s in specs:
        ann = getattr(s, "adam_annotation", None)
        if ann is None:
            continue
        row, column = ann()
        note = notes.setdefault(row, {"CRIT": []})
        if column == "CRIT":
            note["CRIT"].append(s)
        else:
            note[column] = s.key
        note.setdefault("BASE", s.key)
    return notes


ASEQ = Column("ASEQ", "ASEQ", "Analysis sequence number", "num",
              "1, 2, ... per USUBJID in row order: participant-period, then endpoint "
              "declaration order, then visit")
_FIXED = [
    ("PARAMCD", "Parameter code", "char", "endpoint key, shortened to <= 8 chars"),
    ("PARAM", "Parameter", "char",
     "endpoint label, else derived from its definition; unique per PARAMCD "
     "(a repeated text gets the PARAMCD appended)"),
    ("PARCAT1", "Parameter category 1", "char",
     "endpoint family: AUC, TIMEPOINT, WEEKLY, BASELINE, COMPLIANCE, QUESTIONNAIRE, "
     "MEDICATION, SAFETY"),
    ("AVISIT", "Analysis visit", "char", "DAY d, WEEK n, DAYS a TO b or BASELINE"),
    ("AVISITN", "Analysis visit (N)", "num", "day (timepoint), week (weekly), 0 (baseline), "
                                             "last day (windows)"),
    ("ADY", "Analysis day (anchor = day 0)", "num",
     "last study day of the parameter's window; anchor date = day 0 (no SDTM day-1 shift)"),
    ("AVAL", "Analysis value", "num", "see the endpoint's derivation in the protocol; "
     "AVAL, BASE, CHG, PCHG rounded to their endpoint's precision (its wide column's)"),
    ("BASE", "Baseline value", "num", "baseline endpoint used by CHG/PCHG/CRITy of the row"),
    ("CHG", "Change from baseline", "num", "AVAL - BASE"),
    ("PCHG", "Percent change from baseline", "num",
     "100 * (AVAL - BASE) / BASE rounded to 6 decimals; empty if BASE = 0"),
    ("ABLFL", "Baseline record flag", "char", "Y on baseline parameters"),
]
_TAIL = [
    ("DTYPE", "Derivation type", "char",
     "INTERP interpolated interior day; NOCB/LOCF carried first/last day; joined by +"),
    ("ANL01FL", "Analysis flag 01", "char", "Y when AVAL is present"),
    ("REASON", "Reason AVAL is missing", "char", "why no value could be derived"),
    ("SRCIDS", "Source diary entry ids", "char",
     "ids of the diary entries read for AVAL, ';'-separated; may exceed the 200 bytes "
     "of XPORT v5 (use the trace table there)"),
    ("ENTSRC", "Staff sources of AVAL's records", "char",
     "clinician, paper or phone: how staff entered diary entries or questionnaire "
     "responses read for AVAL, ';'-separated; empty when the participant entered all"),
]


#: Define-style codelists of the coded columns (PARAMCD and PARCAT1: per protocol).
_CODELISTS = {"ABLFL": "Y", "ANL01FL": "Y", "DTYPE": DTYPE_CODES,
              "ENTSRC": "clinician; paper; phone"}


def long_table(scored: ScoredRecords, *, source_ids: bool = True,
               staff: Mapping[str, str] | None = None) -> Table:
    """The BDS long table (dataset ``ADEP``); see the module notes.

    ``source_ids=False`` leaves SRCIDS empty (faster for very large studies).
    ``staff`` maps the ids of staff-entered records to their sources (ENTSRC).

    Examples
    --------
    >>> from scoring.days import DailySeries
    >>> from scoring.endpoints import validate_endpoints
    >>> from scoring.tables import PeriodRecord, score_records
    >>> specs = validate_endpoints([
    ...     {"key": "bl", "kind": "baseline"},
    ...     {"key": "d7", "kind": "timepoint", "day": 7},
    ...     {"key": "pchg_d7", "kind": "percent_change", "of": "d7"},
    ...     {"key": "resp30", "kind": "responder", "of": "pchg_d7", "reduction_percent": 30}])
    >>> s = DailySeries([-4, -3, -2, -1, 7], [6, 6, 6, 6, 4.2], entry_ids="abcde")
    >>> t = long_table(score_records([PeriodRecord("S1", "01", "K", s)], specs))
    >>> [(r["PARAMCD"], r["AVAL"], r["BASE"], r["PCHG"], r["CRIT1FL"], r["SRCIDS"])
    ...  for r in t.dicts()]
    [('BL', 6.0, 6.0, None, None, 'a;b;c;d'), ('D7', 4.2, 6.0, -30.0, 'Y', 'e')]
    >>> t = long_table(score_records([PeriodRecord("S1", "01", "K", s)], specs),
    ...                staff={"b": "paper", "e": "phone"})
    >>> [(r["PARAMCD"], r["ENTSRC"]) for r in t.dicts()]
    [('BL', 'paper'), ('D7', 'phone')]
    """
    specs, res = scored.specs, scored.results
    codes, notes = paramcds(specs), _annotations(specs)
    by_key = {s.key: s for s in specs}
    texts = params(specs, codes)
    n_crit = max((len(n["CRIT"]) for n in notes.values()), default=0)
    ident_columns = [replace(c, name=c.xport_name) for c in record_columns()]  # ADaM names
    codelists = {**_CODELISTS, "PARAMCD": "; ".join(codes[k] for k in texts),
                 "PARCAT1": "; ".join(dict.fromkeys(s.parcat() for s in specs
                                                    if s.key in texts))}
    # The PARAMCD = PARAM pairs go in the derivation; the codelist lists the codes.
    # XPORT's dictionary cuts either text into 200-byte pieces (diary.exports.xport).
    pairs = {"PARAMCD": "; ".join(f"{codes[k]} = {p}" for k, p in texts.items())}
    columns = ident_columns + [ASEQ] + [
        Column(n, n, lab, t, f"{d}: {pairs[n]}" if n in pairs else d,
               codelist=codelists.get(n, ""))
        for n, lab, t, d in _FIXED]
    for y in range(1, n_crit + 1):
        columns.append(Column(f"CRIT{y}", f"CRIT{y}", f"Analysis criterion {y}", "char",
                              "responder rule of the row, e.g. PCHG <= -30"))
        columns.append(Column(f"CRIT{y}FL", f"CRIT{y}FL", f"Criterion {y} evaluation result flag",
                              "char", "Y if met, N if not, empty if undecidable",
                              codelist="Y; N"))
    columns += [Column(n, n, lab, t, d, codelist=codelists.get(n, ""))
                for n, lab, t, d in _TAIL]
    ids, first = scored.matrix.entry_ids, scored.matrix.first_day
    n = len(scored.records)
    blocks = []
    for spec in specs:
        if getattr(spec, "adam_annotation", None) is not None:
            continue
        for o in spec.outputs():
            note = notes.get(o.key, {"CRIT": []})
            r = res[o.key]
            # Rounded once, to the declared precision (scoring.precision): AVAL and BASE
            # at the row's endpoint's, CHG and PCHG at their own endpoints'.
            dec = spec.decimals()
            aval = round_values(nan_to_none(r.values), dec)
            base = (aval if spec.kind == "baseline" else
                    round_values(nan_to_none(res[note["BASE"]].base), dec) if "BASE" in note
                    else [None] * n)
            chg, pchg = ([None] * n if col not in note else round_values(
                nan_to_none(res[note[col]].values), by_key[note[col]].decimals())
                for col in ("CHG", "PCHG"))
            crits = []
            for c in note["CRIT"]:
                flags = [None if v is None else ("Y" if v == 1.0 else "N")
                         for v in nan_to_none(res[c.key].values)]
                crits.append((c.criterion(), flags))
            crits += [(None, [None] * n)] * (n_crit - len(crits))
            masks = [0] * n if r.dtype_mask is None else r.dtype_mask.tolist()
            head = (codes[spec.key], texts[spec.key], spec.parcat(), o.visit, o.visitnum,
                    o.day)
            ablfl = "Y" if spec.kind == "baseline" else None
            for i in range(n):
                crit_cells = tuple(x for text, flags in crits
                                   for x in ((text if flags[i] is not None else None), flags[i]))
                read = r.entry_ids(i, ids, first) if source_ids or staff else ()
                src = ";".join(read) if source_ids else None
                blocks.append((i, (*head, aval[i], base[i], chg[i], pchg[i], ablfl, *crit_cells,
                                   dtype_label(masks[i]), "Y" if aval[i] is not None else None,
                                   r.reason(i), src or None,
                                   _staff_sources(read, staff) if staff else None)))
    ident = [_record_values(r) for r in scored.records]
    blocks.sort(key=lambda b: b[0])             # stable: records, then declaration order
    seq: dict[str, int] = {}
    rows = []
    for i, cells in blocks:
        subject = scored.records[i].subject
        seq[subject] = seq.get(subject, 0) + 1
        rows.append((*ident[i], seq[subject], *cells))
    return Table("ADEP", tuple(columns), rows)


def trace_table(scored: ScoredRecords) -> Table:
    """One row per derived value and diary entry read (dataset ``ADEPSRC``).

    The XPORT-friendly form of SRCIDS, covering every output (wide columns
    included), keyed by subject, period and output key.
    """
    columns = (
        Column("subject", "USUBJID", "Unique subject identifier", "char", "participant id"),
        Column("period", "APERIOD", "Period or anchor number", "num", "as in the wide table"),
        Column("endpoint", "ENDPOINT", "Endpoint output key", "char", "wide column name"),
        Column("entry_id", "SRCID", "Source diary entry id", "char",
               "id of a diary entry (current version) read to derive the value"),
    )
    ids, first = scored.matrix.entry_ids, scored.matrix.first_day
    rows = []
    for i, rec in enumerate(scored.records):
        for _, o in scored.outputs():
            for e in scored.results[o.key].entry_ids(i, ids, first):
                rows.append((rec.subject, rec.period, o.key, e))
    return Table("ADEPSRC", columns, rows)
