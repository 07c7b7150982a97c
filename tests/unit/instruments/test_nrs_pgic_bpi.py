"""NRS-11 pain, PGIC and the Brief Pain Inventory short form."""

from __future__ import annotations

import pytest

from scoring.instruments import bpi, nrs, pgic


def test_nrs_scores_each_answered_item_and_gives_a_reason_for_the_others():
    r = nrs.score({"average": 5, "worst": 8, "current": None})
    assert r.values == {"average": 5, "worst": 8, "current": None}
    assert r["current"].reason == "item current missing"
    assert r.items_missing == ("current",)


@pytest.mark.parametrize(
    ("code", "band"),
    [(1, "much or very much improved"), (2, "much or very much improved"),
     (3, "minimally improved"), (4, "no change"), (5, "worse"), (7, "worse")],
)
def test_pgic_bands_put_only_codes_1_and_2_among_the_responders(code, band):
    assert pgic.score({"pgic": code})["pgic"].band == band


def test_pgic_unanswered_has_no_score():
    assert pgic.score({}).values == {"pgic": None}


FULL_BPI = {"bpi_3": 7, "bpi_4": 2, "bpi_5": 4, "bpi_6": 3} | dict(
    zip(bpi.INTERFERENCE, (5, 6, 2, 4, 1, 7, 3), strict=True)
)


def test_bpi_severity_and_interference_are_the_item_means():
    r = bpi.score(FULL_BPI)
    assert r["severity"].value == (7 + 2 + 4 + 3) / 4
    assert r["interference"].value == (5 + 6 + 2 + 4 + 1 + 7 + 3) / 7


@pytest.mark.parametrize(
    ("dropped", "value"),
    [
        (0, (5 + 6 + 2 + 4 + 1 + 7 + 3) / 7),
        (3, (4 + 1 + 7 + 3) / 4),  # 4 of 7 answered: scored from the 4
        (4, None),  # 3 of 7 answered: not scored
    ],
)
def test_bpi_interference_needs_at_least_4_of_7_items(dropped, value):
    answers = FULL_BPI | {i: None for i in bpi.INTERFERENCE[:dropped]}
    r = bpi.score(answers)["interference"]
    assert r.value == value
    assert len(r.items_missing) == dropped
    if value is None:
        assert "at least 4 answers required" in r.reason


def test_bpi_severity_needs_all_four_intensity_items():
    r = bpi.score(FULL_BPI | {"bpi_6": None})
    assert r["severity"].value is None
    assert r["severity"].items_missing == ("bpi_6",)
    assert r["interference"].value is not None
