"""The endpoint figures: mean daily pain (± SE) per treatment, and per-participant curves.

Drawn with matplotlib's Agg canvas on a Figure of its own (no pyplot, no global state),
inside ``rc_context``; imported only when a figure is asked for, since matplotlib costs
start-up time (issue 12). The same data gives the same bytes: no dates or version in the
metadata, a fixed dpi and a fixed SVG hash salt.
"""

from __future__ import annotations

import io
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from matplotlib import rc_context
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

from scoring.figures_data import daily_means

FIGURES = ("mean", "participants")
FIGURE_FORMATS = ("png", "svg")

DPI = 100
DODGE = 0.15  # days between the mean curves of neighbouring treatments
# Fixed SVG ids (the salt) and text kept as text, so legends are searchable and readable.
RC = {"svg.hashsalt": "paindiary", "svg.fonttype": "none", "font.size": 10}
# Metadata keys set to None are left out: no creation date, no matplotlib version.
METADATA = {"png": {"Software": None}, "svg": {"Date": None, "Creator": None}}


@dataclass(frozen=True)
class FigureData:
    """What a figure draws: a study's daily scores, one row per participant-period."""

    study: str
    treatments: Sequence[str | None]  # as shown: masked codes for blinded staff
    values: np.ndarray  # rows x days, NaN where missing
    first_day: int
    masked: bool
    group: str = "Treatment"  # the legend's title: "Arm" in a parallel study


def draw(data: FigureData, figure: str, fmt: str) -> bytes:
    """The figure ``figure`` (one of FIGURES) as PNG or SVG bytes."""
    if figure not in FIGURES:
        raise ValueError(f"unknown figure {figure!r}")
    with rc_context(RC):
        fig = Figure(figsize=(8, 5), dpi=DPI, layout="constrained")
        FigureCanvasAgg(fig)
        ax = fig.add_subplot()
        if figure == "mean":
            drawn = _means(ax, data)
            ax.set_title(f"{data.study}: mean daily pain (± SE)")
        else:
            drawn = _participants(ax, data)
            ax.set_title(f"{data.study}: daily pain per participant")
        ax.set_xlabel("Study day")
        ax.set_ylabel("Pain NRS 0-10")
        ax.set_ylim(-0.3, 10.3)
        ax.set_yticks(range(0, 11))
        ax.grid(True, alpha=0.3)
        if drawn:
            ax.axvline(0, color="0.5", linewidth=0.8, linestyle=":")  # the anchor (day 0)
            title = f"{data.group} (masked codes)" if data.masked else data.group
            # beside the axes, never over a curve
            ax.legend(title=title, loc="upper left", bbox_to_anchor=(1.01, 1), frameon=False)
        else:
            ax.text(0.5, 0.5, "no diary scores yet", transform=ax.transAxes,
                    ha="center", va="center", color="0.4")
        buffer = io.BytesIO()
        fig.savefig(buffer, format=fmt, dpi=DPI, metadata=METADATA[fmt])
    return buffer.getvalue()


def _colours(treatments: Sequence[str]) -> dict[str, str]:
    """One colour per treatment, in sorted order, the same in both figures."""
    cycle = [f"C{i % 10}" for i in range(len(treatments))]
    return dict(zip(sorted(treatments), cycle, strict=True))


def _means(ax, data: FigureData) -> bool:
    curves = daily_means(data.treatments, data.values, data.first_day)
    colours = _colours([c.treatment for c in curves])
    for i, c in enumerate(curves):
        rows = _rows_with_scores(data, c.treatment)
        colour = colours[c.treatment]
        # Each treatment a little to the side of the day, so equal means keep their bars apart
        x = c.days + DODGE * (i - (len(curves) - 1) / 2)
        ax.plot(x, c.mean, marker="o", markersize=3, color=colour,
                label=f"{c.treatment} (n={rows})")
        has_se = ~np.isnan(c.se)  # a day with one score has no SE: no bar
        ax.errorbar(x[has_se], c.mean[has_se], yerr=c.se[has_se], fmt="none",
                    ecolor=colour, elinewidth=0.8, capsize=2)
    return bool(curves)


def _participants(ax, data: FigureData) -> bool:
    # the treatments the mean figure shows (those with a score): the same colours there
    shown = [t for t in sorted({t for t in data.treatments if t is not None})
             if _rows_with_scores(data, t)]
    colours = _colours(shown)
    days = np.arange(data.values.shape[1]) + data.first_day
    labelled: set[str] = set()
    for row, treatment in enumerate(data.treatments):
        scores = data.values[row]
        seen = ~np.isnan(scores)
        if treatment is None or not seen.any():
            continue
        label = None
        if treatment not in labelled:  # one legend entry per treatment
            labelled.add(treatment)
            label = f"{treatment} (n={_rows_with_scores(data, treatment)})"
        ax.plot(days[seen], scores[seen], color=colours[treatment], linewidth=0.9,
                alpha=0.6, marker=".", markersize=3, label=label)
    return bool(labelled)


def _rows_with_scores(data: FigureData, treatment: str) -> int:
    """Participant-periods of a treatment with at least one score (the legend's n)."""
    rows = [i for i, t in enumerate(data.treatments) if t == treatment]
    return int((~np.isnan(data.values[rows])).any(axis=1).sum()) if rows else 0
