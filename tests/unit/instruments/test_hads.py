"""HADS: answer coding of the reversed items, proration, and the 8/11 cut-offs."""

from __future__ import annotations

import pytest

from scoring.instruments import hads
from scoring.instruments.hads import HADS

ANXIETY = HADS.scale("anxiety").items
DEPRESSION = HADS.scale("depression").items


def test_odd_items_form_anxiety_and_even_items_depression():
    assert ANXIETY == ("hads_1", "hads_3", "hads_5", "hads_7", "hads_9", "hads_11", "hads_13")
    assert DEPRESSION == ("hads_2", "hads_4", "hads_6", "hads_8", "hads_10", "hads_12", "hads_14")


def test_the_reversed_items_are_those_printed_from_3_down_to_0():
    descending = [i.id for i in HADS.items if [o.code for o in i.options] == [3, 2, 1, 0]]
    assert tuple(descending) == HADS.reversed
    assert HADS.reversed == tuple(f"hads_{n}" for n in (1, 3, 5, 6, 8, 10, 11, 13))


def test_a_position_coded_answer_is_converted_through_the_printed_options():
    assert HADS.item("hads_1").code_at(0) == 3  # top option of a reversed item
    assert HADS.item("hads_2").code_at(0) == 0
    assert HADS.item("hads_7").code_at(3) == 3


def test_choosing_the_top_printed_option_everywhere_scores_3_only_on_reversed_items():
    top = {i.id: i.code_at(0) for i in HADS.items}
    r = hads.score(top)
    assert r["anxiety"].value == 3 + 3 + 3 + 0 + 0 + 3 + 3  # items 1,3,5 | 7,9 | 11,13
    assert r["depression"].value == 0 + 0 + 3 + 3 + 3 + 0 + 0  # items 2,4 | 6,8,10 | 12,14


def test_stored_item_scores_are_summed_without_any_reversal():
    answers = dict(zip(ANXIETY, (2, 1, 0, 3, 1, 2, 0), strict=True)) | dict(
        zip(DEPRESSION, (1, 1, 2, 0, 0, 1, 3), strict=True)
    )
    assert hads.score(answers).values == {
        "anxiety": 2 + 1 + 0 + 3 + 1 + 2 + 0,
        "depression": 1 + 1 + 2 + 0 + 0 + 1 + 3,
    }


@pytest.mark.parametrize(
    ("total", "band"),
    [(0, "normal"), (7, "normal"), (8, "possible case (borderline)"),
     (10, "possible case (borderline)"), (11, "probable case"), (21, "probable case")],
)
def test_each_cut_off_boundary_is_exact(fill, total, band):
    answers = fill(ANXIETY, total, 3) | fill(DEPRESSION, total, 3)
    r = hads.score(answers)
    assert (r["anxiety"].value, r["anxiety"].band) == (total, band)
    assert (r["depression"].value, r["depression"].band) == (total, band)


@pytest.mark.parametrize(
    ("six_answers", "value", "band"),
    [
        ((1, 1, 1, 1, 1, 2), 8, "possible case (borderline)"),  # 7*7/6 = 8.17 -> 8
        ((3, 0, 0, 0, 0, 0), 4, "normal"),  # 3*7/6 = 3.5 -> 4 (half up)
        ((3, 3, 3, 0, 0, 0), 11, "probable case"),  # 9*7/6 = 10.5 -> 11
    ],
)
def test_one_missing_item_in_a_subscale_is_prorated_and_rounded_half_up(six_answers, value, band):
    answers = dict(zip(ANXIETY[:6], six_answers, strict=True))
    r = hads.score(answers)["anxiety"]
    assert (r.value, r.band, r.prorated) == (value, band, True)
    assert r.items_missing == ("hads_13",)


def test_two_missing_items_in_a_subscale_leave_it_unscored_but_not_the_other(fill):
    answers = fill(ANXIETY, 9, 3) | fill(DEPRESSION, 4, 3) | {"hads_1": None, "hads_3": None}
    r = hads.score(answers)
    assert r["anxiety"].value is None
    assert r["anxiety"].reason.startswith("2 of 7 items missing (hads_1, hads_3)")
    assert (r["depression"].value, r["depression"].prorated) == (4, False)
