#!/usr/bin/env python
"""Medication intakes on PostgreSQL: the fast path against the general one (issue 20).

Both apps run in this process on one fresh database, one with ``FAST_INGEST`` on and one
with it off, and post the same kind of new intake (10 mg oral oxycodone, rescue) for fresh
participants through their WSGI stack (Flask's test client: no server, no network), in
interleaved rounds. Prints the median CPU and wall time per request of each, their ratio,
and checks that every answer was a 201 and that ``audit verify`` passes.

    python bench/intakes.py [--server-url postgresql://postgres@127.0.0.1:5432/postgres]
                            [--requests 500] [--rounds 3]

An in-process figure, not a load test: bench/ingest.py measures the diary endpoint under
gunicorn and wrk; intakes are far rarer than diary entries.
"""

from __future__ import annotations

import argparse
import io
import os
import re
import statistics
import sys
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _ingest_setup import (  # noqa: E402
    ADMIN_EMAIL,
    ADMIN_PASSWORD,
    ROOT,
    SECRET_KEY,
    bulk_participants,
    create_database,
    drop_database,
    flask_cli,
)
from sqlalchemy import select  # noqa: E402

from app import create_app  # noqa: E402
from diary.db.models import Account, Study  # noqa: E402

PROTOCOL = ROOT / "protocols" / "crossover-ketamine-magnesium.yaml"


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--server-url", default="postgresql://postgres@127.0.0.1:5432/postgres")
    ap.add_argument("--requests", type=int, default=500, help="per app and round")
    ap.add_argument("--rounds", type=int, default=3)
    a = ap.parse_args()
    name, url = create_database(a.server_url)
    try:
        return run(a, url)
    finally:
        drop_database(a.server_url, name)


def run(a, url: str) -> int:
    flask_cli(url, "db", "upgrade")
    flask_cli(url, "admin", "create", "--email", ADMIN_EMAIL, "--password", ADMIN_PASSWORD)
    config = {"DATABASE_URL": url, "SECRET_KEY": SECRET_KEY}
    apps = {"fast": create_app(config), "portable": create_app({**config,
                                                                "FAST_INGEST": False})}
    tokens = _participants(apps["portable"], 2 * a.rounds * a.requests)
    times: dict[str, list[tuple[float, float]]] = {n: [] for n in apps}
    statuses: dict[int, int] = {}
    for r in range(a.rounds):
        for name in (["fast", "portable"] if r % 2 == 0 else ["portable", "fast"]):
            batch = [tokens.pop() for _ in range(a.requests)]
            times[name].append(_round(apps[name], batch, statuses))
    for name, runs in times.items():
        cpu, wall = (statistics.median(x) for x in zip(*runs, strict=True))
        print(f"{name:9s} CPU {cpu:.2f} ms  wall {wall:.2f} ms per intake "
              f"(rounds: {', '.join(f'{c:.2f}' for c, _ in runs)} ms CPU)")
    fast, portable = (statistics.median(c for c, _ in times[n]) for n in ("fast", "portable"))
    print(f"portable / fast CPU: {portable / fast:.1f}; answers {statuses}")
    verify = flask_cli(url, "audit", "verify")
    print(verify.splitlines()[-1])
    return 0 if set(statuses) == {201} and "intact" in verify else 1


def _participants(app, n: int) -> list[str]:
    """One study (the crossover, its sequence given at enrolment) and ``n`` participants
    with device tokens, enrolled in bulk like bench/ingest.py does."""
    c = app.test_client()
    login = c.post("/api/v1/auth/login", json={"email": ADMIN_EMAIL,
                                                "password": ADMIN_PASSWORD}).get_json()
    auth = {"Authorization": f"Bearer {login['token']}"}
    source = re.sub(r"(?m)^randomisation:.*$", "", PROTOCOL.read_text())
    study = c.post("/api/v1/studies", headers=auth, data={
        "protocol": (io.BytesIO(source.encode()), "protocol.yaml")}).get_json()
    enrolled = c.post(f"/api/v1/studies/{study['key']}/participants", headers=auth, json={
        "subject_id": "API-000", "site": study["sites"][0],
        "sequence": next(iter(study["sequences"])), "timezone": "Europe/Paris"}).get_json()
    template = {k: enrolled[k] for k in ("site", "arm", "sequence", "timezone", "language",
                                         "reminder_time")}
    runtime = app.extensions["paindiary"]
    with runtime.engine.connect() as conn:
        study_id = conn.scalar(select(Study.id).where(Study.key == study["key"]))
        admin_id = conn.scalar(select(Account.id).where(Account.email == ADMIN_EMAIL))
    return bulk_participants(runtime.engine, study_id, admin_id, template, n,
                             datetime.now(UTC) - timedelta(days=1))


def _round(app, tokens: list[str], statuses: dict) -> tuple[float, float]:
    """CPU and wall milliseconds per intake over one batch of fresh participants."""
    c = app.test_client()
    taken = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    cpu0, wall0 = os.times(), time.perf_counter()
    for token in tokens:
        r = c.post("/api/v1/me/medications", headers={"Authorization": f"Bearer {token}"},
                   json={"drug": "oxycodone", "dose": 10, "unit": "mg", "route": "oral",
                         "rescue": True, "taken_at": taken, "client_id": str(uuid.uuid4())})
        statuses[r.status_code] = statuses.get(r.status_code, 0) + 1
    cpu1, n = os.times(), len(tokens)
    cpu = (cpu1.user + cpu1.system - cpu0.user - cpu0.system) * 1000 / n
    return cpu, (time.perf_counter() - wall0) * 1000 / n


if __name__ == "__main__":
    sys.exit(main())
