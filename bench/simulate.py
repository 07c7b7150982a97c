#!/usr/bin/env python
"""Simulation benchmark (issue 21): a 100-participant, 6-month trial in at most 60 s.

Runs ``flask --app app simulate`` (in a fresh process each time, as a user would) on the
perioperative protocol, whose follow-up runs 6 months after surgery, and prints the
median wall time of ``--runs`` runs with the CPU time of the same runs and the machine's
load average (the machine is shared: a high load stretches wall time, not CPU time).
The simulator's own split (scheduler ticks, each kind of action, the outputs) of the last
run is printed from an in-process run with ``--split``.

Bytecode: where ``PYTHONDONTWRITEBYTECODE`` is set and the environment holds no ``.pyc``
(a virtual environment made by ``uv pip install`` without ``--compile-bytecode``), every
run compiles Flask, SQLAlchemy, pandas, matplotlib... again: ~5 s of a run here. The
runs measure that as found; ``--bytecode`` gives the figure with bytecode, as a normal
install has it: the runs keep theirs in a cache directory of their own
(``PYTHONPYCACHEPREFIX``; the environment is not written to), filled by a small
unmeasured run first.

    python bench/simulate.py [--protocol perioperative-ketamine] [--participants 100]
                             [--runs 3] [--seed 1] [--split] [--bytecode]

Exit status: 0 goal met (median <= 60 s); 1 missed; 2 the command failed.
"""

from __future__ import annotations

import argparse
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
GOAL_SECONDS = 60.0


PYCACHE = Path(tempfile.gettempdir()) / "paindiary-bench-simulate-pycache"


def _env(bytecode: bool) -> dict[str, str]:
    env = dict(os.environ)
    if bytecode:
        env.pop("PYTHONDONTWRITEBYTECODE", None)
        env["PYTHONPYCACHEPREFIX"] = str(PYCACHE)
    return env


def _one(protocol: str, participants: int, seed: int,
         bytecode: bool = False) -> tuple[float, float]:
    with tempfile.TemporaryDirectory() as tmp:
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        started = time.perf_counter()
        done = subprocess.run(
            [str(Path(sys.executable).parent / "flask"), "--app", "app", "simulate", protocol,
             "--participants", str(participants), "--seed", str(seed), "--out", tmp],
            cwd=ROOT, capture_output=True, text=True, check=False, env=_env(bytecode))
        wall = time.perf_counter() - started
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        if done.returncode != 0:
            print(done.stdout, done.stderr, file=sys.stderr)
            raise SystemExit(2)
        print("  " + done.stdout.strip().replace("\n", "\n  "))
    cpu = (after.ru_utime + after.ru_stime) - (before.ru_utime + before.ru_stime)
    return wall, cpu


def _split(protocol: str, participants: int, seed: int) -> None:
    sys.path.insert(0, str(ROOT))
    from app import create_app
    from simulation.models import load_models
    from simulation.run import protocol_source, run_trial

    with tempfile.TemporaryDirectory() as tmp:
        started = time.perf_counter()
        trial, app = run_trial(create_app, protocol_source(protocol), Path(tmp), load_models(),
                               participants=participants, seed=seed)
        total = time.perf_counter() - started
        app.extensions["paindiary"].engine.dispose()
    print(f"in-process trial (no outputs): {total:.1f} s")
    for part, seconds in sorted(trial.seconds.items(), key=lambda kv: -kv[1]):
        print(f"  {part:<16} {seconds:6.1f} s")
    for name, n in sorted(trial.counts.items()):
        print(f"  {name:<28} {n:6d}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--protocol", default="perioperative-ketamine")
    parser.add_argument("--participants", type=int, default=100)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--split", action="store_true")
    parser.add_argument("--bytecode", action="store_true",
                        help="runs with bytecode (a cache of their own, filled first)")
    args = parser.parse_args()
    print("bytecode: " + (f"cached in {PYCACHE}" if args.bytecode else "as found")
          + f"; PYTHONDONTWRITEBYTECODE={os.environ.get('PYTHONDONTWRITEBYTECODE', '')!r}")
    if args.bytecode:
        _one(args.protocol, 2, args.seed, bytecode=True)
    walls, cpus = [], []
    for k in range(args.runs):
        wall, cpu = _one(args.protocol, args.participants, args.seed, args.bytecode)
        walls.append(wall)
        cpus.append(cpu)
        print(f"run {k + 1}: {wall:.1f} s wall, {cpu:.1f} s CPU, "
              f"load average {os.getloadavg()[0]:.2f}")
    median = statistics.median(walls)
    print(f"{args.protocol}, {args.participants} participants: median {median:.1f} s wall "
          f"(CPU median {statistics.median(cpus):.1f} s) over {args.runs} runs; "
          f"goal <= {GOAL_SECONDS:.0f} s: {'met' if median <= GOAL_SECONDS else 'MISSED'}")
    if args.split:
        _split(args.protocol, args.participants, args.seed)
    raise SystemExit(0 if median <= GOAL_SECONDS else 1)


if __name__ == "__main__":
    main()
