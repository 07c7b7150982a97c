"""Runs export jobs in background threads of the server process (issue 15).

One runner per app. A job's thread claims its row, runs the same export as the direct
download (``diary.exports.service``), writes the files into ``<directory>/<job id>/`` and
records the outcome. A ticker thread writes each held job's phase, progress and a
heartbeat every few seconds, so another process or page reads them from the table, and a
job whose process died (no heartbeat) is marked failed by its next reader
(``diary.services.export_jobs``). At most ``workers`` jobs run at once; the rest wait
queued. On SQLite the export's transaction holds the write lock, so the ticker's writes
wait until it ends: there the table shows the phase, and progress only between phases.
"""

from __future__ import annotations

import hashlib
import logging
import os
import shutil
import socket
import threading
import uuid
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

from sqlalchemy import update
from sqlalchemy.exc import OperationalError

from diary.db.export_job_models import ExportJob
from diary.db.models import Study
from diary.errors import DomainError
from diary.runtime import Runtime
from diary.services.principals import Principal

log = logging.getLogger(__name__)

HEARTBEAT_SECONDS = 5.0
# Shares of the progress bar: reading the diary is the long part of an export.
READ_SHARE, SCORED, WRITTEN = 0.8, 0.85, 1.0
FAILED = "the export failed on the server (see its log); start it again"


@dataclass
class _Held:
    principal: Principal
    phase: str = "queued"
    progress: float = 0.0


class ExportJobRunner:
    """Starts, tracks and finishes this process's export jobs."""

    def __init__(self, runtime: Runtime, directory: str | os.PathLike[str], *,
                 keep: timedelta, workers: int = 2):
        self.runtime, self.directory, self.keep = runtime, Path(directory), keep
        self._worker: tuple[int, str] | None = None
        self._held: dict[str, _Held] = {}
        self._lock = threading.Lock()
        self._slots = threading.BoundedSemaphore(workers)
        self._threads: dict[str, threading.Thread] = {}
        self._ticker: threading.Thread | None = None
        self._tick = threading.Event()

    @property
    def worker(self) -> str:
        """This process's name in the jobs table. Made per process id: a server that forks
        its workers after building the app (gunicorn --preload) gives each its own, or
        one worker would take another's running job for its own lost one."""
        pid = os.getpid()
        if self._worker is None or self._worker[0] != pid:
            self._worker = (pid, f"{socket.gethostname()[:40]}:{pid}:{uuid.uuid4().hex[:8]}")
        return self._worker[1]

    # -- what the use cases ask -------------------------------------------------------
    def start(self, job_id: str, principal: Principal) -> None:
        thread = threading.Thread(target=self._run, args=(job_id,), daemon=True,
                                  name=f"export-job-{job_id[:8]}")
        with self._lock:
            self._held[job_id] = _Held(principal)
            self._threads[job_id] = thread
            if self._ticker is None or not self._ticker.is_alive():
                self._ticker = threading.Thread(target=self._beat, daemon=True,
                                                name="export-job-heartbeat")
                self._ticker.start()
        thread.start()

    def live(self, job_id: str) -> tuple[str, float] | None:
        with self._lock:
            held = self._held.get(job_id)
            return None if held is None else (held.phase, held.progress)

    def wait(self, job_id: str, timeout: float = 60.0) -> bool:
        """Block until the job's thread ends (tests, the command line); False on timeout."""
        with self._lock:
            thread = self._threads.get(job_id)
        if thread is not None:
            thread.join(timeout)
            return not thread.is_alive()
        return True

    # -- the job's thread -------------------------------------------------------------
    def _run(self, job_id: str) -> None:
        try:
            with self._slots:
                self._run_held(job_id)
        finally:
            with self._lock:
                self._held.pop(job_id, None)
                self._threads.pop(job_id, None)

    def _set(self, job_id: str, phase: str, progress: float) -> None:
        with self._lock:
            held = self._held.get(job_id)
            if held is not None:
                held.phase, held.progress = phase, progress

    def _run_held(self, job_id: str) -> None:
        clock, session = self.runtime.clock, self.runtime.session_factory()
        target = self.directory / job_id
        try:
            claimed = session.execute(
                update(ExportJob).where(ExportJob.id == job_id, ExportJob.state == "queued")
                .values(state="running", phase="reading", started_at=clock.now(),
                        heartbeat_at=clock.now(), worker=self.worker))
            session.commit()
            if not claimed.rowcount:  # failed by a reader meanwhile (should not happen)
                return
            job = session.get(ExportJob, job_id)
            study_key = session.get_one(Study, job.study_id).key
            # End the read: on SQLite any transaction holds the write lock (BEGIN IMMEDIATE)
            session.commit()
            self._set(job_id, "reading", 0.0)
            files, provenance, rows = self._export(session, job, study_key, target)
            finished = clock.now()
            done = session.execute(
                update(ExportJob).where(ExportJob.id == job_id, ExportJob.state == "running")
                .values(state="done", phase="done", progress=WRITTEN, finished_at=finished,
                        heartbeat_at=finished, expires_at=finished + self.keep, files=files,
                        provenance=provenance, rows=rows))
            session.commit()
            if not done.rowcount:  # a reader gave it up for lost: its files go too
                shutil.rmtree(target, ignore_errors=True)
        except DomainError as exc:  # the study changed since the job was queued
            self._fail(session, job_id, target, exc.message)
        except Exception:
            log.exception("export job %s failed", job_id)
            self._fail(session, job_id, target, FAILED)
        finally:
            session.close()

    def _export(self, session, job: ExportJob, study_key: str, target: Path):
        """Run the export as the requester and write its files; (files, provenance, rows)."""
        # Imported in the job's thread: they pull numpy, openpyxl and scoring (issue 12).
        from diary.exports.files import filename, write_export
        from diary.exports.service import export_endpoints, export_figure

        with self._lock:
            principal = self._held[job.id].principal
        partial = target.with_name(target.name + ".partial")
        shutil.rmtree(partial, ignore_errors=True)
        partial.mkdir(parents=True)
        if job.figure is not None:
            self._set(job.id, "drawing", SCORED)
            figure = export_figure(session, principal, study_key, figure=job.figure,
                                   fmt=job.format, now=self.runtime.clock.now())
            self._set(job.id, "writing", SCORED)
            name = f"{figure.study}_{figure.figure}.{figure.fmt}"
            (partial / name).write_bytes(figure.content)
            written, provenance, rows = [("data", partial / name)], figure.provenance, None
        else:
            def progress(done: int, total: int) -> None:
                if total and done < total:
                    self._set(job.id, "reading", READ_SHARE * done / total)
                else:
                    self._set(job.id, "scoring", READ_SHARE)

            export = export_endpoints(session, principal, study_key, layout=job.layout,
                                      fmt=job.format, now=self.runtime.clock.now(),
                                      progress=progress)
            self._set(job.id, "writing", SCORED)
            paths = write_export(export, job.format, partial / filename(export, job.format))
            written = list(zip(("data", "dictionary"), paths, strict=False))
            provenance, rows = export.provenance, len(export.table.rows)
        files = [{"part": part, "name": path.name, "size": path.stat().st_size,
                  "sha256": _sha256(path)} for part, path in written]
        os.replace(partial, target)  # the files appear together, complete
        return files, provenance, rows

    def _fail(self, session, job_id: str, target: Path, message: str) -> None:
        session.rollback()
        shutil.rmtree(target, ignore_errors=True)
        shutil.rmtree(target.with_name(target.name + ".partial"), ignore_errors=True)
        now = self.runtime.clock.now()
        session.execute(update(ExportJob).where(ExportJob.id == job_id,
                                                ExportJob.state.in_(("queued", "running")))
                        .values(state="failed", phase="failed", error=message[:500],
                                finished_at=now, expires_at=now + self.keep))
        session.commit()

    # -- the heartbeat ----------------------------------------------------------------
    def _beat(self) -> None:
        """Every few seconds, write each held job's phase, progress and a heartbeat."""
        while True:
            self._tick.wait(HEARTBEAT_SECONDS)
            with self._lock:
                held = {job_id: (h.phase, h.progress) for job_id, h in self._held.items()}
                if not held:
                    self._ticker = None
                    return
            try:
                with self.runtime.engine.begin() as conn:
                    now = self.runtime.clock.now()
                    for job_id, (phase, progress) in held.items():
                        conn.execute(update(ExportJob).where(
                            ExportJob.id == job_id, ExportJob.worker == self.worker,
                            ExportJob.state.in_(("queued", "running")))
                            .values(phase=phase, progress=progress, heartbeat_at=now))
            except OperationalError:  # SQLite busy while an export reads: next time
                log.debug("export job heartbeat skipped: database busy")


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()
