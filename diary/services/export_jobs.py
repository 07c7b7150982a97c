"""Background export jobs (issue 15): ask for an export, follow it, fetch its files.

The export itself is ``diary.exports.service`` (same scoring, masking, provenance and
audit as the direct download); a job only runs it in a thread of the server
(``diary.exports.job_runner``) and keeps its files for a day. Who may see a job: staff who
may read the study and who would get the same or a wider view of it themselves: a blinded
colleague never downloads an unmasked file, a site-limited one never another site's rows.
"""

from __future__ import annotations

import shutil
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Protocol as Interface

from sqlalchemy import select, update
from sqlalchemy.orm import Session
from sqlalchemy.orm.attributes import set_committed_value

from diary import audit
from diary.db.export_job_models import ExportJob
from diary.db.models import Study
from diary.errors import DomainError, NotFound, RuleViolation
from diary.protocol.model import Protocol
from diary.services.blinding import sees_allocation
from diary.services.principals import Principal
from diary.services.studies import get_study

TABLE_FORMATS = ("csv", "xlsx", "xpt")
FIGURE_FORMATS = ("png", "svg")
UNFINISHED = ("queued", "running")
# A job whose process has not written a heartbeat for this long is taken as stopped (the
# runner writes one every few seconds while it holds the job).
STALE_AFTER = timedelta(minutes=2)
INTERRUPTED = "the server process running this export stopped; start the export again"


class Gone(DomainError):
    status, code = 410, "gone"


class Runner(Interface):
    """What the use cases need from the process that runs jobs (job_runner.ExportJobRunner):
    its name, where files go, how long they stay, and the jobs it holds right now."""

    worker: str
    directory: Path
    keep: timedelta

    def start(self, job_id: str, principal: Principal) -> None: ...

    def live(self, job_id: str) -> tuple[str, float] | None:
        """(phase, progress) of a job this process holds, else None."""


@dataclass(frozen=True)
class JobFile:
    path: Path
    name: str
    fmt: str
    provenance: dict[str, str] | None


def submit(session: Session, principal: Principal, key: str, *, layout: str, fmt: str,
           figure: str, now: datetime, runner: Runner) -> ExportJob:
    """Queue an export of study ``key`` and start it; refuses at once what the export
    would refuse (layout, format, figure, a protocol without endpoints)."""
    from diary.exports.service import LAYOUTS, exportable  # scoring: loaded on first use

    if fmt in FIGURE_FORMATS:
        from diary.exports.figures import FIGURES

        if figure not in FIGURES:
            raise RuleViolation(f"must be one of {', '.join(FIGURES)}", field="figure")
        layout = None
    elif fmt in TABLE_FORMATS:
        if layout not in LAYOUTS:
            raise RuleViolation(f"must be one of {', '.join(LAYOUTS)}", field="layout")
        figure = None
    else:
        raise RuleViolation(f"must be one of {', '.join(TABLE_FORMATS + FIGURE_FORMATS)}",
                            field="format")
    study, protocol, sites = exportable(session, principal, key)
    purge_expired(session, now, runner)
    job = ExportJob(study_id=study.id, requested_by=principal.account_id, requested_at=now,
                    layout=layout, format=fmt, figure=figure,
                    masked=not sees_allocation(principal, study.id, protocol),
                    sites=None if sites is None else list(sites), state="queued",
                    phase="queued", progress=0.0, worker=runner.worker, heartbeat_at=now)
    session.add(job)
    session.commit()
    runner.start(job.id, principal)
    return job


def get_job(session: Session, principal: Principal, key: str, job_id: str, *,
            now: datetime, runner: Runner) -> ExportJob:
    """One job the caller may see, its state brought up to date (stopped, expired)."""
    study, protocol = get_study(session, principal, key)
    purge_expired(session, now, runner)
    job = session.scalar(select(ExportJob).where(ExportJob.id == job_id,
                                                 ExportJob.study_id == study.id))
    if job is None or not _visible(principal, study, protocol, job):
        raise NotFound(f"no export job {job_id!r} in study {key!r}")
    _settle(session, [job], now, runner)
    return job


def list_jobs(session: Session, principal: Principal, key: str, *, now: datetime,
              runner: Runner) -> list[ExportJob]:
    """The study's jobs the caller may see that still have (or will have) files, newest
    first; an expired job is gone from the list."""
    study, protocol = get_study(session, principal, key)
    purge_expired(session, now, runner)
    jobs = session.scalars(select(ExportJob).where(
        ExportJob.study_id == study.id, ExportJob.state != "expired")
        .order_by(ExportJob.requested_at.desc(), ExportJob.id)).all()
    jobs = [j for j in jobs if _visible(principal, study, protocol, j)]
    _settle(session, jobs, now, runner)
    return jobs


def job_file(session: Session, principal: Principal, key: str, job_id: str, *, part: str,
             now: datetime, runner: Runner) -> JobFile:
    """The file of a finished job (``part``: data, or the dictionary beside a CSV or XPT);
    every download is audited on the study's chain, with the job and the file."""
    job = get_job(session, principal, key, job_id, now=now, runner=runner)
    if job.state == "expired":
        raise Gone(f"export job {job_id} expired at {job.expires_at.isoformat()}; "
                   "its files are deleted")
    if job.state != "done":
        raise RuleViolation(f"export job {job_id} is {job.state}, not done", field="job",
                            code="not_ready")
    wanted = [f for f in job.files or () if f["part"] == part]
    if not wanted:
        raise NotFound(f"export job {job_id} has no {part} file", field="part")
    path = runner.directory / job.id / wanted[0]["name"]
    if not path.is_file():  # removed behind our back: say so instead of a 500
        raise Gone(f"the file of export job {job_id} is no longer on the server")
    audit.append(session, chain=audit.study_chain(job.study_id), actor=principal.actor,
                 action="export_job.download", entity="export_job", entity_id=job.id, at=now,
                 after={"part": part, "name": wanted[0]["name"], "sha256": wanted[0]["sha256"],
                        "requested_by": job.requested_by})
    session.commit()
    return JobFile(path, wanted[0]["name"], job.format, job.provenance)


def purge_expired(session: Session, now: datetime, runner: Runner) -> int:
    """Delete the files of jobs past their day and mark them expired; returns how many."""
    expired = session.scalars(select(ExportJob).where(
        ExportJob.state.in_(("done", "failed")), ExportJob.expires_at <= now)).all()
    if not expired:
        return 0
    for job in expired:
        shutil.rmtree(runner.directory / job.id, ignore_errors=True)
        job.state, job.files = "expired", None
    session.commit()
    return len(expired)


def _visible(principal: Principal, study: Study, protocol: Protocol, job: ExportJob) -> bool:
    if not job.masked and not sees_allocation(principal, study.id, protocol):
        return False
    mine = principal.sites(study.id)
    return mine is None or (job.sites is not None and set(job.sites) <= set(mine))


def _settle(session: Session, jobs: list[ExportJob], now: datetime, runner: Runner) -> None:
    """Unfinished jobs whose process is gone become failed; live progress of this
    process's jobs replaces the stored one (on SQLite the runner cannot write it while
    the export holds the write lock)."""
    changed = False
    for job in jobs:
        if job.state not in UNFINISHED:
            continue
        if job.worker == runner.worker:
            live = runner.live(job.id)
            if live is not None:  # shown, not written back: the runner owns the row
                set_committed_value(job, "phase", live[0])
                set_committed_value(job, "progress", live[1])
                continue
        elif (job.heartbeat_at or job.requested_at) > now - STALE_AFTER:
            continue
        # Only if it is still unfinished: the runner may have finished it meanwhile.
        session.execute(
            update(ExportJob).where(ExportJob.id == job.id,
                                    ExportJob.state.in_(UNFINISHED))
            .values(state="failed", phase="failed", error=INTERRUPTED, finished_at=now,
                    expires_at=now + runner.keep))
        changed = True  # failed now, or finished meanwhile: read the row again
    if changed:
        session.commit()
        for job in jobs:
            session.refresh(job)
