"""EQ-5D-5L: profile, level sum score and VAS boundaries, the missing-dimension rule,
and the utility index from a study-supplied value set (exact arithmetic, checks)."""

from __future__ import annotations

from decimal import Decimal
from fractions import Fraction

import pytest

from scoring.instruments import InvalidAnswers, score, validate_answers
from scoring.instruments.eq5d import EQ5D5L
from scoring.instruments.eq5d_values import DIMENSIONS, ValueSet
from scoring.instruments.model import OptionError

DIMS = ("eq5d_mo", "eq5d_sc", "eq5d_ua", "eq5d_pd", "eq5d_ad")


def state(levels: str, vas: int | None = 50) -> dict[str, int | None]:
    return dict(zip(DIMS, map(int, levels), strict=True)) | {"eq5d_vas": vas}


# A made-up value set for arithmetic only (not any country's): decrements grow by level.
TEST_SET = {
    "name": "test set", "citation": "synthetic, for unit tests", "constant": "0.05",
    "decrements": {"mo": [0.05, 0.1, 0.2, 0.3], "sc": ["0.04", "0.08", "0.16", "0.2"],
                   "ua": [0.03, 0.06, 0.12, 0.18], "pd": [0.06, 0.12, 0.3, 0.4],
                   "ad": [0.05, 0.1, 0.2, 0.25]},
}


def value_set(data=TEST_SET) -> ValueSet:
    errors: list[OptionError] = []
    vs = ValueSet.parse(data, "value_set", errors)
    assert errors == [] and vs is not None
    return vs


@pytest.mark.parametrize(("levels", "profile", "lss"), [
    ("11111", 11111, 5), ("55555", 55555, 25), ("12345", 12345, 15), ("11223", 11223, 9),
    ("51111", 51111, 9),
])
def test_profile_is_the_five_levels_in_dimension_order_and_lss_their_sum(levels, profile, lss):
    r = score("eq5d5l", state(levels))
    assert (r["profile"].value, r["lss"].value) == (profile, lss)
    assert r["profile"].reason is None and r["lss"].prorated is False


@pytest.mark.parametrize("vas", [0, 100, 73])
def test_vas_is_scored_as_marked_from_0_to_100(vas):
    assert score("eq5d5l", state("11111", vas))["vas"].value == vas


@pytest.mark.parametrize(("item", "value"), [
    ("eq5d_mo", 0), ("eq5d_mo", 6), ("eq5d_ad", 9), ("eq5d_vas", -1), ("eq5d_vas", 101),
    ("eq5d_vas", 50.5), ("eq5d_sc", True), ("eq5d_pd", "2"),
])
def test_values_outside_the_levels_or_the_vas_range_are_refused(item, value):
    answers = state("11111") | {item: value}
    assert [e.item for e in validate_answers(EQ5D5L, answers)] == [item]
    with pytest.raises(InvalidAnswers):
        score("eq5d5l", answers)


@pytest.mark.parametrize("missing", DIMS)
def test_any_missing_dimension_leaves_profile_lss_and_index_unscored_but_not_vas(missing):
    answers = state("22222", 64) | {missing: None}
    r = score("eq5d5l", answers, value_set=value_set())
    for scale in ("profile", "lss", "index"):
        assert r[scale].value is None
        assert r[scale].reason == f"1 of 5 dimensions missing ({missing}); all five are required"
    assert r["vas"].value == 64
    assert r.items_missing == (missing,)


def test_missing_vas_leaves_only_the_vas_unscored():
    r = score("eq5d5l", state("21111", None))
    assert r.values == {"profile": 21111, "lss": 6, "vas": None, "index": None}
    assert r["vas"].reason == "item eq5d_vas missing"


def test_without_a_value_set_the_index_says_the_study_supplies_one():
    r = score("eq5d5l", state("11111"))
    assert r["index"].value is None and "value set" in r["index"].reason


def test_index_of_full_health_is_1_without_the_constant():
    assert score("eq5d5l", state("11111"), value_set=value_set())["index"].value == 1


def test_index_subtracts_the_constant_and_each_dimension_decrement_exactly():
    r = score("eq5d5l", state("12345"), value_set=value_set())
    # 1 - 0.05 (constant) - sc2 0.04 - ua3 0.06 - pd4 0.3 - ad5 0.25 = 0.30
    assert r["index"].value == pytest.approx(0.3, abs=0)
    assert value_set().index(dict(zip(DIMENSIONS, (1, 2, 3, 4, 5), strict=True))) \
        == Fraction(3, 10)


def test_worst_state_uses_every_level_5_decrement():
    r = score("eq5d5l", state("55555"), value_set=value_set())
    assert r["index"].value == pytest.approx(1 - 0.05 - 0.3 - 0.2 - 0.18 - 0.4 - 0.25)


def test_a_value_set_that_is_not_a_mapping_or_misses_fields_is_refused_naming_each():
    errors: list[OptionError] = []
    assert ValueSet.parse("england", "v", errors) is None
    assert errors[0].field == "v"
    errors = []
    bad = {"name": "", "decrements": {"mo": [0.1, 0.2, 0.3], "xx": [1, 2, 3, 4],
                                      "sc": [0.1, "a", 0.2, 0.3]},
           "constant": True, "extra": 1}
    assert ValueSet.parse(bad, "v", errors) is None
    fields = {e.field for e in errors}
    assert {"v.extra", "v.name", "v.citation", "v.constant", "v.decrements.xx",
            "v.decrements.mo", "v.decrements.sc[1]", "v.decrements.ua",
            "v.decrements.pd", "v.decrements.ad"} <= fields


@pytest.mark.parametrize(("dimension", "row", "says"), [
    ("pd", [0.5, 0.6, 0.7, 1.5], "from -1.48"),     # 1-.05-.3-.2-.18-1.5-.25 < -1: a typo
    ("mo", [-0.5, 0.1, 0.2, 0.3], "to 1.45"),       # a state worth more than full health
])
def test_a_value_set_giving_states_outside_minus_1_to_1_is_refused(dimension, row, says):
    data = {**TEST_SET, "decrements": {**TEST_SET["decrements"], dimension: row}}
    errors: list[OptionError] = []
    assert ValueSet.parse(data, "v", errors) is None
    assert errors[0].field == "v.decrements" and says in errors[0].rule


def test_a_value_set_whose_worst_state_is_exactly_minus_1_is_accepted():
    flat = {d: [0.1, 0.2, 0.3, 0.4] for d in DIMENSIONS}   # 1 - 5 x 0.4 = -1
    vs = value_set({"name": "n", "citation": "c", "decrements": flat})
    assert vs.index(dict.fromkeys(DIMENSIONS, 5)) == -1
    assert vs.constant == Decimal(0)
