"""PSQI: the seven components, their boundaries, and the global score."""

from __future__ import annotations

import pytest

from scoring.instruments import psqi
from scoring.instruments.psqi import clock_minutes

BASE = {
    "psqi_1": clock_minutes("23:00"),
    "psqi_2": 10,
    "psqi_3": clock_minutes("07:00"),  # 480 min in bed
    "psqi_4": 8 * 60,
    "psqi_5a": 0,
    "psqi_6": 0,
    "psqi_7": 0,
    "psqi_8": 0,
    "psqi_9": 0,
} | {f"psqi_5{x}": 0 for x in "bcdefghi"}


def component(name: str, **changes: int) -> int | None:
    return psqi.score(BASE | changes)[name].value


def test_a_good_sleeper_scores_zero_on_every_component():
    r = psqi.score(BASE)
    assert set(r.values.values()) == {0}
    assert r["global"].band == "good sleep quality"


@pytest.mark.parametrize(
    ("minutes", "psqi_5a", "expected"),
    [(15, 0, 0), (16, 0, 1), (30, 1, 1), (31, 0, 1), (31, 1, 2), (60, 2, 2), (61, 1, 2),
     (61, 2, 3), (61, 3, 3)],
)
def test_latency_adds_the_minutes_score_and_item_5a_then_grades_the_sum(minutes, psqi_5a, expected):
    # minutes: <=15 -> 0, 16-30 -> 1, 31-60 -> 2, >60 -> 3; sum 0 -> 0, 1-2 -> 1, 3-4 -> 2, 5-6 -> 3
    assert component("latency", psqi_2=minutes, psqi_5a=psqi_5a) == expected


@pytest.mark.parametrize(
    ("sleep", "expected"),
    [(7 * 60 + 1, 0), (7 * 60, 0), (7 * 60 - 1, 1), (6 * 60, 1), (6 * 60 - 1, 2),
     (5 * 60, 2), (5 * 60 - 1, 3), (0, 3)],
)
def test_duration_uses_half_open_hours_so_exactly_7_hours_scores_0(sleep, expected):
    assert component("duration", psqi_4=sleep) == expected


@pytest.mark.parametrize(
    ("sleep", "expected"),
    [
        (408, 0),  # 408/480 = 85 % exactly
        (407, 1),  # 84.79 %
        (360, 1),  # 75 %
        (359, 2),  # 74.79 %
        (312, 2),  # 65 %
        (311, 3),  # 64.79 %
    ],
)
def test_efficiency_boundaries_are_decided_on_the_exact_percentage(sleep, expected):
    assert component("efficiency", psqi_4=sleep) == expected


def test_time_in_bed_wraps_past_midnight_and_zero_time_in_bed_is_not_scored():
    late = BASE | {"psqi_1": clock_minutes("01:30"), "psqi_3": clock_minutes("09:30")}
    assert psqi.score(late | {"psqi_4": 408})["efficiency"].value == 0  # 408/480
    same = psqi.score(BASE | {"psqi_3": BASE["psqi_1"]})
    assert same["efficiency"].value is None
    assert "time in bed is zero" in same["efficiency"].reason
    assert same["global"].value is None


@pytest.mark.parametrize(
    ("total", "expected"), [(0, 0), (1, 1), (9, 1), (10, 2), (18, 2), (19, 3), (27, 3)]
)
def test_disturbances_grade_the_sum_of_items_5b_to_5j(fill, total, expected):
    items = [f"psqi_5{x}" for x in "bcdefghij"]
    assert component("disturbances", **fill(items, total, 3)) == expected


def test_an_unanswered_item_5j_counts_as_zero():
    assert component("disturbances", psqi_5b=3, psqi_5j=None) == 1
    assert component("disturbances", psqi_5b=3, psqi_5j=3) == 1  # 3+3 = 6 -> 1


@pytest.mark.parametrize(("p8", "p9", "expected"), [(0, 0, 0), (1, 1, 1), (2, 1, 2), (3, 2, 3)])
def test_daytime_dysfunction_grades_items_8_plus_9(p8, p9, expected):
    assert component("daytime_dysfunction", psqi_8=p8, psqi_9=p9) == expected


def test_global_is_the_sum_of_the_seven_components_and_poor_above_5():
    answers = BASE | {"psqi_6": 2, "psqi_7": 1, "psqi_8": 1, "psqi_9": 1, "psqi_4": 390}
    r = psqi.score(answers)  # quality 2 + medication 1 + daytime 1 + duration 1 + efficiency 1
    assert r["global"].value == 2 + 1 + 1 + 1 + 1
    assert r["global"].band == "poor sleep quality"
    r5 = psqi.score(answers | {"psqi_7": 0})
    assert (r5["global"].value, r5["global"].band) == (2 + 1 + 1 + 1, "good sleep quality")


def test_a_missing_item_leaves_its_component_and_the_global_score_unscored():
    r = psqi.score(BASE | {"psqi_2": None})
    assert r["latency"].value is None
    assert r["global"].reason == "components not scored: latency"
    assert r["duration"].value == 0


@pytest.mark.parametrize("text", ["7:5", "24:00", "07-30", "ab:cd", ""])
def test_clock_minutes_refuses_anything_but_a_24_hour_hh_mm(text):
    with pytest.raises(ValueError, match="HH:MM|time of day"):
        clock_minutes(text)
