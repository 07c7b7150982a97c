"""Simulations started from the dashboard: each runs the ``simulate`` command in a process
of its own (never inside a web worker: the run swaps the process's id generator for a
seeded one), in a folder of ``SIMULATIONS_DIR``; its state is read back from that folder.

A folder holds ``run.json`` (what was asked, by whom, when), ``log.txt`` (the command's
progress lines), ``exit`` (its exit status, once it ended) and the simulation's files.

    python -m simulation.background DIR -- simulate ARGS...   (what ``start`` spawns)
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PROGRESS = re.compile(r"trial (\d+): +(\d+) %")
_CHILDREN: dict[str, subprocess.Popen] = {}  # this process's runs, reaped once ended


@dataclass(frozen=True)
class Run:
    name: str
    protocol: str
    participants: int
    seed: int
    replicates: int
    requested_by: str
    requested_at: str
    state: str          # running, done, failed
    progress: float     # 0..1 over all replicates
    message: str        # the command's last line (its summary, or why it failed)


def start(folder: Path, *, protocol: str, participants: int, seed: int, replicates: int,
          requested_by: str, requested_at: datetime) -> str:
    """Create the run's folder and start the command in the background; its name."""
    folder.mkdir(parents=True, exist_ok=True)
    number = 1 + max((int(p.name.split("-", 1)[0]) for p in folder.iterdir()
                      if p.name.split("-", 1)[0].isdigit()), default=0)
    name = f"{number:04d}-{protocol}-s{seed}"
    out = folder / name
    out.mkdir()
    (out / "run.json").write_text(json.dumps({
        "protocol": protocol, "participants": participants, "seed": seed,
        "replicates": replicates, "requested_by": requested_by,
        "requested_at": requested_at.isoformat()}, sort_keys=True), encoding="utf-8")
    args = ["simulate", protocol, "--participants", str(participants), "--seed", str(seed),
            "--replicates", str(replicates), "--out", str(out / "output")]
    with (out / "log.txt").open("wb") as log:
        _CHILDREN[name] = subprocess.Popen(
            [sys.executable, "-m", "simulation.background", str(out), "--", *args],
            cwd=ROOT, stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
            start_new_session=True)
    return name


def status(out: Path) -> Run:
    """What a run's folder says: its request, state and progress."""
    child = _CHILDREN.get(out.name)
    if child is not None and child.poll() is not None:
        del _CHILDREN[out.name]
    asked = json.loads((out / "run.json").read_text(encoding="utf-8"))
    log = (out / "log.txt").read_text(encoding="utf-8", errors="replace") \
        if (out / "log.txt").exists() else ""
    found = PROGRESS.findall(log)
    replicates = max(1, int(asked["replicates"]))
    progress = 0.0
    if found:
        trial, percent = found[-1]
        progress = min(1.0, (int(trial) - 1 + int(percent) / 100) / replicates)
    lines = [line.strip() for line in re.split(r"[\r\n]", log) if line.strip()]
    message = lines[-1] if lines else ""
    if (out / "exit").exists():
        code = (out / "exit").read_text().strip()
        state = "done" if code == "0" and (out / "output" / "report.html").exists() else "failed"
        if state == "done":
            progress = 1.0
            message = next((line for line in reversed(lines)
                            if not PROGRESS.search(line) and not line.startswith("took")),
                           message)
    else:
        state = "running"
    return Run(out.name, asked["protocol"], asked["participants"], asked["seed"], replicates,
               asked["requested_by"], asked["requested_at"], state, progress, message[:300])


def runs(folder: Path) -> list[Run]:
    """Every run, newest first."""
    if not folder.is_dir():
        return []
    return [status(p) for p in sorted(folder.iterdir(), reverse=True)
            if (p / "run.json").exists()]


def main(argv: list[str]) -> int:
    out, args = Path(argv[0]), argv[argv.index("--") + 1:]
    from flask.cli import main as flask_main

    code = 1
    try:
        sys.argv = ["flask", "--app", "app", *args]
        flask_main()
        code = 0
    except SystemExit as exc:
        code = exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 1)
    finally:
        (out / "exit").write_text(f"{code}\n")
        sys.stdout.flush()
    return code


if __name__ == "__main__":
    os.environ.setdefault("PYTHONUNBUFFERED", "1")
    raise SystemExit(main(sys.argv[1:]))
