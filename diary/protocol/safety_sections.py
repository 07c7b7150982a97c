"""Protocol sections of the medication and side-effect diaries (issue 6).

``medication: {table: cdc-2022}`` pins the MME conversion table (the version is data:
a study keeps the factors it started with when a new table ships); ``side_effects:``
lists the checklist's symptoms (default codes such as ``nausea``, or ``{code, label}``
of the study's own). Both are optional: without them a study uses the default table
and the default checklist, and symptom endpoints are checked against that checklist.
"""

from __future__ import annotations

from typing import Any

from diary.medication import DEFAULT_TABLE, available_tables
from diary.protocol.checks import Checker
from diary.protocol.references import unknown
from diary.safety import Checklist, ChecklistError, endpoint_symptom_issues, make_checklist


def read_medication(check: Checker, value: Any) -> str:
    """The pinned conversion-table version (default ``cdc-2022``)."""
    if value is None:
        return DEFAULT_TABLE
    m = check.mapping(value, "medication", {"table"}) or {}
    table = m.get("table", DEFAULT_TABLE)
    shipped = available_tables()
    if not isinstance(table, str) or table not in shipped:
        check.fail("medication.table", unknown("conversion table", table, shipped)
                   + f"; shipped: {', '.join(shipped)}")
        return DEFAULT_TABLE
    return table


def read_side_effects(check: Checker, value: Any) -> Checklist:
    """The side-effect checklist; the default one when the section is absent."""
    try:
        return make_checklist(value, path="side_effects")
    except ChecklistError as exc:
        check.fail(exc.field, exc.rule)
        return Checklist()


def check_symptom_endpoints(check: Checker, endpoints: list, checklist: Checklist) -> None:
    """Symptom endpoints must name a symptom of the checklist (one issue per path)."""
    for path, rule in endpoint_symptom_issues(endpoints, checklist):
        check.fail(path, rule)
