"""A second process for the outputs' heavy formats: XLSX, XPORT and the figures.

Forked when the sandbox app is built, before the trial: while the trial runs on one core
it loads pandas, pyreadstat, openpyxl and matplotlib (seconds of start-up) on the other.
Once the trial is over the main process scores each layout (the audited export, as
before) and writes the CSV files while this one writes the same exports' XLSX and XPORT
files and draws the figures through ``export_figure`` on a connection of its own. Each
file is written by the same code as in one process, so the bytes do not change; only
the order of the sandbox's audit records does (the sandbox is not an output).

Where ``fork`` is not offered (not Linux), ``start`` gives None and the outputs are
written in the main process.
"""

from __future__ import annotations

import multiprocessing
import queue
import random
import threading
import traceback


class WorkerFailed(RuntimeError):
    """The output process raised: its traceback, re-raised in the main process."""


class OutputWorker:
    """The main process's handle: tasks go down a pipe, results come back in order."""

    def __init__(self, process, conn) -> None:
        self._process, self._conn = process, conn
        self._sent: list[object] = []

    @classmethod
    def start(cls, app, seed: int) -> OutputWorker | None:
        if "fork" not in multiprocessing.get_all_start_methods():
            return None
        # No pooled connection may cross the fork (SQLite and psycopg connections are not
        # fork-safe): the pool is emptied first, both processes connect afresh.
        app.extensions["paindiary"].engine.dispose()
        ctx = multiprocessing.get_context("fork")
        mine, theirs = ctx.Pipe()
        process = ctx.Process(target=_serve, args=(theirs, app, seed), daemon=True,
                              name="simulation-outputs")
        process.start()
        theirs.close()
        return cls(process, mine)

    def submit(self, tags: list, task: tuple) -> None:
        """Queue a task whose results (one per tag) ``results`` will give. The worker
        reads tasks as they come, so this never waits for the one it is on."""
        self._conn.send(task)
        self._sent.append(tags)

    def results(self) -> dict[object, object]:
        """Every submitted task's results, by tag (waits for the last)."""
        done = {}
        for tags in self._sent:
            status, value = self._conn.recv()
            if status == "error":
                raise WorkerFailed(value)
            done.update(zip(tags, value, strict=True))
        self._sent = []
        return done

    def close(self) -> None:
        try:
            self._conn.send(None)
        except OSError:
            pass
        self._conn.close()
        self._process.join(timeout=30)
        if self._process.is_alive():
            self._process.kill()
            self._process.join()


def _serve(conn, app, seed: int) -> None:
    from .sandbox import seeded_ids

    app.extensions["paindiary"].engine.dispose(close=False)
    tasks: queue.SimpleQueue = queue.SimpleQueue()
    # A thread takes tasks off the pipe as they come: the main process's send of a large
    # table would otherwise wait until this one is done with the task before.
    threading.Thread(target=_receive, args=(conn, tasks), daemon=True).start()
    _preload()
    # Row ids of what this process writes (the figures' audit records) are seeded too.
    with seeded_ids(random.Random(f"{seed}:figures")):
        while (task := tasks.get()) is not None:
            try:
                conn.send(("ok", _run(app, task)))
            except BaseException:  # noqa: BLE001 - reported to the main process, which raises
                conn.send(("error", traceback.format_exc()))


def _receive(conn, tasks: queue.SimpleQueue) -> None:
    while True:
        try:
            task = conn.recv()
        except (EOFError, OSError):
            task = None
        tasks.put(task)
        if task is None:
            return


def _preload() -> None:
    """What the heavy formats import on first use, loaded while the trial runs, and a
    throwaway figure drawn in each format (fonts and renderers load on the first draw;
    drawing keeps no state from one figure to the next: diary/exports/figures.py)."""
    import numpy as np
    import openpyxl  # noqa: F401
    import pandas  # noqa: F401
    import pyreadstat  # noqa: F401

    from diary.exports.figures import FIGURE_FORMATS, FIGURES, FigureData, draw

    data = FigureData(study="warm-up", treatments=["A", "B"],
                      values=np.array([[1.0, 2.0], [3.0, np.nan]]), first_day=0, masked=False)
    for figure in FIGURES:
        for fmt in FIGURE_FORMATS:
            draw(data, figure, fmt)


def _run(app, task: tuple) -> list:
    from .outputs import draw_figure, write_tables

    kind, *args = task
    if kind == "tables":
        export, formats, tables, now = args
        return write_tables(export, formats, tables, now)
    if kind == "figure":
        key, figure, fmt, path, now = args
        clock = app.extensions["paindiary"].clock
        if hasattr(clock, "set"):
            clock.set(now)
        return [draw_figure(app, key, figure, fmt, path, now)]
    raise ValueError(f"unknown task {kind!r}")

