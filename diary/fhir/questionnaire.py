"""Publish a shipped instrument as a FHIR R4 ``Questionnaire`` (a plain dict).

One item per instrument item, in published order, ``linkId`` = our item id.
Coded items are ``choice`` with ``answerOption.valueCoding``: the LOINC answer
code where the instrument has a verified one, else our own code system
``{base_url}/CodeSystem/{instrument}`` whose code is the item score as a string.
Every option carries its score in the ``ordinalValue`` extension, as LHNCBC
lforms' LOINC PHQ-9 does.  Ranged items are ``integer`` with the ``minValue`` /
``maxValue`` extensions.

Examples
--------
>>> from scoring.instruments.registry import get
>>> q = questionnaire(get("gad7"))
>>> q["url"], q["code"][0]["code"], q["item"][1]["answerOption"][2]["valueCoding"]["code"]
('urn:paindiary/Questionnaire/gad7', '69737-5', 'LA18938-3')
>>> q = questionnaire(get("bpi_sf"), texts={"bpi_3": "Pire douleur"}, language="fr")
>>> q["language"], q["item"][0]["text"], q["item"][0]["type"], q["item"][1]["text"]
('fr', 'Pire douleur', 'integer', 'BPI item 4')
"""

from __future__ import annotations

from collections.abc import Mapping

from diary.fhir._codes import (
    ITEM_UNIT,
    MAX_VALUE,
    MIN_VALUE,
    ORDINAL_VALUE,
    loinc_coding,
    option_coding,
    questionnaire_url,
)
from diary.fhir.capability import SDC_QUESTIONNAIRE
from scoring.instruments.model import Instrument, Item

__all__ = ["questionnaire"]


def questionnaire(
    instrument: Instrument,
    *,
    texts: Mapping[str, str] | None = None,
    language: str = "en",
    base_url: str = "urn:paindiary",
) -> dict:
    """The FHIR R4 ``Questionnaire`` resource for ``instrument``.

    Parameters
    ----------
    instrument : Instrument
        A shipped instrument (``scoring.instruments.registry.get(id)``).
    texts : mapping of item id to text, keyword-only
        The study's wording in ``language``; overrides the shipped labels, which
        are neutral for licensed instruments (BPI, HADS, ...).  Items not named
        keep the shipped label.
    language : str, keyword-only
        ``Questionnaire.language`` (BCP 47), the language of ``texts``.
    base_url : str, keyword-only
        Prefix of the canonical URL and of our answer code system.

    Returns
    -------
    dict
        JSON-ready; ``version`` is the instrument version, ``status`` active.
        Scored items are ``required``; unscored ones (PHQ-9 item 10, NPSI 4 and
        7) are included and optional.

    Raises
    ------
    ValueError
        ``texts`` names an item the instrument does not have.
    """
    texts = dict(texts or {})
    if unknown := sorted(set(texts) - set(instrument.item_ids)):
        raise ValueError(f"texts name unknown items of {instrument.id}: {', '.join(unknown)}")
    resource = {
        "resourceType": "Questionnaire",
        "id": instrument.id.replace("_", "-"),
        # SDC's base Questionnaire profile, which LHC-Forms and other SDC renderers read.
        "meta": {"profile": [SDC_QUESTIONNAIRE]},
        "language": language,
        "url": questionnaire_url(base_url, instrument.id),
        "version": instrument.version,
        "name": "".join(part.capitalize() for part in instrument.id.split("_")),
        "title": instrument.name,
        "status": "active",
        "subjectType": ["Patient"],
        "description": instrument.reference,
        "copyright": _copyright(instrument),
    }
    if code := loinc_coding(instrument.loinc, instrument.name):
        resource["code"] = code
    resource["item"] = [
        _item(instrument, item, texts.get(item.id, item.label), base_url)
        for item in instrument.items
    ]
    return resource


def _item(instrument: Instrument, item: Item, text: str, base_url: str) -> dict:
    out: dict = {"linkId": item.id}
    if code := loinc_coding(item.loinc, item.label):
        out["code"] = code
    out["text"] = text
    if item.bounds is not None:
        low, high = item.bounds
        out["extension"] = [
            {"url": MIN_VALUE, "valueInteger": low},
            {"url": MAX_VALUE, "valueInteger": high},
        ]
        if item.unit:
            out["extension"].append({"url": ITEM_UNIT, "valueCoding": {"display": item.unit}})
        out["type"] = "integer"
    else:
        out["type"] = "choice"
        out["answerOption"] = [
            {
                "extension": [{"url": ORDINAL_VALUE, "valueDecimal": option.code}],
                "valueCoding": option_coding(instrument, option, base_url),
            }
            for option in item.options  # printed order, which is not score order for HADS
        ]
    out["required"] = item.scored
    out["repeats"] = False
    return out


def _copyright(instrument: Instrument) -> str:
    if instrument.licence == "free":
        return "Free to use; the shipped wording is the published English text."
    return (
        "Licensed instrument: item labels are neutral placeholders; the study supplies "
        "the licensed wording."
    )
