"""The protocol's ``fhir`` section (issue 18): the in-progress rule and aliases for other
apps' Questionnaire canonicals, each mistake an issue at its path (``studies check``)."""

from __future__ import annotations

import copy
import subprocess
import sys

import pytest
import yaml

from diary.protocol.loader import ProtocolError, build_protocol
from diary.protocol.model import FhirIntake, QuestionnaireAlias
from tests.unit.protocol.test_protocol_validation import PARALLEL

SDC = "http://hl7.org/fhir/uv/sdc/Questionnaire/questionnaire-sdc-profile-example-PHQ9"


def _with(fhir):
    data = copy.deepcopy(PARALLEL)
    data["fhir"] = fhir
    return data


def _issues(data) -> list[tuple[str, str]]:
    with pytest.raises(ProtocolError) as exc:
        build_protocol(data)
    return exc.value.issues


def test_without_the_section_in_progress_is_refused_and_there_are_no_aliases():
    assert build_protocol(copy.deepcopy(PARALLEL)).fhir == FhirIntake("refuse", ())


def test_aliases_and_the_partial_rule_are_read():
    cs = "http://hl7.org/fhir/uv/sdc/CodeSystem/CSPHQ9"
    p = build_protocol(_with({"in_progress": "partial", "questionnaire_aliases": [
        {"canonical": SDC, "instrument": "phq9", "link_ids": {"H1/T1/Q1": "phq9_1",
                                                              "H1/TS": "total"},
         "answers": {"system": cs, "codes": {"Not-at-all": 0, "Several-days": 1}}}]}))
    assert p.fhir == FhirIntake("partial", (QuestionnaireAlias(
        SDC, "phq9", {"H1/T1/Q1": "phq9_1", "H1/TS": "total"}, cs,
        {"Not-at-all": 0, "Several-days": 1}),))


@pytest.mark.parametrize("fhir, path, starts", [
    ({"in_progress": "store"}, "fhir.in_progress", "must be one of refuse, partial"),
    ({"aliases": []}, "fhir.aliases", "unknown field"),
    ({"questionnaire_aliases": [{"canonical": f"{SDC}|4.0.0", "instrument": "phq9"}]},
     "fhir.questionnaire_aliases[0].canonical", "must be the other app's Questionnaire "
                                                "canonical URL"),
    ({"questionnaire_aliases": [{"canonical": "phq9", "instrument": "phq9"}]},
     "fhir.questionnaire_aliases[0].canonical", "must be the other app's"),
    ({"questionnaire_aliases": [{"canonical": "http://loinc.org/q/44249-1",
                                 "instrument": "phq9"}]},
     "fhir.questionnaire_aliases[0].canonical", "'http://loinc.org/q/44249-1' already names "
                                                "phq9"),
    ({"questionnaire_aliases": [{"canonical": SDC, "instrument": "phq-9"}]},
     "fhir.questionnaire_aliases[0].instrument", "unknown instrument"),
    ({"questionnaire_aliases": [{"canonical": SDC, "instrument": "phq9",
                                 "link_ids": {"H1/T1/Q1": "gad7_1"}}]},
     "fhir.questionnaire_aliases[0].link_ids.H1/T1/Q1", "'gad7_1' is not an item or scale of "
                                                        "phq9"),
    ({"questionnaire_aliases": [{"canonical": SDC, "instrument": "phq9", "answers": {
        "system": "http://hl7.org/fhir/uv/sdc/CodeSystem/CSPHQ9", "codes": {"Always": 4}}}]},
     "fhir.questionnaire_aliases[0].answers.codes.Always", "4 is not a score of a coded item "
                                                           "of phq9; scores: 0, 1, 2, 3"),
    ({"questionnaire_aliases": [{"canonical": SDC, "instrument": "phq9", "answers": {
        "system": "CSPHQ9", "codes": {"Not-at-all": 0}}}]},
     "fhir.questionnaire_aliases[0].answers.system", "must be the app's code system URL"),
    ({"questionnaire_aliases": [{"canonical": SDC, "instrument": "phq9"},
                                {"canonical": SDC, "instrument": "gad7"}]},
     "fhir.questionnaire_aliases[1].canonical", f"'{SDC}' is declared twice"),
])
def test_each_mistake_is_named_at_its_path(fhir, path, starts):
    issues = dict(_issues(_with(fhir)))
    assert path in issues, issues
    assert issues[path].startswith(starts), issues[path]


def test_studies_check_reports_a_bad_alias(tmp_path):
    source = tmp_path / "study.yaml"
    source.write_text(yaml.safe_dump(_with({"questionnaire_aliases": [
        {"canonical": SDC, "instrument": "phq9", "link_ids": {"H1/TS": "sum"}}]})))
    done = subprocess.run([sys.executable, "-m", "flask", "--app", "app", "studies", "check",
                           str(source)], capture_output=True, text=True, check=False)
    assert done.returncode == 1, done.stdout + done.stderr
    assert "fhir.questionnaire_aliases[0].link_ids.H1/TS" in done.stdout + done.stderr
