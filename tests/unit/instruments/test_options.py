"""Study-supplied scoring options: checked per instrument, every refusal named, and the
parsed options are what the scorer takes."""

from __future__ import annotations

import pytest

from scoring.instruments import score
from scoring.instruments.eq5d_values import DIMENSIONS, ValueSet
from scoring.instruments.options import OPTION_NAMES, InvalidOptions, parse_options

VALUE_SET = {"name": "synthetic", "citation": "unit test only",
             "decrements": {d: [0.01, 0.02, 0.03, 0.04] for d in DIMENSIONS}}


def test_only_instruments_whose_published_rule_leaves_a_choice_take_options():
    assert OPTION_NAMES == {"phq9": ("max_missing",), "gad7": ("max_missing",),
                            "fdi_child": ("max_missing",), "fdi_parent": ("max_missing",),
                            "eq5d5l": ("value_set",)}


@pytest.mark.parametrize(("instrument", "top"), [("phq9", 1), ("gad7", 1), ("fdi_child", 3),
                                                 ("fdi_parent", 3)])
def test_max_missing_is_bounded_per_instrument(instrument, top):
    assert parse_options(instrument, {"max_missing": top}) == {"max_missing": top}
    for bad in (top + 1, -1, True, "1", 1.0):
        with pytest.raises(InvalidOptions) as caught:
            parse_options(instrument, {"max_missing": bad}, path=f"instrument_options.{instrument}")
        assert caught.value.errors[0].field == f"instrument_options.{instrument}.max_missing"
        assert caught.value.errors[0].rule == f"must be an integer from 0 to {top}"


def test_unknown_options_and_instruments_without_options_are_refused_all_at_once():
    with pytest.raises(InvalidOptions) as caught:
        parse_options("eq5d5l", {"valueset": {}, "max_missing": 1}, path="o")
    assert [e.field for e in caught.value.errors] == ["o.valueset", "o.max_missing"]
    assert caught.value.errors[0].rule == "unknown option; eq5d5l takes value_set"
    with pytest.raises(InvalidOptions, match="hads takes no scoring options"):
        parse_options("hads", {"max_missing": 1})
    with pytest.raises(InvalidOptions, match="must be a mapping"):
        parse_options("phq9", ["max_missing"])


def test_a_parsed_value_set_is_what_the_eq5d_scorer_takes():
    options = parse_options("eq5d5l", {"value_set": VALUE_SET})
    assert isinstance(options["value_set"], ValueSet)
    answers = dict(zip(("eq5d_mo", "eq5d_sc", "eq5d_ua", "eq5d_pd", "eq5d_ad"),
                       (2, 2, 3, 4, 5), strict=True))
    # 1 - (0.01 + 0.01 + 0.02 + 0.03 + 0.04)
    assert score("eq5d5l", answers, **options)["index"].value == pytest.approx(0.89)


def test_a_broken_value_set_is_refused_with_the_path_of_each_field():
    broken = {**VALUE_SET, "decrements": {**VALUE_SET["decrements"], "ad": [1, 2]}}
    with pytest.raises(InvalidOptions) as caught:
        parse_options("eq5d5l", {"value_set": broken}, path="instrument_options.eq5d5l")
    assert [e.field for e in caught.value.errors] == [
        "instrument_options.eq5d5l.value_set.decrements.ad"]


def test_parsed_fdi_options_prorate_through_the_registry():
    options = parse_options("fdi_parent", {"max_missing": 1})
    answers = {f"fdi_{n}": 2 for n in range(2, 16)}
    assert score("fdi_parent", answers, **options)["total"].value == 30
