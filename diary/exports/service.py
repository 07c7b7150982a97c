"""The endpoint export use case: load, score, lay out, audit."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.orm import Session

from diary import audit
from diary.errors import RuleViolation
from diary.exports.bulk import cyclic_gc_paused
from diary.exports.records import Progress, load_study_records
from diary.services.blinding import AllocationView, allocation_view
from diary.services.principals import Principal
from diary.services.studies import current_version, get_study
from diary.timezones import TZDATA_VERSION
from scoring.adam import long_table, trace_table
from scoring.records import FIELDS, PeriodRecords, record_field
from scoring.report import summary_table
from scoring.tables import Table, score_records, wide_table

LAYOUTS = ("wide", "long", "summary", "trace")
# What a figure's curves are, by design (a single-group study has one, "ALL").
LEGEND_TITLES = {"crossover": "Treatment", "parallel": "Arm"}
FORMATS = ("csv", "xlsx", "xpt")


@dataclass(frozen=True)
class EndpointExport:
    study: str
    layout: str
    table: Table
    provenance: dict[str, str]


def masked_records(records: PeriodRecords, shown: AllocationView) -> PeriodRecords:
    """The records with their treatment and sequence as ``shown`` (codes when blinded):
    masked before scoring, so no layout (wide, long, summary, trace) can carry them."""
    if not shown.masked:
        return records
    columns = {f: record_field(records, f) for f in FIELDS}
    columns["treatment"] = [shown.record_treatment(t) for t in columns["treatment"]]
    columns["sequence"] = [shown.sequence(s) for s in columns["sequence"]]
    return PeriodRecords(**columns)


def allocation_names(protocol) -> dict[str, str]:
    """The protocol's label of each arm and treatment, by key (the key when it gives none).
    Only for callers who see the allocation."""
    return {a.key: a.label for a in (*protocol.arms, *protocol.treatments)}


def export_endpoints(session: Session, principal: Principal, key: str, *, layout: str,
                     fmt: str, now: datetime,
                     progress: Progress | None = None) -> EndpointExport:
    """Score every participant-period of a study and lay the endpoints out as ``layout``.

    XPORT cannot hold the long layout's list of source entry ids (200-byte limit): the
    long XPT leaves it out and ``layout=trace`` gives one row per value and entry.
    """
    if layout not in LAYOUTS:
        raise RuleViolation(f"must be one of {', '.join(LAYOUTS)}", field="layout")
    if fmt not in FORMATS:
        raise RuleViolation(f"must be one of {', '.join(FORMATS)}", field="format")
    study, protocol, sites = exportable(session, principal, key)
    with cyclic_gc_paused():
        data = load_study_records(session, study.id, protocol, now=now, sites=sites,
                                  with_entry_ids=layout in ("long", "trace"),
                                  progress=progress)
        shown = allocation_view(session, principal, study, protocol)
        scored = score_records(masked_records(data.records, shown), protocol.endpoints,
                               matrix=data.matrix, extra=data.extra)
        if layout == "wide":
            table = wide_table(scored, staff=data.staff)
        elif layout == "long":
            table = long_table(scored, source_ids=fmt != "xpt", staff=data.staff)
        elif layout == "trace":
            table = trace_table(scored)
        else:  # names only for those who see the allocation: codes stay codes
            table = summary_table(scored, names=None if shown.masked else
                                  allocation_names(protocol))
    provenance = _record_export(
        session, principal, study, now=now, sites=sites, masked=shown.masked,
        described={"title": study.title, "layout": layout},
        counts={"records": len(data.records), "diary_entries": data.entries},
        audited={"layout": layout, "format": fmt, "rows": len(table.rows)})
    return EndpointExport(study.key, layout, table, provenance)


@dataclass(frozen=True)
class FigureExport:
    study: str
    figure: str
    fmt: str
    content: bytes
    provenance: dict[str, str]


def export_figure(session: Session, principal: Principal, key: str, *, figure: str,
                  fmt: str, now: datetime) -> FigureExport:
    """Draw a study's daily pain by study day and treatment (``figure``: mean ± SE or one
    curve per participant-period) from the records the tables score, masked alike."""
    # Imported here: matplotlib is loaded only when a figure is drawn (issue 12).
    from diary.exports.figures import FIGURE_FORMATS, FIGURES, FigureData, draw

    if figure not in FIGURES:
        raise RuleViolation(f"must be one of {', '.join(FIGURES)}", field="figure")
    if fmt not in FIGURE_FORMATS:
        raise RuleViolation(f"must be one of {', '.join(FIGURE_FORMATS)}", field="format")
    study, protocol, sites = exportable(session, principal, key)
    data = load_study_records(session, study.id, protocol, now=now, sites=sites)
    shown = allocation_view(session, principal, study, protocol)
    records = masked_records(data.records, shown)
    content = draw(FigureData(study=study.key, treatments=records.column("treatment"),
                              values=data.matrix.values, first_day=data.matrix.first_day,
                              masked=shown.masked,
                              group=LEGEND_TITLES.get(protocol.design, "Group")),
                   figure, fmt)
    provenance = _record_export(
        session, principal, study, now=now, sites=sites, masked=shown.masked,
        described={"figure": figure},
        counts={"records": len(records), "diary_entries": data.entries},
        audited={"figure": figure, "format": fmt})
    return FigureExport(study.key, figure, fmt, content, provenance)


def exportable(session: Session, principal: Principal, key: str):
    """The study, its protocol and the caller's sites, or why nothing can be exported."""
    study, protocol = get_study(session, principal, key)
    if not protocol.endpoints:
        raise RuleViolation("the study's protocol declares no endpoints", field="layout")
    return study, protocol, principal.sites(study.id)


def _record_export(session: Session, principal: Principal, study, *, now: datetime,
                   sites, masked: bool, described: dict, counts: dict,
                   audited: dict) -> dict[str, str]:
    """The provenance of a table or figure export, audited on the study's chain and
    committed; ``described`` and ``counts`` go into the provenance, ``audited`` into the
    audit record beside the protocol version, sites and allocation view."""
    version = current_version(session, study)
    provenance = {
        "study": study.key, **described,
        "protocol_version": str(version.version), "protocol_sha256": version.sha256,
        "tzdata_version": TZDATA_VERSION, "generated_at": now.isoformat(),
        **{name: str(n) for name, n in counts.items()},
        "sites": "all" if sites is None else ", ".join(sites),
        "allocation": "masked codes" if masked else "as allocated",
    }
    audit.append(session, chain=audit.study_chain(study.id), actor=principal.actor,
                 action="endpoints.export", entity="study", entity_id=study.id, at=now,
                 after={**audited, "protocol_version": version.version,
                        "sites": provenance["sites"], "allocation": provenance["allocation"]})
    session.commit()
    return provenance
