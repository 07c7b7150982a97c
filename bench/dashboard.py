#!/usr/bin/env python
"""Dashboard page benchmark: a 500-participant crossover study on SQLite (issue 15).

Set-up (not measured): a fresh SQLite file in a temporary directory, migrated; the study
from ``protocols/crossover-ketamine-magnesium.yaml`` (sites CFD01 and LYO02); 500
participants with three infusions 42 days apart and their daily diaries
(``bench/_endpoint_data.py``: ~5 % of days missing, 1 % corrected); the clock in the
middle of the study (everyone enrolled, most in period 2 or 3); 14 days of evening SMS
reminders per participant in the outbox (sent, 92 % delivered, 3 % failed with a carrier
error, the rest only sent) and 20 open missed-days alerts.

Measured: the full request through Flask's test client as a signed-in administrator
(session cookie, token check, services, template), the median of ``--runs`` runs after
one warm-up, for the study overview (``/studies/<key>``: completion by site for all 500,
28-day trend, open alerts, the week's reminder outcomes), the participants list (500
rows), and one participant's page. Goal: <= 200 ms per page. Exit status 1 when a page
misses it.
"""

from __future__ import annotations

import argparse
import os
import re
import statistics
import sys
import tempfile
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT), str(ROOT / "bench")]

PROTOCOL = ROOT / "protocols" / "crossover-ketamine-magnesium.yaml"
GOAL_MS = 200.0
PASSWORD = "bench password long enough"


def _outbox(engine, study_id: int, now: datetime, *, seed: int = 1) -> int:
    """Two weeks of evening diary reminders per participant, plus 20 open alerts."""
    import random

    from sqlalchemy import insert, select

    from diary.db.messaging import OutboxMessage
    from diary.db.models import Participant

    rng = random.Random(seed)
    with engine.begin() as conn:
        people = conn.execute(select(Participant.id, Participant.subject_id)
                              .where(Participant.study_id == study_id)).all()
        rows = []
        for pid, _subject in people:
            for back in range(1, 15):
                due = (now - timedelta(days=back)).replace(hour=19, minute=0, second=0,
                                                           microsecond=0)
                sent = due + timedelta(seconds=rng.randint(5, 90))
                draw = rng.random()
                state = "delivered" if draw < 0.92 else "failed" if draw < 0.95 else "sent"
                rows.append({
                    "id": str(uuid.uuid4()), "key": uuid.uuid4().hex, "study_id": study_id,
                    "participant_id": pid, "channel": "sms", "audience": "participant",
                    "kind": "diary", "target": (due.date()).isoformat(),
                    "reminder_attempt": 0, "body": "Your pain today, 0-10? Reply with a number.",
                    "planned_at": due - timedelta(days=1), "due_at": due, "expires_at": None,
                    "state": state, "send_attempts": 1, "next_attempt_at": None,
                    "outcome_unknown": False, "sent_at": sent,
                    "delivered_at": sent + timedelta(seconds=20) if state == "delivered" else None,
                    "failed_at": sent + timedelta(seconds=30) if state == "failed" else None,
                    "last_error": "Unreachable destination handset" if state == "failed" else None,
                    "last_error_code": 30003 if state == "failed" else None})
        for pid, subject in people[:20]:
            rows.append({
                "id": str(uuid.uuid4()), "key": uuid.uuid4().hex, "study_id": study_id,
                "participant_id": pid, "channel": "alert", "audience": "coordinator",
                "kind": "coordinator_missed_days", "target": now.date().isoformat(),
                "reminder_attempt": 0, "body": f"{subject}: 3 diary days missed in a row.",
                "planned_at": now - timedelta(hours=3), "due_at": now - timedelta(hours=3),
                "expires_at": None, "state": "delivered", "send_attempts": 0,
                "next_attempt_at": None, "outcome_unknown": False, "sent_at": None,
                "delivered_at": now - timedelta(hours=3), "failed_at": None,
                "last_error": None, "last_error_code": None})
        conn.execute(insert(OutboxMessage), rows)
    return len(rows)


def set_up(directory: Path, n: int):
    from _endpoint_data import FIRST_INFUSION, RECRUITMENT_DAYS, populate

    from app import create_app
    from diary.clock import FrozenClock
    from diary.db.migrate import upgrade
    from diary.services.principals import cli_principal
    from diary.services.studies import create_study

    # Mid-study: the last recruit's first infusion plus 50 days (period 2 of 3).
    now = datetime.combine(FIRST_INFUSION + timedelta(days=RECRUITMENT_DAYS + 50),
                           datetime.min.time(), UTC) + timedelta(hours=15)
    clock = FrozenClock(now)
    app = create_app({"DATABASE_URL": f"sqlite:///{directory / 'dashboard.sqlite3'}",
                      "SECRET_KEY": "bench-dashboard-" + "x" * 32, "ARGON2_PROFILE": "cheap",
                      "CLOCK": clock, "WEB_IDLE_MINUTES": 10_000})
    rt = app.extensions["paindiary"]
    upgrade(rt.engine)
    with rt.session_factory() as s:
        study, *_ = create_study(s, cli_principal(), source=PROTOCOL.read_text("utf-8"),
                                 now=datetime(2024, 12, 1, 9, tzinfo=UTC))
        key, study_id = study.key, study.id
    pop = populate(rt.engine, study_id, n)
    messages = _outbox(rt.engine, study_id, now)
    result = app.test_cli_runner().invoke(
        args=["admin", "create", "--email", "bench@site.org", "--password", PASSWORD])
    assert result.exit_code == 0, result.output
    print(f"set-up: {n} participants, {pop.events} events, {pop.current_entries:,} current "
          f"entries, {messages:,} outbox messages; now = {now:%Y-%m-%d %H:%M} UTC", flush=True)
    return app, key


def signed_in_client(app):
    client = app.test_client()
    page = client.get("/sign-in").get_data(as_text=True)
    token = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
    r = client.post("/sign-in", data={"email": "bench@site.org", "password": PASSWORD,
                                      "csrf_token": token})
    assert r.status_code == 302, r.status_code
    return client


def measure(client, path: str, runs: int) -> tuple[float, float, int]:
    """Median wall and CPU milliseconds of a request (SQLite runs in this process, so the
    CPU time is the request's whole work; on a busy machine wall time adds the waits)."""
    r = client.get(path)  # warm-up (parsed protocol, templates compiled)
    assert r.status_code == 200, (path, r.status_code, r.get_data(as_text=True)[:500])
    wall, cpu = [], []
    for _ in range(runs):
        t, c = time.perf_counter(), time.process_time()
        r = client.get(path)
        wall.append((time.perf_counter() - t) * 1000)
        cpu.append((time.process_time() - c) * 1000)
        assert r.status_code == 200
    return statistics.median(wall), statistics.median(cpu), len(r.data)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--participants", type=int, default=500)
    parser.add_argument("--runs", type=int, default=7)
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as tmp:
        app, key = set_up(Path(tmp), args.participants)
        client = signed_in_client(app)
        subject = "CFD01-00001"
        pages = {"study overview": f"/studies/{key}",
                 "participants list": f"/studies/{key}/participants",
                 "participant page": f"/studies/{key}/participants/{subject}"}
        missed = []
        load = os.getloadavg()[0]
        print(f"median of {args.runs} runs (after one warm-up), goal <= {GOAL_MS:.0f} ms of "
              f"wall time; load average {load:.1f} on {os.cpu_count()} CPUs:")
        for name, path in pages.items():
            wall, cpu, size = measure(client, path, args.runs)
            verdict = "ok" if wall <= GOAL_MS else "MISSED"
            print(f"  {name:18s} wall {wall:6.1f} ms  cpu {cpu:6.1f} ms  "
                  f"({size / 1024:.0f} KiB)  {verdict}  {path}")
            if wall > GOAL_MS:
                missed.append(name)
        if missed and load > (os.cpu_count() or 1):
            print("  (the machine is busy: wall times include waiting for a CPU; the CPU "
                  "times are what an idle machine would take)")
        app.extensions["paindiary"].engine.dispose()
    return 1 if missed else 0


if __name__ == "__main__":
    sys.exit(main())
