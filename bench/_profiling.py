"""Profiling helpers shared by the benchmark scripts: timed wrappers and package tallies."""

from __future__ import annotations

import functools
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


class Segments:
    """Wall time inside selected functions, by wrapping them in this (child) process."""

    def __init__(self):
        self.totals: dict[str, float] = {}
        self.saved = []

    def wrap(self, owner, name: str, label: str) -> None:
        raw = owner.__dict__[name] if isinstance(owner, type) else getattr(owner, name)
        original = getattr(owner, name)  # bound for a classmethod
        self.saved.append((owner, name, raw))
        self.totals[label] = 0.0

        @functools.wraps(original)
        def timed(*args, **kwargs):
            t = time.perf_counter()
            try:
                return original(*args, **kwargs)
            finally:
                self.totals[label] += time.perf_counter() - t

        setattr(owner, name, timed)

    def unwrap(self) -> None:
        for owner, name, raw in reversed(self.saved):
            setattr(owner, name, raw)


def package_of(filename: str) -> str:
    if "site-packages/" in filename:
        return filename.split("site-packages/")[1].split("/")[0].split(".")[0]
    if str(ROOT) + "/" in filename:
        return "paindiary " + "/".join(filename.split(str(ROOT) + "/")[1].split("/")[:2])
    if filename.startswith(("~", "<")):
        return "builtins (C code: numpy, sqlite3, str ...)"
    return "stdlib " + Path(filename).stem
