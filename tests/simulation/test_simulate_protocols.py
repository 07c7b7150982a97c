"""Every shipped protocol simulated end to end with a few synthetic participants (issue 21).

The simulator acts only through the real API, the signed SMS webhook and the real
scheduler tick, so a protocol whose schedule and API disagree shows up here as a refused
action. Two runs with the same seed must leave byte-identical files.
"""

from __future__ import annotations

import csv
import hashlib
from pathlib import Path

import pytest

from app import create_app
from simulation.models import ModelsError, load_models
from simulation.outputs import FIGURE_FORMATS, FIGURES, LAYOUTS, TABLE_FORMATS, segments
from simulation.run import primary_key, run
from simulation.worker import OutputWorker

ROOT = Path(__file__).resolve().parents[2]
SHIPPED = sorted(p.stem for p in (ROOT / "protocols").glob("*.yaml"))


def _rows(path: Path) -> list[dict]:
    with path.open(encoding="utf-8-sig", newline="") as f:
        return list(csv.DictReader(f))


def _digests(out: Path) -> dict[str, str]:
    return {str(p.relative_to(out)): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(out.rglob("*"))
            if p.is_file() and p.relative_to(out).parts[0] != "sandbox"}


@pytest.mark.parametrize("name", SHIPPED)
def test_a_shipped_protocol_simulates_end_to_end(name, tmp_path):
    result = run(create_app, name, tmp_path, load_models(), participants=4, seed=7)
    trial = result.trial
    assert trial.refusals == []
    assert trial.counts["enrolments"] == 4
    assert trial.counts["scheduler ticks"] > 0
    assert trial.counts.get("diary entries in the app", 0) + trial.counts.get(
        "diary entries by SMS", 0) > 0
    # No file refused: XPORT dictionaries continue texts over 200 bytes (the
    # perioperative long layout's PARAMCD codelist is 209 bytes).
    assert trial.export_refusals == []
    for layout in LAYOUTS:
        for fmt in TABLE_FORMATS:
            assert (tmp_path / "endpoints" / f"{name}_{layout}.{fmt}").stat().st_size > 0
    for figure in FIGURES:
        for fmt in FIGURE_FORMATS:
            assert (tmp_path / "figures" / f"{name}_{figure}.{fmt}").stat().st_size > 0
    wide = _rows(tmp_path / "endpoints" / f"{name}_wide.csv")
    assert {r["subject"] for r in wide} == {p.subject for p in trial.people}
    primary = primary_key(trial.protocol)
    assert any(r[primary] != "" for r in wide), primary
    traffic = {r["measure"]: r["value"] for r in _rows(tmp_path / "reminders" / "summary.csv")}
    assert int(traffic["messages sent"]) > 0 and int(traffic["peak messages in one minute"]) > 0
    assert _rows(tmp_path / "compliance" / "by_site.csv")
    html = (tmp_path / "report.html").read_text(encoding="utf-8")
    assert trial.protocol.title in html and "data:image/png;base64," in html


def test_the_same_seed_gives_byte_identical_files(tmp_path, monkeypatch):
    """The second run writes every output in its own process (no output worker, as where
    fork is not offered): the same bytes as the first, whose worker wrote XLSX, XPORT
    and figures."""
    first, second = tmp_path / "one", tmp_path / "two"
    run(create_app, "crossover-ketamine-magnesium", first, load_models(), participants=3,
        seed=11)
    monkeypatch.setattr(OutputWorker, "start", classmethod(lambda cls, app, seed: None))
    run(create_app, "crossover-ketamine-magnesium", second, load_models(), participants=3,
        seed=11)
    a, b = _digests(first), _digests(second)
    assert any(k.endswith(".xlsx") for k in a) and any(k.endswith(".xpt") for k in a)
    assert a == b


def test_replicates_report_the_difference_and_the_share_found(tmp_path):
    models = load_models(text="enrolment: {days: 3}\ndropout: {p_dropout: 0, p_withdrawal: 0}")
    result = run(create_app, "single-dose-intranasal", tmp_path, models, participants=4,
                 seed=3, replicates=2)
    rows = _rows(tmp_path / "replicates.csv")
    assert [r["seed"] for r in rows] == ["3", "4"]
    assert all(r["found"] in ("Y", "N") for r in rows)
    assert result.difference is not None and result.difference.contrast == "active - placebo"
    assert "replicates" in (tmp_path / "report.html").read_text(encoding="utf-8")


def test_a_models_file_names_only_known_keys():
    assert load_models(text="diary: {p_sms: 1}").diary["p_sms"] == 1
    assert load_models().diary["p_before_reminder"] == 0.55  # the defaults stay
    with pytest.raises(ModelsError, match="diary.p_smss: unknown key"):
        load_models(text="diary: {p_smss: 1}")
    with pytest.raises(ModelsError, match="probability"):
        load_models(text="windows: {p_answer: 2}")


@pytest.mark.parametrize(("body", "expected"), [
    ("x" * 160, 1), ("x" * 161, 2), ("x" * 306, 2), ("x" * 307, 3),
    ("ê" * 70, 1), ("ê" * 71, 2),   # one character outside GSM-7: UCS-2, 70 a segment
])
def test_sms_segments_are_counted_as_carriers_bill_them(body, expected):
    assert segments(body) == expected
