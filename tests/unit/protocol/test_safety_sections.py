"""The protocol's medication and side-effect sections (issue 6): one issue per path."""

from __future__ import annotations

import copy

import pytest

from diary.protocol.loader import ProtocolError, build_protocol
from tests.unit.protocol.test_protocol_validation import PARALLEL


def _with(**fields):
    data = copy.deepcopy(PARALLEL)
    data.update(fields)
    return data


def _issues(data) -> list[tuple[str, str]]:
    with pytest.raises(ProtocolError) as exc:
        build_protocol(data)
    return exc.value.issues


def test_without_the_sections_a_study_uses_the_default_table_and_checklist():
    p = build_protocol(_with())
    assert p.medication_table == "cdc-2022"
    assert p.side_effects.codes[:3] == ("nausea", "vomiting", "dizziness")


def test_a_pinned_table_and_a_declared_checklist_are_kept():
    p = build_protocol(_with(medication={"table": "cdc-2022"},
                             side_effects=["nausea", {"code": "metallic_taste",
                                                      "label": "Metallic taste"}]))
    assert p.medication_table == "cdc-2022"
    assert p.side_effects.codes == ("nausea", "metallic_taste")


@pytest.mark.parametrize(("fields", "issue"), [
    ({"medication": {"table": "cdc-1999"}},
     ("medication.table", "unknown conversion table 'cdc-1999'; "
                         "shipped: cdc-2022, cdc-2022-anzca-2021")),
    ({"medication": {"tabel": "cdc-2022"}}, ("medication.tabel", "unknown field")),
    ({"medication": "cdc-2022"}, ("medication", "must be a mapping")),
    ({"side_effects": ["nausae"]},
     ("side_effects[0]", "unknown symptom 'nausae'; give {code, label} for a symptom of the "
                         "study's own")),
    ({"side_effects": "nausea"},
     ("side_effects", "must be a list of symptom codes or {code, label}")),
    ({"side_effects": ["nausea"],
      "endpoints": [{"key": "v", "kind": "symptom_count", "symptom": "vomiting",
                     "from_day": 0, "to_day": 4}]},
     ("endpoints[0].symptom", "'vomiting' is not on the side-effect checklist (nausea)")),
])
def test_each_mistake_is_one_issue_at_its_path(fields, issue):
    assert _issues(_with(**fields)) == [issue]
