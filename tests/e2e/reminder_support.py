"""Driving the scheduler in tests: the app's runtime, the real Twilio SDK against the local
fake, a frozen clock moved tick by tick, and the outbox read back."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timedelta

from sqlalchemy import select

from diary.db.messaging import OutboxMessage
from notifications.ratelimit import RateLimiter
from notifications.scheduler import TickResult, make_dispatcher, tick
from notifications.transport import Transport

REMINDING_CROSSOVER = """
key: remind-crossover
title: Reminding crossover
timezone: Europe/Paris
design: crossover
sites: [PAR, LYO]
treatments: [{key: K}, {key: P}]
sequences: [{key: KP, treatments: [K, P]}, {key: PK, treatments: [P, K]}]
anchors: [{key: infusion, per_period: true}]
daily_diary:
  anchor: infusion
  from_day: -7
  to_day: 35
  late_entry: {days_after: 1, until: "12:00"}
assessments:
  - {key: pgic_d35, label: PGIC day 35, instrument: pgic, anchor: infusion, offset: P35D,
     window: {open: -P3D, close: P3D}}
reminders:
  daily_time: "20:00"
  nudge_after: PT2H
  window_open: true
  window_closing_before: P1D
  missed_days_alert: 3
  quiet_hours: {start: "22:00", end: "08:00"}
"""
STUDY = "remind-crossover"


def enrol_cohort(api, admin, count: int, phones: str) -> None:
    """The reminding crossover with ``count`` participants S000.. (phones ``phones`` + two
    digits), each with infusion 1 on 1 March 2027 at 08:00 UTC."""
    api.create_study(admin, REMINDING_CROSSOVER)
    for n in range(count):
        api.enrol(admin, STUDY, subject_id=f"S{n:03d}", site="PAR", sequence="KP",
                  phone=f"{phones}{n:02d}")
        assert api.event(admin, STUDY, f"S{n:03d}", type="infusion", period=1,
                         occurred_at="2027-03-01T08:00:00+00:00").status_code == 201


class Harness:
    """One scheduler process: ``tick()`` plans and dispatches at the clock's instant."""

    def __init__(self, app, transport: Transport, *, rate: float | None = None) -> None:
        self.app, self.runtime = app, app.extensions["paindiary"]
        self.clock = self.runtime.clock
        self.dispatcher = make_dispatcher(self.runtime, transport, limiter=RateLimiter(rate))

    def tick(self, at: datetime | None = None) -> TickResult:
        if at is not None:
            self.clock.set(at)
        return tick(self.runtime, self.dispatcher)

    def run(self, start: datetime, end: datetime, every: timedelta) -> None:
        at = start
        while at <= end:
            self.tick(at)
            at += every

    def outbox(self, **where) -> list[OutboxMessage]:
        with self.runtime.session_factory() as s:
            stmt = select(OutboxMessage).order_by(OutboxMessage.due_at, OutboxMessage.kind)
            for name, value in where.items():
                stmt = stmt.where(getattr(OutboxMessage, name) == value)
            rows = list(s.scalars(stmt))
            s.expunge_all()
            return rows


def local_times(rows: Iterable[OutboxMessage], tz) -> list[str]:
    return [r.sent_at.astimezone(tz).strftime("%Y-%m-%d %H:%M") for r in rows]
