"""One simulation from protocol to files, and R replicates for an empirical power.

Nothing written to DIR depends on the wall clock, the machine or the order of a dict
that was not sorted: the same protocol, models and seed give the same bytes (the sandbox
database in ``DIR/sandbox/`` excepted: it holds real tokens and password hashes).
"""

from __future__ import annotations

import contextlib
import gc
import hashlib
import json
import logging
import random
import shutil
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from statistics import mean, stdev

from diary.clock import FrozenClock
from diary.protocol.loader import parse_protocol
from diary.services.principals import cli_principal

from . import outputs
from .driver import Trial, simulate
from .models import Models
from .report import render_report
from .sandbox import sandbox_app, seeded_ids
from .stats import Difference, difference
from .worker import OutputWorker

PROTOCOLS = Path(__file__).resolve().parents[1] / "protocols"


def protocol_source(name: str) -> str:
    """A protocol file's text: a path, or the key of a shipped protocol (protocols/)."""
    path = Path(name)
    if path.is_file():
        return path.read_text(encoding="utf-8")
    shipped = PROTOCOLS / f"{name}.yaml"
    if shipped.is_file():
        return shipped.read_text(encoding="utf-8")
    known = ", ".join(sorted(p.stem for p in PROTOCOLS.glob("*.yaml")))
    raise FileNotFoundError(f"{name}: neither a file nor a shipped protocol ({known})")


def primary_key(protocol) -> str | None:
    keys = [o.key for s in protocol.endpoints if getattr(s, "primary", False)
            for o in s.outputs()]
    return keys[0] if keys else None


def contrast(protocol) -> tuple[str, str] | None:
    """First arm or treatment against the last (the shipped protocols list the active
    one first and the control last); none for a single-group study."""
    keys = ([t.key for t in protocol.treatments] if protocol.design == "crossover"
            else [a.key for a in protocol.arms])
    return (keys[0], keys[-1]) if len(keys) >= 2 else None


def models_digest(models: Models) -> str:
    return hashlib.sha256(json.dumps(models.raw, sort_keys=True).encode()).hexdigest()[:12]


@dataclass
class Result:
    trial: Trial
    difference: Difference | None
    files: list[Path]


def _wide_rows(app, key: str, now) -> list[dict]:
    from diary.exports.service import export_endpoints

    with app.extensions["paindiary"].session_factory() as session:
        table = export_endpoints(session, cli_principal(), key, layout="wide", fmt="csv",
                                 now=now).table
    header = table.header()
    return [dict(zip(header, ["" if v is None else str(v) for v in row], strict=True))
            for row in table.rows]


def _difference(trial: Trial, rows: list[dict]) -> Difference | None:
    key, groups = primary_key(trial.protocol), contrast(trial.protocol)
    if key is None or groups is None:
        return None
    return difference(rows, key, groups, paired_by_subject=trial.protocol.design == "crossover")


def run_trial(factory, source: str, out: Path, models: Models, *, participants: int,
              seed: int, database_url: str | None = None,
              progress: Callable[[float], None] | None = None,
              on_sandbox: Callable[[object], None] | None = None) -> tuple[Trial, object]:
    """Simulate into a fresh sandbox under ``out``; returns the trial and its app.
    ``on_sandbox`` gets the sandbox app before the trial starts."""
    clock = FrozenClock()
    logging.getLogger("paindiary.sms").setLevel(logging.WARNING)  # thousands of texts
    app = sandbox_app(factory, out, clock, database_url)
    if on_sandbox is not None:
        on_sandbox(app)
    with seeded_ids(random.Random(f"{seed}:ids")), _collector_paused():
        trial = simulate(app, source, models, participants=participants, seed=seed,
                         clock=clock, progress=progress)
    return trial, app


@contextlib.contextmanager
def _collector_paused():
    """What was built before the run (the app, its modules) is set aside from the cyclic
    collector, and young objects are collected less often: ~5 % of a run's CPU here."""
    threshold = gc.get_threshold()
    gc.freeze()
    gc.set_threshold(50000, 20, 100)
    try:
        yield
    finally:
        gc.set_threshold(*threshold)
        gc.unfreeze()


def run(factory, name: str, out: Path, models: Models, *, participants: int, seed: int,
        replicates: int = 1, price: float | None = None, database_url: str | None = None,
        locale: str = "en", progress: Callable[[str, float], None] | None = None) -> Result:
    """The simulation the command runs: one trial with every output, then the replicates."""
    source = protocol_source(name)
    protocol = parse_protocol(source)
    out.mkdir(parents=True, exist_ok=True)
    price = models.reminders["price_per_segment"] if price is None else price
    workers: list[OutputWorker] = []

    def start_worker(app) -> None:
        # The heavy output formats get a process of their own, started before the trial
        # so that their libraries load while it runs (simulation/worker.py).
        if protocol.endpoints and (worker := OutputWorker.start(app, seed)) is not None:
            workers.append(worker)

    try:
        trial, app = run_trial(factory, source, out, models, participants=participants,
                               seed=seed, database_url=database_url,
                               progress=(lambda f: progress("trial 1", f)) if progress
                               else None, on_sandbox=start_worker)
        with seeded_ids(random.Random(f"{seed}:outputs")):
            now = trial.clock.now()
            endpoints = (outputs.endpoint_files(app, trial.key, out, now,
                                                trial.export_refusals,
                                                worker=workers[0] if workers else None)
                         if protocol.endpoints else list)
            traffic = outputs.reminder_traffic(app, trial.key, trial.tz, price)
            comp = outputs.compliance(trial, app)
            diff = (_difference(trial, _wide_rows(app, trial.key, now)) if protocol.endpoints
                    else None)
            files = [*endpoints(), *outputs.traffic_files(traffic, out),
                     *outputs.compliance_files(comp, out)]
    finally:
        for worker in workers:
            worker.close()
    app.extensions["paindiary"].engine.dispose()
    reps = None
    if replicates > 1:
        reps, rep_file = _replicates(factory, source, out, models, participants, seed,
                                     replicates, diff, database_url, progress)
        files.append(rep_file)
    refusals = out / "refusals.txt"
    refusals.write_text("".join(f"{line}\n" for line in trial.refusals
                                + trial.export_refusals), encoding="utf-8")
    files.append(refusals)
    files.append(_summary(trial, out, models, traffic, comp, diff, reps))
    files.append(render_report(trial, out, traffic=traffic, compliance=comp,
                               primary_key=primary_key(protocol) or "",
                               difference=diff, replicates=reps,
                               models_digest=models_digest(models), locale=locale))
    return Result(trial, diff, files)


def _replicates(factory, source, out, models, participants, seed, count, first,
                database_url, progress) -> tuple[dict, Path]:
    """R trials (seeds S, S+1, ...): the primary difference of each, its mean and SD, and
    the share found at p < 0.05 by the protocol's comparison (empirical power)."""
    rows = [first]
    for k in range(1, count):
        where = out / "replicates" / f"{k + 1}"
        trial, app = run_trial(factory, source, where, models, participants=participants,
                               seed=seed + k, database_url=database_url,
                               progress=(lambda f, k=k: progress(f"trial {k + 1}", f))
                               if progress else None)
        with seeded_ids(random.Random(f"{seed + k}:outputs")):
            rows.append(_difference(trial, _wide_rows(app, trial.key, trial.clock.now())))
        app.extensions["paindiary"].engine.dispose()
        shutil.rmtree(where / "sandbox", ignore_errors=True)
    shutil.rmtree(out / "replicates", ignore_errors=True)
    table = [[k + 1, seed + k, *(("", "", "", "") if d is None else (
        "" if d.estimate is None else f"{d.estimate:.3f}",
        "" if d.p_value is None else f"{d.p_value:.4f}", f"{d.n[0]}/{d.n[1]}",
        "Y" if d.significant() else "N"))] for k, d in enumerate(rows)]
    path = outputs.write_csv(out / "replicates.csv",
                             ["replicate", "seed", "difference", "p_value", "n", "found"],
                             table)
    estimates = [d.estimate for d in rows if d is not None and d.estimate is not None]
    found = sum(1 for d in rows if d is not None and d.significant())
    summary = {"count": count,
               "contrast": next((d.contrast for d in rows if d is not None), ""),
               "mean": f"{mean(estimates):.2f}" if estimates else "NA",
               "sd": f"{stdev(estimates):.2f}" if len(estimates) > 1 else "NA",
               "power": f"{100 * found / count:.0f} %"}
    return summary, path


def _summary(trial, out, models, traffic, comp, diff, reps) -> Path:
    data = {
        "protocol": trial.protocol.key, "seed": trial.seed, "participants": len(trial.people),
        "models": models.raw, "started": trial.started.isoformat(),
        "ended": trial.ended.isoformat(), "actions": dict(sorted(trial.counts.items())),
        "refused": len(trial.refusals), "exports_refused": trial.export_refusals,
        "messages": traffic.messages, "segments": traffic.segments + traffic.reply_segments,
        "peak_per_minute": traffic.peak_minute[0], "cost": traffic.cost,
        "compliance_percent": outputs.percent(comp.overall),
        "primary_difference": None if diff is None else {
            "contrast": diff.contrast, "estimate": diff.estimate, "p_value": diff.p_value,
            "n": list(diff.n)},
        "replicates": reps,
    }
    path = out / "simulation.json"
    path.write_text(json.dumps(data, indent=2, sort_keys=True) + "\n", encoding="utf-8")
    return path
