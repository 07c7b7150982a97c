"""PHQ-9 and GAD-7: sums, severity bands, the missing-item rule, LOINC codes."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from scoring.instruments.phq import GAD7, PHQ9, score_gad7, score_phq9

PHQ_ITEMS = PHQ9.scale("total").items
GAD_ITEMS = GAD7.scale("total").items


@given(st.lists(st.integers(0, 3), min_size=9, max_size=9), st.sampled_from([None, 0, 3]))
def test_a_complete_phq9_scores_the_sum_of_items_1_to_9_whatever_item_10_says(values, item10):
    r = score_phq9(dict(zip(PHQ_ITEMS, values, strict=True)) | {"phq9_10": item10})
    assert r["total"].value == sum(values)
    assert 0 <= r["total"].value <= 27


@given(st.lists(st.integers(0, 3), min_size=7, max_size=7))
def test_a_complete_gad7_scores_the_sum_of_its_items(values):
    assert score_gad7(dict(zip(GAD_ITEMS, values, strict=True)))["total"].value == sum(values)


@pytest.mark.parametrize(
    ("total", "band"),
    [(0, "minimal"), (4, "minimal"), (5, "mild"), (9, "mild"), (10, "moderate"),
     (14, "moderate"), (15, "moderately severe"), (19, "moderately severe"),
     (20, "severe"), (27, "severe")],
)
def test_phq9_band_boundaries(fill, total, band):
    assert score_phq9(fill(PHQ_ITEMS, total, 3))["total"].band == band


@pytest.mark.parametrize(
    ("total", "band"),
    [(4, "minimal"), (5, "mild"), (9, "mild"), (10, "moderate"), (14, "moderate"),
     (15, "severe"), (21, "severe")],
)
def test_gad7_band_boundaries(fill, total, band):
    assert score_gad7(fill(GAD_ITEMS, total, 3))["total"].band == band


def test_by_default_one_missing_item_leaves_the_phq9_total_unscored(fill):
    r = score_phq9(fill(PHQ_ITEMS, 12, 3) | {"phq9_9": None})["total"]
    assert r.value is None
    assert r.reason == "1 of 9 items missing (phq9_9); all items required"


@pytest.mark.parametrize(
    ("missing", "value"),
    [
        (0, 2 + 2 + 2 + 2 + 1 + 1 + 1 + 1 + 1),
        (1, 14),  # (2+2+2+2+1+1+1+1) * 9/8 = 13.5 -> 14, half up
        (2, None),
    ],
)
def test_with_max_missing_1_a_single_missing_item_is_prorated(missing, value):
    values = (2, 2, 2, 2, 1, 1, 1, 1, 1)
    answers = dict(zip(PHQ_ITEMS, values, strict=True))
    for item in PHQ_ITEMS[len(PHQ_ITEMS) - missing:]:
        answers[item] = None
    r = score_phq9(answers, max_missing=1)["total"]
    assert r.value == value
    assert r.prorated is (missing == 1)


def test_gad7_prorates_to_a_band_on_the_rounded_score(fill):
    answers = fill(GAD_ITEMS[:6], 9, 3)  # 9 * 7/6 = 10.5 -> 11
    r = score_gad7(answers, max_missing=1)["total"]
    assert (r.value, r.band) == (11, "moderate")


def test_the_loinc_answer_code_for_the_value_2_differs_on_gad7_item_2():
    assert GAD7.item("gad7_2").options[2].loinc == "LA18938-3"
    assert GAD7.item("gad7_1").options[2].loinc == "LA6570-1"
    assert [o.loinc for o in PHQ9.item("phq9_1").options] == [
        "LA6568-5", "LA6569-3", "LA6570-1", "LA6571-9"
    ]


def test_free_instruments_ship_their_published_wording():
    assert PHQ9.item("phq9_1").label == "Little interest or pleasure in doing things"
    assert GAD7.item("gad7_4").label == "Trouble relaxing"
    assert PHQ9.item("phq9_9").loinc == "44260-8"
