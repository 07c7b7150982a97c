"""DN4, DN4-interview and the Neuropathic Pain Symptom Inventory."""

from __future__ import annotations

import pytest

from scoring.instruments import dn4, npsi


def _dn4(yes: set[int], n: int = 10) -> dict[str, int]:
    return {f"dn4_{k}": int(k in yes) for k in range(1, n + 1)}


@pytest.mark.parametrize(
    ("yes", "total", "band"),
    [
        ({1, 2, 9}, 3, "neuropathic pain unlikely"),
        ({1, 2, 9, 10}, 4, "neuropathic pain likely"),
        (set(range(1, 11)), 10, "neuropathic pain likely"),
        (set(), 0, "neuropathic pain unlikely"),
    ],
)
def test_dn4_counts_yes_answers_and_suggests_neuropathic_pain_from_4(yes, total, band):
    r = dn4.score(_dn4(yes))["total"]
    assert (r.value, r.band) == (total, band)


@pytest.mark.parametrize(
    ("yes", "total", "band"),
    [({4, 7}, 2, "neuropathic pain unlikely"), ({4, 6, 7}, 3, "neuropathic pain likely")],
)
def test_dn4_interview_suggests_neuropathic_pain_from_3_of_its_7_items(yes, total, band):
    r = dn4.score_interview(_dn4(yes, n=7))["total"]
    assert (r.value, r.band) == (total, band)


def test_dn4_with_a_missing_item_is_not_scored():
    r = dn4.score(_dn4({1, 2, 3, 4}) | {"dn4_10": None})["total"]
    assert r.value is None
    assert r.items_missing == ("dn4_10",)


FULL_NPSI = dict(zip(npsi.DESCRIPTORS, (8, 4, 6, 9, 7, 3, 5, 2, 6, 1), strict=True)) | {
    "npsi_4": 2,
    "npsi_7": 4,
}


def test_npsi_total_is_the_sum_of_the_ten_descriptors_and_ignores_temporal_items():
    r = npsi.score(FULL_NPSI)
    assert r["total"].value == 8 + 4 + 6 + 9 + 7 + 3 + 5 + 2 + 6 + 1
    assert "npsi_4" not in r["total"].items_used
    assert npsi.score(FULL_NPSI | {"npsi_4": 5, "npsi_7": 1}).values == r.values


def test_npsi_subscores_are_the_published_item_means():
    assert npsi.score(FULL_NPSI).values == {
        "total": 51,
        "burning": 8,
        "pressing": (4 + 6) / 2,
        "paroxysmal": (9 + 7) / 2,
        "evoked": (3 + 5 + 2) / 3,
        "paresthesia": (6 + 1) / 2,
    }


def test_npsi_a_missing_descriptor_drops_only_the_total_and_its_own_subscore():
    r = npsi.score(FULL_NPSI | {"npsi_9": None})
    assert (r["total"].value, r["evoked"].value) == (None, None)
    assert r["pressing"].value == (4 + 6) / 2
    assert r.items_missing == ("npsi_9",)
