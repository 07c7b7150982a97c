"""The one rounding rule (half away from zero on the float's decimal repr) at its boundaries."""

from __future__ import annotations

import math

import pytest

from scoring.precision import fixed_text, round_half_away, round_values


@pytest.mark.parametrize(("x", "decimals", "expected"), [
    (2.25, 1, 2.3),            # float round() gives 2.2 (half to even)
    (-2.25, 1, -2.3),          # away from zero, symmetric
    (0.125, 2, 0.13),          # round(0.125, 2) == 0.12
    (2.675, 2, 2.68),          # binary 2.67499999...; the decimal repr is 2.675
    (-1.7999999999999998, 1, -1.8),
    (-1.4000000000000004, 1, -1.4),
    (94.11764705882354, 1, 94.1),
    (0.1 + 0.2, 1, 0.3),
    (-0.04, 1, 0.0),
    (2.5, 0, 3),
    (-2.5, 0, -3),
    (1.0, 0, 1),
])
def test_round_half_away_from_zero_on_the_decimal_value(x, decimals, expected):
    got = round_half_away(x, decimals)
    assert got == expected and type(got) is type(expected)
    assert not math.copysign(1, got) < 0 or got != 0        # never -0.0


def test_missing_stays_missing_and_each_value_rounds_alike():
    assert round_half_away(None, 1) is None and round_half_away(math.nan, 1) is None
    assert round_values([1.25, None, 1.25, math.nan, 0.0], 1) == [1.3, None, 1.3, None, 0.0]


@pytest.mark.parametrize("bad", [-1, 7, 1.0, True, "1"])
def test_decimals_must_be_a_small_whole_number(bad):
    with pytest.raises(ValueError, match="decimals must be an integer from 0 to 6"):
        round_half_away(1.0, bad)


def test_fixed_text_keeps_trailing_zeros_and_drops_minus_zero():
    assert [fixed_text(x, 1) for x in (3.4, 1.8, 6.5, -0.04, -2.25)] == [
        "3.4", "1.8", "6.5", "0.0", "-2.3"]
    assert fixed_text(184.5, 0) == "185" and fixed_text(0.125, 2) == "0.13"


def test_the_vectorised_column_rounds_exactly_like_the_rule():
    import random

    rng = random.Random(14)
    values = [rng.uniform(-500, 500) for _ in range(5000)]
    values += [k / 2000 for k in range(-3000, 3000)]          # every half at 3 decimals
    values += [-1.7999999999999998, 2.675, 1e15 + 0.5, 0.0, -0.0, -0.04]
    for d in range(0, 7):
        got = round_values(values, d)
        want = [round_half_away(v, d) for v in values]
        assert got == want and all(type(g) is type(w) for g, w in zip(got, want, strict=True))
        assert not any(math.copysign(1, g) < 0 for g in got if g == 0)
