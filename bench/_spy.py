"""py-spy sampling of gunicorn workers for bench/ingest.py ``--profile`` (issue 20): where a
request's time goes, as inclusive and self shares of the samples (idle waits included).

Not a package module: bench/ingest.py imports it with bench/ on ``sys.path``.
"""

from __future__ import annotations

import shutil
import subprocess
import tempfile
from collections import Counter
from pathlib import Path


def record(pids: list[int], seconds: int) -> list[subprocess.Popen]:
    spy = shutil.which("py-spy") or str(Path(__file__).resolve().parents[1] / ".venv/bin/py-spy")
    procs = []
    for pid in pids:
        out = tempfile.mktemp(prefix=f"spy-{pid}-", suffix=".txt")
        procs.append(subprocess.Popen([spy, "record", "-p", str(pid), "-d", str(seconds),
                                       "-r", "250", "--format", "raw", "-o", out,
                                       "--nonblocking"], stdout=subprocess.DEVNULL,
                                      stderr=subprocess.DEVNULL))
        procs[-1].out = out
    return procs


def summary(procs: list[subprocess.Popen], top: int = 30) -> str:
    inclusive, leaf, total = Counter(), Counter(), 0
    for p in procs:
        p.wait(timeout=120)
        path = Path(p.out)
        if not path.exists():
            continue
        for line in path.read_text().splitlines():
            stack, _, n = line.rpartition(" ")
            if not n.isdigit() or "handle_request" not in stack:
                continue  # only request-handling threads, not the idle gthread loop
            total += int(n)
            frames = [f.split(" (")[0] + " " + f.split("/")[-1].rstrip(")")
                      for f in stack.split(";")]
            for f in set(frames):
                inclusive[f] += int(n)
            leaf[frames[-1]] += int(n)
        path.unlink()
    if not total:
        return "py-spy: no samples (is py-spy installed, may it ptrace?)"
    lines = [f"py-spy: {total} samples in request handling; inclusive share, then self share"]
    lines += [f"  {100 * n / total:5.1f}%  {f}" for f, n in inclusive.most_common(top)]
    lines += ["  self:"] + [f"  {100 * n / total:5.1f}%  {f}" for f, n in leaf.most_common(15)]
    return "\n".join(lines)
