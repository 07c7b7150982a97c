#!/usr/bin/env python
"""Ingest benchmark of issue 2 (aiohttp load, /health as the anchor); superseded by
bench/ingest.py (issue 20: wrk, three apps). Kept for bench/profile_submission.py.

What one run does:

1. Creates a throw-away PostgreSQL database ``paindiary_bench_<pid>`` on the server of
   ``--server-url`` (dropped at the end), migrates it with ``flask --app app db upgrade``
   and creates an administrator with ``flask --app app admin create``.
2. Starts ``gunicorn -w 2 'app:create_app()'`` on a free loopback port (system clock,
   default argon2 profile, fixed SECRET_KEY) and waits for ``/api/v1/health``.
3. Sets a study up through the API: login, upload of a protocol from ``protocols/`` (its
   key rewritten to be unique to this run), a few participants enrolled, activated and given
   an anchor event over HTTP. The thousands of other participants are written in bulk (see
   ``bulk_participants``).
4. Load: asyncio + aiohttp on loopback, ``--concurrency`` connections, every phase bounded
   by a request count and by ``--phase-seconds``. Rounds alternate the trivial endpoint
   (``GET /api/v1/health``) and diary submissions (``POST /api/v1/me/diary-entries``):
   one first entry per participant for "today" in its zone, plus deliberate retries of
   acknowledged submissions (same body and client_id: must answer 200 with the original).
5. Prints per-round and median figures, the goals of issue 2 as PASS/FAIL, then checks
   that the database holds exactly one diary row per acknowledged client_id and that the
   audit chain verifies.

Steps 1-3 live in bench/_ingest_setup.py, step 4 in bench/_loadgen.py (both imported with
this script's directory on ``sys.path``); the report and the checks of step 5 are here.

Exit status: 0 all goals and checks passed; 1 only performance goals missed; 2 errors or a
failed database/audit check; 3 the set-up failed. ``--quick`` is a ~20 s smoke test (its
performance goals are informative only: it exits 0 when the correctness checks pass).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import re
import signal
import statistics
import subprocess
import sys
import time
import uuid
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from _ingest_setup import (  # noqa: E402
    ADMIN_EMAIL,
    ADMIN_PASSWORD,
    HEALTH,
    SECRET_KEY,  # noqa: F401  (used by bench/profile_submission.py as ingest.SECRET_KEY)
    Gunicorn,
    SetupError,
    api_setup,
    app_env,
    bulk_participants,
    create_database,
    drop_database,
    flask_cli,
)
from _loadgen import (  # noqa: E402
    ENTRIES,
    Load,
    diary_body,  # noqa: F401  (used by bench/profile_submission.py as ingest.diary_body)
    machine_load,
    pct,
    run_load,
)
from sqlalchemy import func, select  # noqa: E402

from diary.db.audit_models import AuditRecord  # noqa: E402
from diary.db.engine import make_engine  # noqa: E402
from diary.db.models import Account, DiaryEntry, Participant, Study  # noqa: E402

GOAL_RATIO = 0.35
GOAL_P99_MS = 50.0


# --------------------------------------------------------------------------- options

def parse_args(argv=None) -> argparse.Namespace:
    ap = argparse.ArgumentParser(
        description="Benchmark diary ingest over HTTP: gunicorn (2 workers) on a fresh "
                    "PostgreSQL database, trivial endpoint vs authenticated submissions.",
        epilog="Exit status: 0 goals and checks passed; 1 only performance goals missed; "
               "2 errors or database/audit check failed; 3 set-up failed.")
    ap.add_argument("--quick", action="store_true",
                    help="small run (~20 s) for a smoke test: 2 rounds of 300 + 200")
    ap.add_argument("--server-url", default="postgresql://postgres@127.0.0.1:5432/postgres",
                    help="maintenance database used to CREATE/DROP the run's database")
    ap.add_argument("--database-url", default=None,
                    help="use this existing database instead of a fresh one (it is migrated, "
                         "not dropped; the run's study has a unique key)")
    ap.add_argument("--keep-database", action="store_true", help="do not drop the database")
    ap.add_argument("--protocol", default=str(ROOT / "protocols/crossover-ketamine-magnesium.yaml"))
    ap.add_argument("--timezone", default="Europe/Paris", help="participants' time zone")
    ap.add_argument("--workers", type=int, default=2, help="gunicorn workers")
    ap.add_argument("--concurrency", type=int, default=16, help="concurrent connections")
    ap.add_argument("--rounds", type=int, default=None, help="rounds (default 5, quick 2)")
    ap.add_argument("--health-requests", type=int, default=None,
                    help="GET /health per round (default 2000, quick 300)")
    ap.add_argument("--submissions", type=int, default=None,
                    help="first entries per round, one participant each (default 2000, quick 200)")
    ap.add_argument("--retry-every", type=int, default=10,
                    help="retry every n-th acknowledged submission (0: none)")
    ap.add_argument("--warmup", type=int, default=None,
                    help="unmeasured warm-up requests per endpoint (default 200, quick 40)")
    ap.add_argument("--api-participants", type=int, default=None,
                    help="participants enrolled+activated over HTTP (argon2: ~0.4 s each; "
                         "default 4, quick 2)")
    ap.add_argument("--phase-seconds", type=float, default=None,
                    help="wall-time limit of one phase (default 120, quick 15)")
    ap.add_argument("--max-seconds", type=float, default=None,
                    help="wall-time limit of the whole load (default 900, quick 60)")
    a = ap.parse_args(argv)
    q = a.quick
    for name, full, small in [("rounds", 5, 2), ("health_requests", 2000, 300),
                              ("submissions", 2000, 200), ("warmup", 200, 40),
                              ("api_participants", 4, 2), ("phase_seconds", 120.0, 15.0),
                              ("max_seconds", 900.0, 60.0)]:
        if getattr(a, name) is None:
            setattr(a, name, small if q else full)
    if a.api_participants < 1:
        ap.error("--api-participants must be at least 1")
    return a


# --------------------------------------------------------------------------- report

def report(a, rounds, load: Load) -> tuple[bool, bool]:
    def med(xs):
        return statistics.median(xs) if xs else float("nan")

    hs, ds = [h for h, _ in rounds], [d for _, d in rounds]
    h_rate, d_rate = med([h.rate for h in hs]), med([d.rate for d in ds])
    h_p50, h_p99 = med([pct(h.all_latencies(), 50) for h in hs]), \
        med([pct(h.all_latencies(), 99) for h in hs])
    d_p50, d_p99 = med([pct(d.all_latencies(), 50) for d in ds]), \
        med([pct(d.all_latencies(), 99) for d in ds])
    f_p50 = med([pct(d.latencies["first"], 50) for d in ds])
    f_p99 = med([pct(d.latencies["first"], 99) for d in ds])
    r_p50 = med([pct(d.latencies["retry"], 50) for d in ds])
    r_p99 = med([pct(d.latencies["retry"], 99) for d in ds])
    h_err, d_err = sum(len(h.errors) for h in hs), sum(len(d.errors) for d in ds)
    n_first = sum(len(d.latencies["first"]) for d in ds)
    n_retry = sum(len(d.latencies["retry"]) for d in ds)
    ratio = d_rate / h_rate if h_rate else float("nan")
    limited = [p.name for p in hs + ds if p.timed_out]

    def cpu_ms(phases, who):
        n = sum(p.sent for p in phases)
        return 1000 * sum(p.cpu[who] for p in phases) / n if n else float("nan")

    def busy(phases, who=None):
        wall = sum(p.seconds for p in phases)
        used = sum(sum(v for k, v in p.cpu.items() if who in (None, k)) for p in phases)
        return 100 * used / (wall * os.cpu_count()) if wall else float("nan")

    print(f"\nmedians of {len(rounds)} rounds ({a.concurrency} connections, gunicorn "
          f"{a.workers} sync workers):")
    print(f"  trivial   GET  {HEALTH}: {h_rate:8.1f} req/s  p50 {h_p50:6.1f} ms  "
          f"p99 {h_p99:6.1f} ms  errors {h_err}")
    print(f"  submit    POST {ENTRIES}: {d_rate:8.1f} req/s  p50 {d_p50:6.1f} ms  "
          f"p99 {d_p99:6.1f} ms  errors {d_err}")
    print(f"    first entries (201): {n_first:6d}  p50 {f_p50:6.1f} ms  p99 {f_p99:6.1f} ms")
    print(f"    retries       (200): {n_retry:6d}  p50 {r_p50:6.1f} ms  p99 {r_p99:6.1f} ms  "
          f"(same entry returned: {load.retries_ok})")
    print(f"  ratio submissions/s / trivial/s = {ratio:.3f}")
    for p_ in hs + ds:
        for kind, status, detail in p_.errors[:3]:
            print(f"    error in {p_.name}: {kind} {status} {detail}")
    print(f"  CPU per request (ms)  trivial: app {cpu_ms(hs, 'app'):.2f}, postgres "
          f"{cpu_ms(hs, 'postgres'):.2f}, load generator {cpu_ms(hs, 'loadgen'):.2f}; "
          f"kernel irq {cpu_ms(hs, 'irq'):.2f}; machine {busy(hs):.0f}% busy, "
          f"{busy(hs, 'other'):.0f}% other processes")
    print(f"                        submit:  app {cpu_ms(ds, 'app'):.2f}, postgres "
          f"{cpu_ms(ds, 'postgres'):.2f}, load generator {cpu_ms(ds, 'loadgen'):.2f}; "
          f"kernel irq {cpu_ms(ds, 'irq'):.2f}; machine {busy(ds):.0f}% busy, "
          f"{busy(ds, 'other'):.0f}% other processes")
    print(f"  NOTE: {os.cpu_count()} CPU cores shared by the load generator (one Python "
          "process), gunicorn and PostgreSQL (and any 'other processes' above): figures are "
          "lower bounds for a dedicated server; latencies are closed-loop, so they include "
          f"queueing of {a.concurrency} connections for {a.workers} sync workers.")
    print(f"  NOTE: closed loop, so latency ~= connections / throughput: p99 <= "
          f"{GOAL_P99_MS:.0f} ms with {a.concurrency} connections needs >= "
          f"{a.concurrency / GOAL_P99_MS * 1000:.0f} submissions/s.")
    if limited:
        print(f"  NOTE: phases stopped by the time limit: {', '.join(limited)}")
    goals = [(f"ratio >= {GOAL_RATIO}", ratio >= GOAL_RATIO, f"{ratio:.3f}"),
             (f"submit p99 <= {GOAL_P99_MS:.0f} ms", d_p99 <= GOAL_P99_MS, f"{d_p99:.1f} ms"),
             ("0 errors", h_err + d_err == 0, f"{h_err + d_err}")]
    print("goals (issue 2):")
    for label, ok, value in goals:
        print(f"  {'PASS' if ok else 'FAIL'}  {label:24s} measured {value}")
    perf_ok = goals[0][1] and goals[1][1]
    return perf_ok and (h_err + d_err == 0), h_err + d_err == 0


def check_database(database_url: str, study_key: str, load: Load) -> bool:
    engine = make_engine(database_url)
    try:
        with engine.connect() as conn:
            study_id = conn.scalar(select(Study.id).where(Study.key == study_key))
            rows = conn.execute(
                select(DiaryEntry.id, DiaryEntry.client_id, DiaryEntry.is_current,
                       DiaryEntry.version)
                .join(Participant, Participant.id == DiaryEntry.participant_id)
                .where(Participant.study_id == study_id)).all()
            creates = conn.scalar(select(func.count()).select_from(AuditRecord).where(
                AuditRecord.action == "diary_entry.create",
                AuditRecord.chain.in_(select(func.concat("participant:", Participant.id))
                                      .where(Participant.study_id == study_id))))
    finally:
        engine.dispose()
    acked = load.acked
    by_client = {}
    for r in rows:
        by_client.setdefault(r.client_id, []).append(r)
    dupes = sum(1 for v in by_client.values() if len(v) > 1)
    unacked = [c for c in by_client if c not in acked]
    missing = [c for c in acked if c not in by_client]
    wrong_id = [c for c, (eid, _) in acked.items()
                if c in by_client and by_client[c][0].id != eid]
    current = sum(1 for r in rows if r.is_current and r.version == 1)
    ok = (len(rows) == len(acked) == len(by_client) == current == creates
          and not dupes and not unacked and not missing and not wrong_id)
    print(f"database check: {len(acked)} acknowledged client_ids (incl. warm-up), "
          f"{load.retries_ok} acknowledged retries; diary rows {len(rows)}, distinct client_ids "
          f"{len(by_client)}, current v1 rows {current}, diary_entry.create audit records "
          f"{creates}; duplicates {dupes}, unacknowledged rows {len(unacked)}, missing "
          f"{len(missing)}, id mismatches {len(wrong_id)}: {'PASS' if ok else 'FAIL'}")
    return ok


# --------------------------------------------------------------------------- main

def _term(signum, _frame):
    raise SystemExit(128 + signum)


def main(argv=None) -> int:
    a = parse_args(argv)
    signal.signal(signal.SIGTERM, _term)
    started = time.monotonic()
    gunicorn = db_name = None
    try:
        try:
            source = Path(a.protocol).read_text("utf-8")
        except OSError as exc:
            raise SetupError(f"cannot read the protocol: {exc}") from None
        key = f"bench-{os.getpid()}-{uuid.uuid4().hex[:6]}"
        source, n = re.subn(r"(?m)^key:.*$", f"key: {key}", source, count=1)
        if not n:
            raise SetupError(f"{a.protocol}: no top-level 'key:' line")
        if a.database_url:
            url = a.database_url
        else:
            db_name, url = create_database(a.server_url)
        print(f"paindiary ingest benchmark ({'quick' if a.quick else 'full'}): "
              f"{os.cpu_count()} cores, database {db_name or url}", flush=True)
        t = time.monotonic()
        flask_cli(url, "db", "upgrade")
        flask_cli(url, "admin", "create", "--email", ADMIN_EMAIL, "--password", ADMIN_PASSWORD)
        gunicorn = Gunicorn(url, a.workers)
        gunicorn.wait_ready()
        setup = asyncio.run(api_setup(gunicorn.base, source, a.api_participants, a.timezone))
        t_api = time.monotonic() - t
        needed = a.warmup + a.rounds * a.submissions
        bulk_n = max(0, needed - len(setup["tokens"]))
        engine = make_engine(url)
        try:
            with engine.connect() as conn:
                study_id = conn.scalar(select(Study.id).where(Study.key == setup["key"]))
                admin_id = conn.scalar(select(Account.id).where(Account.email == ADMIN_EMAIL))
            t = time.monotonic()
            tokens = setup["tokens"] + bulk_participants(engine, study_id, admin_id,
                                                         setup["template"], bulk_n,
                                                         datetime.now(UTC))
            t_bulk = time.monotonic() - t
        finally:
            engine.dispose()
        print(f"set-up: migrate + admin + gunicorn + study + {len(setup['tokens'])} participants "
              f"via the API {t_api:.1f} s; {bulk_n} participants in bulk {t_bulk:.1f} s; "
              f"study {setup['key']}, zone {a.timezone}", flush=True)
        idle = machine_load()
        print(f"machine before the load: {idle:.0f}% of {os.cpu_count()} cores busy"
              f"{' -- NOT QUIET, expect noisy figures' if idle > 15 else ''}", flush=True)
        print(f"load: {a.rounds} rounds x ({a.health_requests} GET {HEALTH}, "
              f"{a.submissions} first entries + a retry of every {a.retry_every}th), "
              f"{a.concurrency} connections, <= {a.phase_seconds:.0f} s per phase", flush=True)
        rounds, load = asyncio.run(run_load(a, gunicorn.base, tokens, gunicorn))
        if not rounds:
            raise SetupError("no round ran within --max-seconds")
        all_ok, no_errors = report(a, rounds, load)
        gunicorn.stop()
        db_ok = check_database(url, setup["key"], load)
        verify = subprocess.run([str(Path(sys.executable).with_name("flask")), "--app", "app",
                                 "audit", "verify"], cwd=ROOT, env=app_env(url),
                                capture_output=True, text=True, timeout=600)
        audit_ok = verify.returncode == 0
        print(f"audit verify: {(verify.stdout + verify.stderr).strip()}: "
              f"{'PASS' if audit_ok else 'FAIL'}")
        print(f"total {time.monotonic() - started:.0f} s")
        if not (no_errors and db_ok and audit_ok):
            return 2
        return 0 if all_ok or a.quick else 1
    except SetupError as exc:
        print(f"set-up failed: {exc}", file=sys.stderr)
        return 3
    finally:
        if gunicorn is not None:
            gunicorn.stop()
        if db_name and not a.keep_database:
            drop_database(a.server_url, db_name)
        elif db_name:
            print(f"kept database {db_name}")


if __name__ == "__main__":
    sys.exit(main())
