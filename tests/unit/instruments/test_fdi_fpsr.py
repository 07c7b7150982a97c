"""FDI (child and parent forms): sum, reference-point bands, the opt-in proration
boundary; FPS-R: only the six faces' scores 0-10 in steps of 2."""

from __future__ import annotations

import pytest

from scoring.instruments import InvalidAnswers, get, score, validate_answers
from scoring.instruments.fdi import ITEMS, score_child

FORMS = ("fdi_child", "fdi_parent")


@pytest.mark.parametrize("form", FORMS)
@pytest.mark.parametrize("total", [0, 1, 30, 59, 60])
def test_total_is_the_sum_of_the_15_items_from_0_to_60(fill, form, total):
    assert score(form, fill(ITEMS, total, 4))["total"].value == total


@pytest.mark.parametrize(("total", "band"), [
    (0, "no or minimal disability"), (12, "no or minimal disability"),
    (13, "moderate disability"), (29, "moderate disability"),
    (30, "severe disability"), (60, "severe disability"),
])
def test_child_form_bands_at_each_reference_point(fill, total, band):
    r = score("fdi_child", fill(ITEMS, total, 4))
    assert (r["total"].value, r["total"].band) == (total, band)


def test_parent_form_has_the_same_items_and_rule_but_no_child_reference_bands(fill):
    assert get("fdi_parent").item_ids == get("fdi_child").item_ids == ITEMS
    assert score("fdi_parent", fill(ITEMS, 30, 4))["total"].band is None


@pytest.mark.parametrize("form", FORMS)
def test_by_default_one_missing_item_leaves_the_total_unscored(form):
    answers = dict.fromkeys(ITEMS, 2) | {"fdi_7": None}
    r = score(form, answers)
    assert r["total"].value is None
    assert r["total"].reason == "1 of 15 items missing (fdi_7); all items required"


@pytest.mark.parametrize("form", FORMS)
def test_with_max_missing_3_three_missing_items_are_prorated_and_four_are_not(form):
    three = dict.fromkeys(ITEMS[3:], 3) | dict.fromkeys(ITEMS[:3])   # 12 answered, all 3
    r = score(form, three, max_missing=3)
    assert (r["total"].value, r["total"].prorated) == (45, True)      # 36 * 15/12
    four = three | {ITEMS[3]: None}
    r = score(form, four, max_missing=3)
    assert r["total"].value is None and "at most 3 allowed" in r["total"].reason


def test_prorated_total_is_rounded_half_up():
    seven = dict.fromkeys(ITEMS[1:8], 1) | dict.fromkeys(ITEMS[8:], 0)   # 14 answered, sum 7
    assert score_child(seven, max_missing=1)["total"].value == 8           # 7 * 15/14 = 7.5
    two = dict.fromkeys(ITEMS[3:5], 1) | dict.fromkeys(ITEMS[5:], 0)     # 12 answered, sum 2
    assert score_child(two, max_missing=3)["total"].value == 3             # 2 * 15/12 = 2.5


@pytest.mark.parametrize("bad", [-1, 4, 1.0, True])
def test_max_missing_beyond_3_or_not_an_integer_is_a_programming_error(bad):
    with pytest.raises(ValueError, match="max_missing must be an integer from 0 to 3"):
        score_child(dict.fromkeys(ITEMS, 0), max_missing=bad)


@pytest.mark.parametrize("value", [-1, 5, 2.0])
def test_fdi_item_outside_0_to_4_is_refused(value):
    errors = validate_answers(get("fdi_child"), {"fdi_1": value})
    assert [e.item for e in errors] == ["fdi_1"] and "0, 1, 2, 3, 4" in errors[0].rule


@pytest.mark.parametrize("face", [0, 2, 4, 6, 8, 10])
def test_fps_r_scores_each_face_as_its_published_value(face):
    r = score("fps_r", {"fps_r": face})
    assert r["pain"].value == face and r["pain"].reason is None


@pytest.mark.parametrize("value", [1, 3, 5, 7, 9, -2, 12, 11, 4.0, True, "6"])
def test_fps_r_refuses_any_value_that_is_not_a_face(value):
    errors = validate_answers(get("fps_r"), {"fps_r": value})
    assert [e.item for e in errors] == ["fps_r"]
    assert errors[0].rule.endswith("must be one of 0, 2, 4, 6, 8, 10")
    with pytest.raises(InvalidAnswers):
        score("fps_r", {"fps_r": value})


def test_fps_r_faces_are_in_printed_order_left_to_right():
    item = get("fps_r").item("fps_r")
    assert [item.code_at(k) for k in range(6)] == [0, 2, 4, 6, 8, 10]
    assert score("fps_r", {})["pain"].reason == "item fps_r missing"
