"""Drawing the endpoint figures: text as text, an empty study, the same bytes twice."""

from __future__ import annotations

import numpy as np
import pytest

from diary.exports.figures import FigureData, draw

NAN = np.nan


def _data(values, treatments=("K", "P"), masked=False) -> FigureData:
    return FigureData(study="demo", treatments=list(treatments),
                      values=np.array(values, dtype=float), first_day=-1, masked=masked)


def test_a_study_without_scores_says_so_instead_of_an_empty_legend():
    svg = draw(_data([[NAN, NAN], [NAN, NAN]]), "mean", "svg").decode()
    assert "no diary scores yet" in svg and "Treatment" not in svg


@pytest.mark.parametrize("figure", ["mean", "participants"])
def test_the_legend_counts_participant_periods_with_a_score(figure):
    svg = draw(_data([[1, 2], [NAN, 3], [NAN, NAN]], ("K", "K", "P")), figure, "svg").decode()
    assert "K (n=2)" in svg and "P (n=" not in svg and "demo" in svg


@pytest.mark.parametrize("fmt", ["png", "svg"])
def test_drawing_twice_gives_the_same_bytes_without_a_date_or_version(fmt):
    data = _data([[1, 2], [4, 3]], masked=True)
    first = draw(data, "mean", fmt)
    assert draw(data, "mean", fmt) == first
    assert b"Matplotlib" not in first and b"2026" not in first and b"<dc:date>" not in first


def test_an_unknown_figure_is_a_programming_error():
    with pytest.raises(ValueError, match="unknown figure"):
        draw(_data([[1, 2], [4, 3]]), "boxplot", "png")
