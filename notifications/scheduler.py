"""The scheduler process: one APScheduler interval job that plans, then dispatches.

Run it with ``flask --app app scheduler`` in its own process, never inside web workers.
The job is coalesced and never overlaps itself; after downtime the first tick catches
up on what is still useful (the planner drops reminders whose day is over). Several
schedulers may run against one PostgreSQL database: planning claims cursors and
dispatch claims outbox rows with ``FOR UPDATE SKIP LOCKED``, and one advisory lock lets
a single scheduler send at a time, so the configured rate holds for the whole
deployment. The others keep trying the lock through their tick's budget: when the sending
one dies its lock goes with its connection, and a standby takes over its claims as soon
as their short lease lapses (``notifications.dispatch.LEASE``). On SQLite run one
scheduler.
"""

from __future__ import annotations

import logging
import os
import socket
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy import Engine, text

from diary.runtime import Runtime
from diary.sms.signature import public_request_url

from .dispatch import Dispatcher, DispatchStats
from .ratelimit import RateLimiter
from .tick import PlanStats, plan_all
from .transport import Transport, transport_from_config

log = logging.getLogger("paindiary.scheduler")

DISPATCH_LOCK = 0x7061696E  # "pain": the advisory lock key of the sending scheduler
LOCK_POLL = 1.0  # seconds between a standby scheduler's tries of the sending lock


@dataclass
class TickResult:
    planned: PlanStats
    dispatched: DispatchStats | None  # None when another scheduler was sending
    sealed: int | None = None  # the audit seal this tick signed, if one was due


@contextmanager
def dispatch_lock(engine: Engine) -> Iterator[bool]:
    """On PostgreSQL, whether this process holds the sending lock (held for the block)."""
    if engine.dialect.name != "postgresql":
        yield True
        return
    with engine.connect() as conn:
        got = conn.scalar(text("SELECT pg_try_advisory_lock(:k)"), {"k": DISPATCH_LOCK})
        conn.commit()
        try:
            yield bool(got)
        finally:
            if got:
                conn.execute(text("SELECT pg_advisory_unlock(:k)"), {"k": DISPATCH_LOCK})
                conn.commit()


def worker_id() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"[:64]


def make_dispatcher(runtime: Runtime, transport: Transport, *,
                    limiter: RateLimiter | None = None) -> Dispatcher:
    config = runtime.config
    rate = config.get("SMS_RATE") or None
    base = config.get("PUBLIC_BASE_URL")
    return Dispatcher(
        session_factory=runtime.session_factory, transport=transport, vault=runtime.vault,
        now=runtime.clock.now, limiter=limiter or RateLimiter(rate), worker=worker_id(),
        # SQLite has one writer: parallel senders would only queue on its lock.
        workers=config.get("SMS_WORKERS", 8) if runtime.engine.dialect.name == "postgresql"
        else 1,
        status_url=(lambda mid: public_request_url(base, "/sms/status", f"outbox={mid}"))
        if base else (lambda mid: None))


def tick(runtime: Runtime, dispatcher: Dispatcher, *,
         budget: timedelta | None = None) -> TickResult:
    """Seal the audit trail when due, plan every due participant, then send what is due
    (for at most ``budget``).

    With a ``budget``, a scheduler that finds another one sending tries the lock again
    every ``LOCK_POLL`` seconds until the budget is spent, so a dead sender is replaced
    within seconds, not at the next tick."""
    sealed = seal_when_due(runtime)
    planned = plan_all(runtime.session_factory, runtime.clock.now())
    deadline = None if budget is None else time.monotonic() + budget.total_seconds()
    while True:
        with dispatch_lock(runtime.engine) as mine:
            if mine:
                left = None if deadline is None else max(deadline - time.monotonic(), 0)
                until = None if left is None else runtime.clock.now() + timedelta(seconds=left)
                return TickResult(planned, dispatcher.run(until=until), sealed)
        if deadline is None or time.monotonic() + LOCK_POLL >= deadline:
            return TickResult(planned, None, sealed)
        time.sleep(LOCK_POLL)


def seal_when_due(runtime: Runtime) -> int | None:
    """Sign the audit chain heads every AUDIT_SEAL_INTERVAL (diary/audit_seals.py).

    A failure (a key service down, an unwritable checkpoint file) is logged loudly but
    does not stop reminders: the next tick tries again."""
    from diary.audit_pending import chain_pending
    from diary.audit_verify import seal_if_due

    try:
        with runtime.session_factory() as session:
            chain_pending(session)  # every tick: the fast path's records join their chains
        line = seal_if_due(runtime.session_factory, runtime.config, runtime.clock.now())
    except Exception:  # noqa: BLE001 - reminders must go out whatever the sealer's trouble
        log.exception("audit seal failed; retrying at the next tick")
        return None
    return None if line is None else line.data["number"]


def run_forever(runtime: Runtime, *, interval: int) -> None:
    """Block, ticking every ``interval`` seconds (APScheduler, one coalesced job)."""
    from apscheduler.schedulers.blocking import BlockingScheduler

    dispatcher = make_dispatcher(runtime, transport_from_config(runtime.config))
    budget = timedelta(seconds=max(interval - 5, 1))

    def job() -> None:
        result = tick(runtime, dispatcher, budget=budget)
        log.info("tick: planned %s, dispatched %s", result.planned, result.dispatched)

    scheduler = BlockingScheduler(timezone="UTC")
    scheduler.add_job(job, "interval", seconds=interval, id="tick", coalesce=True,
                      max_instances=1, misfire_grace_time=interval, next_run_time=datetime.now(UTC))
    scheduler.start()
