#!/usr/bin/env python
"""Where the time of one diary submission goes (scratch companion of bench/ingest.py).

Runs the app in-process (Flask test client, one thread, no gunicorn, no network to the
app) on a fresh PostgreSQL database set up like ingest.py does, then:

1. times N submissions and N ``/health`` requests (wall time per request);
2. counts SQL statements per submission and their time, grouped by statement, with
   SQLAlchemy ``before/after_cursor_execute`` events (and the connection-pool checkouts);
3. times segments of the request (authentication, protocol, rules, audit, flush, commit)
   by wrapping those functions in this process (the app's files are not touched);
4. runs cProfile over N more submissions: own time by package, then the top functions.

    python bench/profile_submission.py [-n 300] [--top 25]
"""

from __future__ import annotations

import argparse
import cProfile
import io
import pstats
import re
import sys
import time
from collections import Counter, defaultdict
from datetime import UTC, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

sys.path.insert(0, str(Path(__file__).resolve().parent))
import ingest_aiohttp as ingest  # noqa: E402
import psycopg  # noqa: E402
from _profiling import Segments, package_of  # noqa: E402
from psycopg._connection_base import BaseConnection  # noqa: E402
from sqlalchemy import event  # noqa: E402
from sqlalchemy.orm import Session  # noqa: E402

import diary.api.context as ctx  # noqa: E402
import diary.api.me as me_api  # noqa: E402
from app import create_app  # noqa: E402
from diary import audit  # noqa: E402
from diary.services import accounts, enrolment, entries, studies  # noqa: E402
from diary.services.principals import cli_principal  # noqa: E402


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("-n", type=int, default=300, help="submissions per measurement")
    ap.add_argument("--top", type=int, default=25)
    ap.add_argument("--server-url", default="postgresql://postgres@127.0.0.1:5432/postgres")
    a = ap.parse_args()
    name, url = ingest.create_database(a.server_url)
    try:
        return run(a, url)
    finally:
        ingest.drop_database(a.server_url, name)


def run(a, url: str) -> int:
    from diary.db.migrate import upgrade

    app = create_app({"DATABASE_URL": url, "SECRET_KEY": ingest.SECRET_KEY})
    rt = app.extensions["paindiary"]
    upgrade(rt.engine)
    tz_name = "Europe/Paris"
    source = Path(ingest.ROOT / "protocols/crossover-ketamine-magnesium.yaml").read_text()
    now = datetime.now(UTC)
    with rt.session_factory() as s:
        admin = accounts.create_account(s, cli_principal(), email=ingest.ADMIN_EMAIL,
                                        password=ingest.ADMIN_PASSWORD, is_superuser=True,
                                        now=now, ph=rt.hasher)
        study, *_ = studies.create_study(s, cli_principal(), source=source, now=now)
        p, code = enrolment.enrol(s, cli_principal(), study.key, enrolment.Enrolment(
            subject_id="T1", site="CFD01", sequence="S1", timezone=tz_name), now=now,
            ph=rt.hasher, vault=rt.vault, code_ttl=rt.config["ACTIVATION_CODE_TTL"])
        template = {"site": p.site, "arm": p.arm, "sequence": p.sequence,
                    "timezone": p.timezone, "language": p.language,
                    "reminder_time": p.reminder_time}
        study_id, admin_id = study.id, admin.id
    tokens = ingest.bulk_participants(rt.engine, study_id, admin_id, template, 5 * a.n + 60,
                                      now)
    tz = ZoneInfo(tz_name)
    client = app.test_client()
    it = iter(tokens)

    def submit():
        tok = next(it)
        r = client.post(ingest.ENTRIES, json=ingest.diary_body(tz, 5),
                        headers={"Authorization": f"Bearer {tok}"})
        assert r.status_code == 201, r.json

    for _ in range(50):  # warm-up: caches, pool
        submit()
        client.get(ingest.HEALTH)

    # 1. wall time per request
    t = time.perf_counter()
    for _ in range(a.n):
        client.get(ingest.HEALTH)
    health_ms = (time.perf_counter() - t) / a.n * 1000
    t = time.perf_counter()
    for _ in range(a.n):
        submit()
    submit_ms = (time.perf_counter() - t) / a.n * 1000
    print(f"in-process, 1 thread: GET /health {health_ms:.2f} ms/request, "
          f"POST diary-entries {submit_ms:.2f} ms/request")

    # 2. SQL statements per submission
    stats: dict[str, list[float]] = defaultdict(list)
    checkouts = Counter()
    started = {}

    @event.listens_for(rt.engine, "before_cursor_execute")
    def _before(conn, cursor, statement, params, context, executemany):
        started[id(cursor)] = time.perf_counter()

    @event.listens_for(rt.engine, "after_cursor_execute")
    def _after(conn, cursor, statement, params, context, executemany):
        key = re.sub(r"\s+", " ", statement)[:110]
        stats[key].append(time.perf_counter() - started.pop(id(cursor)))

    @event.listens_for(rt.engine.pool, "checkout")
    def _checkout(*_):
        checkouts["checkout"] += 1

    # Round trips as psycopg sees them: statements (with the pool's pre-ping "SELECT 1",
    # which bypasses SQLAlchemy's cursor events) and BEGIN/COMMIT/ROLLBACK commands.
    trips = Counter()
    raw_execute, raw_command = psycopg.Cursor.execute, BaseConnection._exec_command

    def counting_execute(self, query, *args, **kwargs):
        trips["statement " + str(query).split()[0].upper()] += 1
        return raw_execute(self, query, *args, **kwargs)

    def counting_command(self, command, *args, **kwargs):
        name = command.decode() if isinstance(command, bytes) else str(command)
        trips["command " + name.split()[0].upper()] += 1
        return raw_command(self, command, *args, **kwargs)

    psycopg.Cursor.execute, BaseConnection._exec_command = counting_execute, counting_command
    t = time.perf_counter()
    for _ in range(a.n):
        submit()
    wall = time.perf_counter() - t
    psycopg.Cursor.execute, BaseConnection._exec_command = raw_execute, raw_command
    print("round trips per submission: " + ", ".join(
        f"{k} {v / a.n:.1f}" for k, v in sorted(trips.items())) +
        f" = {sum(trips.values()) / a.n:.1f}")
    event.remove(rt.engine, "before_cursor_execute", _before)
    event.remove(rt.engine, "after_cursor_execute", _after)
    total_sql = sum(sum(v) for v in stats.values())
    n_sql = sum(len(v) for v in stats.values())
    print(f"\nSQL per submission: {n_sql / a.n:.1f} statements (+ pool pre-ping), "
          f"{total_sql / a.n * 1000:.2f} ms of {wall / a.n * 1000:.2f} ms wall "
          f"({100 * total_sql / wall:.0f}%), pool checkouts {checkouts['checkout'] / a.n:.1f}")
    for key, v in sorted(stats.items(), key=lambda kv: -sum(kv[1])):
        print(f"  {len(v) / a.n:4.1f}x {sum(v) / a.n * 1000:6.3f} ms  {key}")

    # 3. the request in segments (timers wrapped around app functions in this process)
    seg = Segments()
    seg.wrap(ctx, "authenticate", "authenticate (token + participant)")
    seg.wrap(me_api, "participant_of", "participant_of (participant again)")
    seg.wrap(entries, "protocol_for", "protocol_for (version row + cached parse)")
    seg.wrap(entries, "_replay", "_replay (client_id lookup)")
    seg.wrap(entries, "check_entry_rules", "check_entry_rules")
    seg.wrap(audit, "append", "audit.append (head upsert + lock + record)")
    seg.wrap(Session, "flush", "session.flush (INSERT diary_entries, ...)")
    seg.wrap(Session, "commit", "session.commit (audit INSERT, head UPDATE, COMMIT)")
    seg.wrap(entries, "record_diary_entry", "record_diary_entry (all)")
    t = time.perf_counter()
    for _ in range(a.n):
        submit()
    wall = time.perf_counter() - t
    seg.unwrap()
    print(f"\nsegments of one submission (in-process wall {wall / a.n * 1000:.2f} ms; nested "
          "segments overlap):")
    for label, total in seg.totals.items():
        print(f"  {total / a.n * 1000:6.2f} ms  {label}")

    # 4. cProfile, own time summed by package
    prof = cProfile.Profile()
    prof.enable()
    for _ in range(a.n):
        submit()
    prof.disable()
    by_pkg = Counter()
    for (filename, _, _), (_, _, tt, _, _) in pstats.Stats(prof).stats.items():
        by_pkg[package_of(filename)] += tt
    total = sum(by_pkg.values())
    print(f"\ncProfile of {a.n} submissions: own time by package "
          f"({total / a.n * 1000:.2f} ms per request under the profiler)")
    for pkg, tt in by_pkg.most_common(14):
        print(f"  {100 * tt / total:5.1f}%  {pkg}")
    out = io.StringIO()
    pstats.Stats(prof, stream=out).sort_stats("tottime").print_stats(a.top)
    print(f"\ntop {a.top} functions by own time:")
    print("\n".join(line for line in out.getvalue().splitlines()
                    if line.strip() and not line.startswith(("   Ordered", "   List"))))
    rt.engine.dispose()
    return 0


if __name__ == "__main__":
    sys.exit(main())
