"""QuestionnaireResponses in the shapes real form tools write, not only ours (issue 18).

Each builder says which real resource it mirrors.  Sources read for them:
- LHNCBC lforms ``test/data/R4/phq9.json`` (NLM's LOINC PHQ-9 44249-1 as an SDC
  Questionnaire: linkIds ``/44250-9`` ..., the total ``/44261-6`` of type decimal, the
  difficulty item ``/69722-7`` with LA6572-7, LA6573-5, LA6575-0, LA6574-3) and the
  responses lforms exports from such forms (``test/data/R4/fhir-sdc-response-ussgfht.json``:
  ``meta.profile`` sdc-questionnaireresponse, nested groups ``/54126-8/54125-0``, no
  ``identifier`` UUID, LOINC answer codings, no ``questionnaire`` when the form was not
  loaded from a server).
- HL7 SDC ``input/fsh/examples/questionnaireresponse-sdc-profile-example-PHQ9.fsh``: another
  publisher's canonical (``http://hl7.org/fhir/uv/sdc/Questionnaire/...-PHQ9``), a group
  ``H1/T1`` holding ``H1/T1/Q1`` .. ``Q9``, the total ``H1/TS`` as ``valueQuantity``,
  ``subject``, a ``triggeredBy`` extension, answers in the guide's own CodeSystem
  ``http://hl7.org/fhir/uv/sdc/CodeSystem/CSPHQ9`` (``Not-at-all``, ``Several-days``,
  ``More than half the days``, ``Nearly every day``; ``itemWeight`` 0-3), which a study
  declares in its alias.
"""

from __future__ import annotations

import copy

LOINC = "http://loinc.org"
SDC_QR_PROFILE = "http://hl7.org/fhir/uv/sdc/StructureDefinition/sdc-questionnaireresponse"
SDC_PHQ9 = "http://hl7.org/fhir/uv/sdc/Questionnaire/questionnaire-sdc-profile-example-PHQ9"
SDC_CSPHQ9 = "http://hl7.org/fhir/uv/sdc/CodeSystem/CSPHQ9"
SDC_CODES = ("Not-at-all", "Several-days", "More than half the days", "Nearly every day")
FREQ = ("LA6568-5", "LA6569-3", "LA6570-1", "LA6571-9")
FREQ_TEXT = ("Not at all", "Several days", "More than half the days", "Nearly every day")
PHQ9_LOINC = ("44250-9", "44255-8", "44259-0", "44254-1", "44251-7", "44258-2", "44252-5",
              "44253-3", "44260-8")
GAD7_LOINC = ("69725-0", "68509-9", "69733-4", "69734-2", "69735-9", "69689-8", "69736-7")
DIFFICULTY = ("LA6572-7", "LA6573-5", "LA6575-0", "LA6574-3")
# The answers every builder uses: PHQ-9 total 1+2+0+3+1+0+2+1+0 = 10.
PHQ9_SCORES = (1, 2, 0, 3, 1, 0, 2, 1, 0)
GAD7_SCORES = (2, 2, 1, 0, 3, 1, 0)  # total 9


def _coded(code: str, display: str) -> dict:
    return {"valueCoding": {"system": LOINC, "code": code, "display": display}}


def _freq(score: int, gad7_item2: bool = False) -> dict:
    code = "LA18938-3" if gad7_item2 and score == 2 else FREQ[score]
    return _coded(code, FREQ_TEXT[score])


def lhc_forms_phq9(*, total: float | None = 10, difficulty: int | None = 1,
                   questionnaire: str | None = None) -> dict:
    """LHC-Forms exporting the LOINC PHQ-9 (lforms ``phq9.json``) as an R4
    QuestionnaireResponse: no ``questionnaire`` (the form came from a file), no identifier,
    ``meta.profile``, a ``subject`` reference, ``text``, linkIds that are LOINC codes with a
    leading slash, the calculated total ``/44261-6`` as ``valueDecimal``, the difficulty
    item coded LA65xx."""
    items = [{"linkId": f"/{code}", "text": f"PHQ-9 item {n}", "answer": [_freq(score)]}
             for n, (code, score) in enumerate(zip(PHQ9_LOINC, PHQ9_SCORES, strict=True), 1)]
    if total is not None:
        items.append({"linkId": "/44261-6", "text": "Patient health questionnaire 9 item "
                      "total score", "answer": [{"valueDecimal": total}]})
    if difficulty is not None:
        items.append({"linkId": "/69722-7", "text": "How difficult have these problems made "
                      "it ...", "answer": [_coded(DIFFICULTY[difficulty], "Somewhat difficult")]})
    qr = {
        "resourceType": "QuestionnaireResponse",
        "meta": {"profile": [SDC_QR_PROFILE],
                 "tag": [{"code": "lformsVersion: 36.1.3"}]},
        "text": {"status": "generated",
                 "div": '<div xmlns="http://www.w3.org/1999/xhtml">PHQ-9</div>'},
        "status": "completed",
        "subject": {"reference": "Patient/pat-1", "display": "Participant"},
        "authored": "2027-03-08T10:00:00.000+01:00",
        "item": items,
    }
    if questionnaire is not None:
        qr["questionnaire"] = questionnaire
    return qr


def lhc_forms_phq9_grouped() -> dict:
    """The same with the panel as a group (lforms writes a form loaded from LOINC's panel
    as ``/44249-1`` holding ``/44249-1/44250-9`` ...), an ordinary extension on the
    response (lforms ``questionnaire-lastUpdated``-style) that we ignore."""
    qr = lhc_forms_phq9()
    children = qr.pop("item")
    for child in children:
        child["linkId"] = "/44249-1" + child["linkId"]
    qr["item"] = [{"linkId": "/44249-1", "text": "PHQ-9 quick depression assessment panel",
                   "item": children}]
    qr["extension"] = [{"url": "http://lhcforms.nlm.nih.gov/fhir/ext/rendering-version",
                        "valueString": "36.1.3"}]
    return qr


def lhc_forms_gad7(*, total: float = 9) -> dict:
    """LHC-Forms exporting LOINC's GAD-7 panel 69737-5: no ``questionnaire``, LOINC linkIds,
    the client's total ``/70274-6`` as ``valueDecimal``."""
    items = [{"linkId": f"/{code}", "answer": [_freq(score, gad7_item2=n == 2)]}
             for n, (code, score) in enumerate(zip(GAD7_LOINC, GAD7_SCORES, strict=True), 1)]
    items.append({"linkId": "/70274-6", "answer": [{"valueDecimal": total}]})
    return {"resourceType": "QuestionnaireResponse", "status": "completed",
            "meta": {"profile": [SDC_QR_PROFILE]},
            "authored": "2027-03-08T10:00:00+01:00", "item": items}


def sdc_phq9(*, version: str = "4.0.0-ballot", total: float = 10) -> dict:
    """The SDC guide's PHQ-9 response: the SDC guide's own canonical with its version, a
    ``triggeredBy`` extension, group ``H1/T1`` with ``H1/T1/Q1`` .. ``Q9`` answered in the
    guide's CSPHQ9 code system, and the total ``H1/TS`` as ``valueQuantity``."""
    questions = [{"linkId": f"H1/T1/Q{n}", "text": f"PHQ-9 question {n}",
                  "answer": [{"valueCoding": {"system": SDC_CSPHQ9, "code": SDC_CODES[score],
                                              "display": FREQ_TEXT[score]}}]}
                 for n, score in enumerate(PHQ9_SCORES, 1)]
    return {
        "resourceType": "QuestionnaireResponse",
        "extension": [{"url": "http://hl7.org/fhir/uv/sdc/StructureDefinition/"
                              "sdc-questionnaireresponse-triggeredBy",
                       "valueReference": {"reference":
                                          "http://example.org/PlanDefinition/someProtocol"}}],
        "questionnaire": f"{SDC_PHQ9}|{version}",
        "status": "completed",
        "subject": {"reference": "http://example.org/fhir/Patient/proband"},
        "authored": "2019-08-21T20:36:57.544Z",
        "author": {"reference": "http://example.org/fhir/Patient/proband"},
        "item": [{"linkId": "H1/T1", "text": "Over the last two weeks, how often have you "
                  "been bothered by any of the following problems?", "item": questions},
                 {"linkId": "H1/TS", "text": "Patient health questionnaire 9 item total score",
                  "answer": [{"valueQuantity": {"value": total, "code": "1",
                                                "system": "http://unitsofmeasure.org"}}]}],
    }


SDC_PHQ9_LINK_IDS = {**{f"H1/T1/Q{n}": f"phq9_{n}" for n in range(1, 10)}, "H1/TS": "total"}
SDC_ANSWER_CODES = {code: score for score, code in enumerate(SDC_CODES)}


def contained_phq9() -> dict:
    """A response carrying its Questionnaire (``"questionnaire": "#phq9"``), as apps that
    work offline send it: the contained Questionnaire is lforms' LOINC PHQ-9 cut down (items
    with ``code``), and the response's linkIds are the app's own (``q1`` .. ``q9``)."""
    q_items = [{"linkId": f"q{n}", "code": [{"system": LOINC, "code": code}], "type": "choice",
                "text": f"PHQ-9 item {n}"}
               for n, code in enumerate(PHQ9_LOINC, 1)]
    q_items.append({"linkId": "score", "code": [{"system": LOINC, "code": "44261-6"}],
                    "type": "decimal", "text": "Total"})
    answers = [{"linkId": f"q{n}", "answer": [_freq(score)]}
               for n, score in enumerate(PHQ9_SCORES, 1)]
    answers.append({"linkId": "score", "answer": [{"valueDecimal": 10}]})
    return {
        "resourceType": "QuestionnaireResponse",
        "contained": [{"resourceType": "Questionnaire", "id": "phq9", "status": "active",
                       "code": [{"system": LOINC, "code": "44249-1"}], "item": q_items}],
        "questionnaire": "#phq9",
        "status": "completed",
        "authored": "2027-03-08T10:00:00+01:00",
        "item": answers,
    }


def with_item(qr: dict, index: int, **changes) -> dict:
    """A deep copy of ``qr`` with ``item[index]`` updated."""
    out = copy.deepcopy(qr)
    out["item"][index].update(changes)
    return out
