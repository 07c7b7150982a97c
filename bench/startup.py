#!/usr/bin/env python
"""Start-up benchmark (issue 12): commands timed from spawn to exit, in fresh processes.

Each figure is the median of ``--runs`` (5) runs, next to ``python -c pass`` measured in
the same run as the baseline (ratio = median / baseline median):

- ``python -c pass``: the interpreter alone (the baseline);
- ``flask --app app --help``: what every CLI command pays before its own work (import
  the app, build it, list its commands);
- floor: importing Flask, SQLAlchemy's ORM and dialects, marshmallow, flask-smorest and
  PyYAML alone, none of our code: what any design on these frameworks pays;
- worker boot: ``python -c "import app; app.create_app()"``, what a gunicorn worker does
  before it serves;
- gunicorn: from spawning ``gunicorn -w 1 'app:create_app()'`` to the first 200 answer
  of ``/api/v1/health`` (master, fork, worker boot, one request); ``--no-gunicorn`` skips;
- CLI export: ``flask --app app export endpoints`` (wide CSV) of bench/endpoints.py's
  crossover study with ``--participants`` (10,000: 30,000 rows from 1.2 M diary entries)
  on SQLite. Building that database takes a minute or two: ``--db PATH`` keeps it for
  the next run (and reuses a file that holds a study of that size).

Goals (issue 12): the CLI and a worker start in <= 0.5 s; the CLI export ends in <= 2 s.

Bytecode: ``python -m compileall`` refreshes the project's ``.pyc`` first, so each figure
is what every start after the first costs. Where ``PYTHONDONTWRITEBYTECODE`` is set and no
``.pyc`` exist, every start compiles the project's ~130 modules again (~0.04 s here):
``--no-compile`` measures that.

    python bench/startup.py [--participants 10000] [--runs 5] [--db PATH] [--no-gunicorn]

Exit status: 0 goals met; 1 a goal missed; 2 a command failed or its output is wrong.
"""

from __future__ import annotations

import argparse
import os
import resource
import socket
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

GOAL_START_S = 0.5
GOAL_EXPORT_S = 2.0
BIN = Path(sys.executable).parent  # the virtual environment's scripts (flask, gunicorn)


FRAMEWORKS = ("import flask, flask.cli, sqlalchemy.orm, sqlalchemy.dialects.sqlite, "
              "sqlalchemy.dialects.postgresql, marshmallow, flask_smorest, yaml, zoneinfo")


def parse_args(argv=None) -> argparse.Namespace:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--participants", type=int, default=10_000,
                    help="participants of the exported study (default 10,000)")
    ap.add_argument("--runs", type=int, default=5, help="runs per figure (default 5)")
    ap.add_argument("--db", type=Path, default=None,
                    help="SQLite file of the exported study: built there if missing, kept "
                         "(default: a temporary file, deleted)")
    ap.add_argument("--no-gunicorn", action="store_true", help="skip the gunicorn figure")
    ap.add_argument("--no-compile", action="store_true",
                    help="do not refresh the project's bytecode first")
    a = ap.parse_args(argv)
    if a.runs < 1 or a.participants < 1:
        ap.error("--runs and --participants must be positive")
    return a


def study_in(db: Path) -> tuple[str, int] | None:
    """(study key, participants) of an existing benchmark database, else None."""
    if not db.exists():
        return None
    with sqlite3.connect(db) as conn:
        (key,), = conn.execute("SELECT key FROM studies").fetchall()
        (n,), = conn.execute("SELECT count(*) FROM participants").fetchall()
    return key, n


def build(db: Path, participants: int) -> str:
    """bench/endpoints.py's crossover study, written to ``db``; returns the study key."""
    from endpoints import set_up

    print(f"building the study ({participants:,} participants) in {db} ...", flush=True)
    key, _ = set_up(f"sqlite:///{db}", participants, seed=1)
    return key


def timed(command: list[str], env: dict, check: Callable[[], str | None] = lambda: None,
          runs: int = 5) -> tuple[list[float], list[float]]:
    """Wall and CPU seconds of ``runs`` runs of ``command`` (output discarded)."""
    walls, cpus = [], []
    for _ in range(runs):
        before, t = resource.getrusage(resource.RUSAGE_CHILDREN), time.perf_counter()
        done = subprocess.run(command, cwd=ROOT, env=env, stdout=subprocess.DEVNULL,
                              stderr=subprocess.PIPE, text=True)
        walls.append(time.perf_counter() - t)
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        cpus.append(after.ru_utime - before.ru_utime + after.ru_stime - before.ru_stime)
        if done.returncode:
            raise RuntimeError(f"{' '.join(command)} exited {done.returncode}:\n"
                               f"{done.stderr[-2000:]}")
        problem = check()
        if problem:
            raise RuntimeError(f"{' '.join(command)}: {problem}")
    return walls, cpus


def gunicorn_boot(env: dict, runs: int) -> tuple[list[float], list[float]]:
    """Seconds from spawning one gunicorn worker to the first 200 of /api/v1/health."""
    walls, cpus = [], []
    for _ in range(runs):
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            port = s.getsockname()[1]
        url = f"http://127.0.0.1:{port}/api/v1/health"
        before, t = resource.getrusage(resource.RUSAGE_CHILDREN), time.perf_counter()
        server = subprocess.Popen([str(BIN / "gunicorn"), "-w", "1", "-b", f"127.0.0.1:{port}",
                                   "app:create_app()"], cwd=ROOT, env=env,
                                  stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        try:
            while True:
                try:
                    with urllib.request.urlopen(url, timeout=5) as answer:
                        if answer.status == 200:
                            break
                except OSError:
                    if server.poll() is not None or time.perf_counter() - t > 60:
                        raise RuntimeError("gunicorn did not answer within 60 s") from None
                    time.sleep(0.005)
            walls.append(time.perf_counter() - t)
        finally:
            server.terminate()
            server.wait(timeout=30)
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        cpus.append(after.ru_utime - before.ru_utime + after.ru_stime - before.ru_stime)
    return walls, cpus


def load_average() -> str:
    return " ".join(Path("/proc/loadavg").read_text().split()[:3])


def main(argv=None) -> int:
    a = parse_args(argv)
    print(f"paindiary start-up benchmark: {os.cpu_count()} cores, {a.runs} runs per figure, "
          f"load average {load_average()}", flush=True)
    if not a.no_compile:
        subprocess.run([sys.executable, "-m", "compileall", "-q", "app.py", "diary", "scoring",
                        "notifications"], cwd=ROOT, check=True)
    print("bytecode: " + ("as found" if a.no_compile else "project .pyc refreshed first")
          + f"; PYTHONDONTWRITEBYTECODE={os.environ.get('PYTHONDONTWRITEBYTECODE', '')!r}")
    with tempfile.TemporaryDirectory(prefix="paindiary-startup-") as tmp:
        tmp = Path(tmp)
        db = (a.db or tmp / "study.sqlite3").resolve()
        found = study_in(db)
        if found and found[1] != a.participants:
            print(f"{db} holds {found[1]:,} participants, not {a.participants:,}: pass "
                  "another --db", file=sys.stderr)
            return 2
        key = found[0] if found else build(db, a.participants)
        env = {k: v for k, v in os.environ.items()
               if not k.startswith(("FLASK_", "TWILIO_", "DATABASE_URL"))}
        env.update(PAINDIARY_INSTANCE=str(tmp / "instance"), SECRET_KEY="bench",
                   DATABASE_URL=f"sqlite:///{db}")
        out = tmp / "endpoints_wide.csv"

        def export_rows() -> str | None:
            with out.open(encoding="utf-8") as f:
                rows = sum(1 for _ in f) - 1
            want = 3 * a.participants
            return None if rows == want else f"{rows} rows written, {want} expected"

        flask = str(BIN / "flask")
        figures = [
            ("python -c pass (baseline)", [sys.executable, "-c", "pass"], None),
            # The floor of the design: the frameworks every start needs, and nothing of ours
            ("floor: importing the frameworks alone",
             [sys.executable, "-c", FRAMEWORKS], None),
            ("flask --app app --help", [flask, "--app", "app", "--help"], GOAL_START_S),
            ("worker boot: import app; app.create_app()",
             [sys.executable, "-c", "import app; app.create_app()"], GOAL_START_S),
        ]
        results = []
        try:
            for label, command, goal in figures:
                results.append((label, *timed(command, env, runs=a.runs), goal))
            if not a.no_gunicorn:
                results.append(("gunicorn -w 1: spawn to first answer",
                                *gunicorn_boot(env, a.runs), None))
            export = [flask, "--app", "app", "export", "endpoints", "--study", key,
                      "--layout", "wide", "--format", "csv", "-o", str(out)]
            results.append((f"CLI export, {a.participants:,} participants -> wide CSV",
                            *timed(export, env, export_rows, a.runs), GOAL_EXPORT_S))
        except RuntimeError as exc:
            print(f"FAILED: {exc}", file=sys.stderr)
            return 2
    base = statistics.median(results[0][1])
    print(f"\n{'':50s} {'median':>8s} {'x base':>7s} {'min':>7s} {'CPU med':>8s}  goal")
    missed = 0
    for label, walls, cpus, goal in results:
        median = statistics.median(walls)
        verdict = ""
        if goal is not None:
            verdict = f"<= {goal:g} s {'PASS' if median <= goal else 'FAIL'}"
            missed += median > goal
        print(f"{label:50s} {median:7.3f}s {median / base:7.1f} {min(walls):6.3f}s "
              f"{statistics.median(cpus):7.3f}s  {verdict}")
    print(f"load average after: {load_average()} (on a busy machine wall times inflate; "
          "CPU times less so)")
    return 1 if missed else 0


if __name__ == "__main__":
    sys.exit(main())
