"""``flask --app app scheduler --once`` as cron runs it: a new process each time, without
Twilio credentials (the console transport), against one database. Before each run a new
participant is enrolled whose diary reminder is due at the real "now", so every run
really sends a message (the CLI reads the system clock)."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select

from diary.clock import FrozenClock
from diary.db.messaging import OutboxMessage

ROOT = Path(__file__).resolve().parents[2]
FLASK = Path(sys.executable).with_name("flask")
STUDY = "cron-console"
SECRET_KEY = "test-secret-key-" + "x" * 32  # the app fixture's: phones decrypt in the CLI
RUNS = 10
SENT_LINE = re.compile(r"paindiary\.sms SMS (CONSOLE-\S+) to ")


def _zone_in_daytime(now: datetime) -> str:
    """A zone where ``now`` is between 02:00 and 22:00, so "a minute ago" is today there
    whatever the hour of the test run."""
    for name in ("Europe/Paris", "Asia/Tokyo", "America/New_York"):
        if 2 <= now.astimezone(ZoneInfo(name)).hour < 22:
            return name
    raise AssertionError("unreachable: the three zones cover every hour")


def _protocol(zone: str) -> str:
    return f"""
key: {STUDY}
title: Cron on the console
timezone: {zone}
design: parallel
sites: [PAR]
arms: [{{key: active}}, {{key: placebo}}]
daily_diary: {{anchor: enrolment, from_day: 0, to_day: 28}}
reminders: {{daily_time: "20:00"}}
"""


@pytest.fixture
def clock():
    """The app's clock at the real instant: the CLI in the subprocess uses the system clock."""
    return FrozenClock(datetime.now(UTC))


def _scheduler_env(database_url: str, instance: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items()
           if not k.startswith("TWILIO_") and k not in ("PUBLIC_BASE_URL", "DATABASE_URL")}
    env.update(DATABASE_URL=database_url, PAINDIARY_INSTANCE=str(instance),
               SECRET_KEY=SECRET_KEY, SMS_RATE="0", PYTHONUNBUFFERED="1")
    return env


def _outbox(app) -> list[OutboxMessage]:
    with app.extensions["paindiary"].session_factory() as s:
        rows = list(s.scalars(select(OutboxMessage).order_by(OutboxMessage.due_at)))
        s.expunge_all()
        return rows


def test_ten_cron_runs_without_twilio_each_exit_0_and_send_each_message_once(
        api, admin, app, clock, database_url, tmp_path):
    zone = _zone_in_daytime(datetime.now(UTC))
    api.create_study(admin, _protocol(zone))
    env = _scheduler_env(database_url, tmp_path / "instance")
    logged: list[str] = []
    for run in range(RUNS):
        now = datetime.now(UTC)
        clock.set(now)
        due = (now.astimezone(ZoneInfo(zone)) - timedelta(minutes=1)).strftime("%H:%M")
        api.enrol(admin, STUDY, subject_id=f"C{run:03d}", site="PAR", arm="active",
                  phone=f"+3361234{run:04d}", reminder_time=due)

        done = subprocess.run([str(FLASK), "--app", "app", "scheduler", "--once"], cwd=ROOT,
                              env=env, capture_output=True, text=True, timeout=120)

        assert done.returncode == 0, f"run {run + 1}:\n{done.stdout}\n{done.stderr}"
        logged += SENT_LINE.findall(done.stderr)
        rows = _outbox(app)
        assert [r.state for r in rows] == ["sent"] * (run + 1), f"run {run + 1}: {rows}"
    sids = [r.provider_sid for r in rows]
    assert len(set(sids)) == RUNS and all(s.startswith("CONSOLE-") for s in sids)
    assert sorted(logged) == sorted(sids)  # each message logged (sent) once, none twice
