"""Insomnia Severity Index and Pain Catastrophizing Scale."""

from __future__ import annotations

import pytest

from scoring.instruments import isi, pcs
from scoring.instruments.isi import ISI
from scoring.instruments.pcs import PCS

ISI_ITEMS = ISI.scale("total").items


def test_isi_total_is_the_sum_of_its_seven_items():
    answers = dict(zip(ISI_ITEMS, (2, 3, 1, 4, 2, 0, 3), strict=True))
    assert isi.score(answers)["total"].value == 2 + 3 + 1 + 4 + 2 + 0 + 3


@pytest.mark.parametrize(
    ("total", "band"),
    [(7, "no clinically significant insomnia"), (8, "subthreshold insomnia"),
     (14, "subthreshold insomnia"), (15, "clinical insomnia (moderate severity)"),
     (21, "clinical insomnia (moderate severity)"), (22, "clinical insomnia (severe)"),
     (28, "clinical insomnia (severe)")],
)
def test_isi_band_boundaries(fill, total, band):
    assert isi.score(fill(ISI_ITEMS, total, 4))["total"].band == band


@pytest.mark.parametrize(("missing", "scored"), [(0, True), (1, False)])
def test_isi_needs_all_seven_items(fill, missing, scored):
    answers = fill(ISI_ITEMS, 10, 4) | {i: None for i in ISI_ITEMS[:missing]}
    assert (isi.score(answers)["total"].value is not None) is scored


def test_pcs_subscales_follow_the_published_item_sets():
    assert PCS.scale("rumination").items == ("pcs_8", "pcs_9", "pcs_10", "pcs_11")
    assert PCS.scale("magnification").items == ("pcs_6", "pcs_7", "pcs_13")
    assert PCS.scale("helplessness").items == tuple(f"pcs_{n}" for n in (1, 2, 3, 4, 5, 12))


def test_pcs_worked_example():
    values = (1, 2, 3, 4, 0, 1, 2, 3, 4, 0, 1, 2, 3)  # items 1..13
    r = pcs.score({f"pcs_{n}": v for n, v in enumerate(values, start=1)})
    assert r.values == {
        "total": sum(values),
        "rumination": 3 + 4 + 0 + 1,
        "magnification": 1 + 2 + 3,
        "helplessness": 1 + 2 + 3 + 4 + 0 + 2,
    }


@pytest.mark.parametrize(
    ("total", "band"),
    [(0, "below the clinical cut-off"), (29, "below the clinical cut-off"),
     (30, "clinically relevant catastrophizing"), (52, "clinically relevant catastrophizing")],
)
def test_pcs_clinical_cut_off_at_30(fill, total, band):
    assert pcs.score(fill(PCS.scale("total").items, total, 4))["total"].band == band


def test_pcs_a_missing_item_drops_the_total_and_its_subscale_only(fill):
    answers = fill(PCS.scale("total").items, 26, 2) | {"pcs_9": None}
    r = pcs.score(answers)
    assert (r["total"].value, r["rumination"].value) == (None, None)
    assert (r["magnification"].value, r["helplessness"].value) == (2 * 3, 2 * 6)
