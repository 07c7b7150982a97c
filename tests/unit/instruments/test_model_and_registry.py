"""Instrument data integrity, answer validation and scoring by id, across all instruments."""

from __future__ import annotations

import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from scoring import instruments
from scoring.instruments import INSTRUMENTS, InvalidAnswers, get, score, validate_answers
from scoring.instruments.model import Band, Instrument, Item, Option, Scale

EXPECTED = {"nrs_pain", "pgic", "bpi_sf", "dn4", "dn4_interview", "npsi", "hads", "phq9",
            "gad7", "isi", "pcs", "psqi", "eq5d5l", "fdi_child", "fdi_parent", "fps_r"}


def test_every_required_instrument_is_registered_with_a_scorer():
    assert set(INSTRUMENTS) == EXPECTED
    assert set(instruments.SCORERS) == EXPECTED


@pytest.mark.parametrize("inst", INSTRUMENTS.values(), ids=lambda i: i.id)
def test_each_definition_declares_version_reference_coding_and_missing_rule(inst):
    assert inst.version and inst.reference and inst.coding and inst.missing_rule
    assert re.search(r"(19|20)\d\d", inst.reference), "reference carries a year"


@pytest.mark.parametrize("inst", [i for i in INSTRUMENTS.values() if i.licence == "licensed"],
                         ids=lambda i: i.id)
def test_licensed_instruments_ship_only_neutral_item_labels(inst):
    for item in inst.items:
        assert re.fullmatch(r"[A-Z0-9]+ item \w+", item.label), item.label
        assert all(o.label.startswith(item.label) or o.label in {"no", "yes"}
                   for o in item.options)


def test_only_verified_loinc_codes_are_shipped():
    with_codes = {i.id for i in INSTRUMENTS.values()
                  if i.loinc or any(it.loinc for it in i.items) or any(s.loinc for s in i.scales)}
    assert with_codes == {"phq9", "gad7"}
    assert (get("phq9").loinc, get("phq9").scale("total").loinc) == ("44249-1", "44261-6")
    assert (get("gad7").loinc, get("gad7").scale("total").loinc) == ("69737-5", "70274-6")


@pytest.mark.parametrize("inst", INSTRUMENTS.values(), ids=lambda i: i.id)
def test_every_band_starts_inside_its_scale_range(inst):
    for band in inst.bands:
        scale = inst.scale(band.scale)
        assert scale.low <= band.at_least <= scale.high


def test_a_definition_naming_an_unknown_item_is_refused():
    item = Item("a", "A", bounds=(0, 1))
    with pytest.raises(ValueError, match="unknown items"):
        Instrument("x", "X", "1", "ref 2000", "free", (item,), (Scale("s", "S", ("b",), 0, 1),),
                   "none", "raw")
    with pytest.raises(ValueError, match="unknown scale"):
        Instrument("x", "X", "1", "ref 2000", "free", (item,), (), "none", "raw",
                   bands=(Band("s", 0, "low"),))
    with pytest.raises(ValueError, match="either options or bounds"):
        Item("a", "A", options=(Option(0, "no"),), bounds=(0, 1))


@pytest.mark.parametrize(
    ("instrument", "item", "value", "says"),
    [
        ("phq9", "phq9_1", True, "True is a bool; must be one of 0, 1, 2, 3"),
        ("phq9", "phq9_1", 2.5, "2.5 is a float; must be one of 0, 1, 2, 3"),
        ("phq9", "phq9_1", "3", "'3' is a str; must be one of 0, 1, 2, 3"),
        ("phq9", "phq9_1", 4, "4 is out of range; must be one of 0, 1, 2, 3"),
        ("nrs_pain", "worst", 11, "11 is out of range; must be an integer from 0 to 10"),
        ("nrs_pain", "worst", -1, "-1 is out of range; must be an integer from 0 to 10"),
        ("pgic", "pgic", 0, "0 is out of range; must be one of 1, 2, 3, 4, 5, 6, 7"),
        ("hads", "hads_1", False, "False is a bool; must be one of 0, 1, 2, 3"),
        ("psqi", "psqi_1", 1440, "must be an integer from 0 to 1439 (minutes after midnight)"),
        ("dn4_interview", "dn4_8", 1, "not an item of dn4_interview"),
        ("gad7", "phq9_1", 1, "not an item of gad7"),
    ],
)
def test_an_invalid_answer_is_refused_naming_the_item_and_the_allowed_values(
    instrument, item, value, says
):
    errors = validate_answers(get(instrument), {item: value})
    assert [e.item for e in errors] == [item]
    assert says in errors[0].rule
    with pytest.raises(InvalidAnswers, match=re.escape(f"{item}: ")) as caught:
        score(instrument, {item: value})
    assert caught.value.errors == errors
    assert isinstance(caught.value, ValueError)


def test_every_refused_answer_is_reported_not_only_the_first():
    errors = validate_answers(get("gad7"), {"gad7_1": 9, "gad7_2": None, "gad7_3": "1", "x": 0})
    assert [e.item for e in errors] == ["gad7_1", "gad7_3", "x"]


def test_none_and_absent_answers_are_both_missing_not_invalid():
    assert validate_answers(get("phq9"), {"phq9_1": None}) == []
    assert score("phq9", {"phq9_1": None}).items_missing[0] == "phq9_1"


def test_an_unknown_instrument_id_names_the_known_ones():
    with pytest.raises(KeyError, match="unknown instrument 'sf36'.*phq9"):
        get("sf36")


def _valid_answers(inst: Instrument):
    def one(item):
        values = (st.integers(*item.bounds) if item.bounds
                  else st.sampled_from([o.code for o in item.options]))
        return st.one_of(st.none(), values)
    return st.fixed_dictionaries({item.id: one(item) for item in inst.items})


@pytest.mark.parametrize("inst", INSTRUMENTS.values(), ids=lambda i: i.id)
@settings(max_examples=40, deadline=None)
@given(data=st.data())
def test_any_valid_response_scores_inside_each_published_range_or_gives_a_reason(inst, data):
    answers = data.draw(_valid_answers(inst))
    result = score(inst.id, answers)
    for s in result.scales:
        scale = inst.scale(s.scale)
        if s.value is None:
            assert s.reason
        else:
            assert scale.low <= s.value <= scale.high
            assert s.reason is None
