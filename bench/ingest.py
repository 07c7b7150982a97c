#!/usr/bin/env python
"""Ingest benchmark (issue 20): the diary endpoint against a hello-world app and a bare insert.

One run, on a throw-away PostgreSQL database (``paindiary_bench_<pid>``, dropped at the end):

1. migrates it, creates an administrator, sets a study up over the API and writes
   ``--participants`` activated participants in bulk (bench/_ingest_setup.py);
2. starts three apps under identical gunicorn settings (``--workers``, ``--worker-class``,
   ``--threads``): ``hello`` (a fixed JSON answer), ``bare`` (plain psycopg insert, one
   commit; bench/_wsgi_apps.py) and ``real`` (``app:create_app()``, whose
   ``POST /api/v1/me/diary-entries`` takes the PostgreSQL fast path); with ``--portable``
   also ``portable`` (the same app with ``FAST_INGEST=0``);
3. drives each with wrk (``--connections`` connections, ``--wrk-threads`` threads,
   ``--seconds`` per phase) sending the same request to all: a first entry for today with
   a fresh participant token and client_id (bench/wrk/entries.lua); the apps' phases are
   interleaved over ``--rounds`` rounds (the order rotates) and the medians printed, with
   the machine's load average before each phase (other work on the machine skews figures);
4. checks: rows stored vs submissions acknowledged (a request cut by wrk's stop may be
   stored without its answer being counted), retries of stored submissions answer 200
   with the original, and ``flask audit verify`` passes (it first chains the fast path's
   pending audit records).

Exit status: 0 goals and checks passed; 1 only performance goals missed; 2 a check failed
or errors; 3 the set-up failed.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import re
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from datetime import UTC, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

BENCH = Path(__file__).resolve().parent
ROOT = BENCH.parent
sys.path.insert(0, str(ROOT))

from _ingest_setup import (  # noqa: E402
    ADMIN_EMAIL,
    ADMIN_PASSWORD,
    SetupError,
    _die_with_parent,
    api_setup,
    app_env,
    bulk_participants,
    children,
    create_database,
    drop_database,
    flask_cli,
    free_port,
)
from _loadgen import cpu_seconds  # noqa: E402
from sqlalchemy import func, select, text  # noqa: E402

from diary.db.audit_models import AuditPending  # noqa: E402
from diary.db.engine import make_engine  # noqa: E402
from diary.db.models import Account, ApiToken, DiaryEntry, Participant, Study  # noqa: E402
from diary.security import token_hash  # noqa: E402
from diary.services.fast_ingest import libpq_url  # noqa: E402

GOALS = {"vs_bare": 0.9, "vs_hello": 0.35, "p99_ms": 50.0}
LUA = BENCH / "wrk" / "entries.lua"
OK = {"hello": 200, "bare": 201, "real": 201, "portable": 201}


def parse_args(argv=None) -> argparse.Namespace:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--server-url", default="postgresql://postgres@127.0.0.1:5432/postgres")
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--worker-class", default="gthread")
    ap.add_argument("--threads", type=int, default=4, help="gunicorn threads per worker")
    ap.add_argument("--connections", type=int, default=16)
    ap.add_argument("--wrk-threads", type=int, default=2)
    ap.add_argument("--seconds", type=int, default=8, help="one phase's duration")
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--warmup", type=int, default=2, help="seconds of unmeasured load per app")
    ap.add_argument("--participants", type=int, default=60000)
    ap.add_argument("--portable", action="store_true",
                    help="also measure the real app with FAST_INGEST=0")
    ap.add_argument("--timezone", default="Europe/Paris")
    ap.add_argument("--protocol",
                    default=str(ROOT / "protocols/crossover-ketamine-magnesium.yaml"))
    ap.add_argument("--stale-tokens", action="store_true",
                    help="tokens never used before (each submission then also refreshes "
                         "its token's last use); default: used a minute ago, as after "
                         "the app fetched today's tasks")
    ap.add_argument("--keep-database", action="store_true")
    ap.add_argument("--profile", action="store_true",
                    help="one more phase of the real app sampled with py-spy (not counted)")
    ap.add_argument("--quick", action="store_true", help="1 round of 3 s, 3000 participants")
    a = ap.parse_args(argv)
    if a.quick:
        a.rounds, a.seconds, a.participants = 1, 3, 3000
    return a


class Server:
    """One gunicorn with the run's settings; killed with the script."""

    def __init__(self, a, target: str, env: dict):
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log = tempfile.TemporaryFile("w+")
        cmd = [str(Path(sys.executable).with_name("gunicorn")), "-w", str(a.workers),
               "-k", a.worker_class, "--threads", str(a.threads),
               "-b", f"127.0.0.1:{self.port}", "--log-level", "warning",
               "--pythonpath", str(BENCH), target]
        self.proc = subprocess.Popen(cmd, cwd=ROOT, env=env, stdout=self.log,
                                     stderr=subprocess.STDOUT, preexec_fn=_die_with_parent)

    def wait_ready(self, timeout: float = 60.0) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                self.log.seek(0)
                raise SetupError(f"gunicorn exited:\n{self.log.read()[-3000:]}")
            try:  # any HTTP answer (404 here) means a worker is serving
                urllib.request.urlopen(self.url + "/ready", timeout=2).close()
                return
            except urllib.error.HTTPError:
                return
            except OSError:
                time.sleep(0.2)
        raise SetupError("gunicorn not ready")

    def pids(self) -> list[int]:
        return [self.proc.pid, *children(self.proc.pid)]

    def tail(self) -> str:
        self.log.seek(0)
        return self.log.read()[-2000:]

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.terminate()
            self.proc.wait(timeout=20)


def wrk(a, url: str, tokens_file: str, first: int, day: str, device_time: str,
        tag: int) -> dict:
    cmd = ["wrk", "-t", str(a.wrk_threads), "-c", str(a.connections), "-d", f"{a.seconds}s",
           "--latency", "-s", str(LUA), url, "--", tokens_file, str(first),
           str(a.wrk_threads), day, device_time, str(tag)]
    done = subprocess.run(cmd, capture_output=True, text=True, timeout=a.seconds + 60)
    out = done.stdout
    if "Requests/sec" not in out or "P99_US" not in out:
        raise SetupError(f"wrk failed on {url}:\n{out}\n{done.stderr}")
    rate = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))
    statuses = {k: int(n) for k, n in re.findall(r"STATUS (\d+) (\d+)", out)}
    socket_errors = sum(int(n) for n in re.findall(r"(?:connect|read|write|timeout) (\d+)",
                                                     out.split("Socket errors:")[1]
                                                     if "Socket errors:" in out else ""))
    return {"rate": rate, "statuses": statuses, "socket_errors": socket_errors,
            "p50_ms": int(re.search(r"P50_US (\d+)", out).group(1)) / 1000,
            "p99_ms": int(re.search(r"P99_US (\d+)", out).group(1)) / 1000,
            "used": int(re.search(r"USED_MAX (\d+)", out).group(1)), "raw": out}


def backend_pids(url: str) -> list[int]:
    """The PostgreSQL backends serving the run's database (other databases' work and the
    server's shared processes are left out)."""
    engine = make_engine(url)
    with engine.connect() as conn:
        pids = conn.scalars(text("SELECT pid FROM pg_stat_activity WHERE datname = "
                                 "current_database() AND pid <> pg_backend_pid()")).all()
    engine.dispose()
    return list(pids)


def dict_args(a, **changes) -> argparse.Namespace:
    return argparse.Namespace(**{**vars(a), **changes})


def load_average() -> str:
    return Path("/proc/loadavg").read_text().split(" ", 3)[:3].__str__()


def main(argv=None) -> int:
    a = parse_args(argv)
    name, url = create_database(a.server_url)
    servers: dict[str, Server] = {}
    try:
        return run(a, url, servers)
    except SetupError as exc:
        print(f"SET-UP FAILED: {exc}", file=sys.stderr)
        return 3
    finally:
        for s in servers.values():
            s.stop()
        if not a.keep_database:
            drop_database(a.server_url, name)


def setup(a, url: str, servers: dict) -> tuple[list[str], str]:
    flask_cli(url, "db", "upgrade")
    flask_cli(url, "admin", "create", "--email", ADMIN_EMAIL, "--password", ADMIN_PASSWORD)
    env = app_env(url)
    servers["real"] = Server(a, "app:create_app()", env)
    servers["real"].wait_ready()
    # The sequence is given at enrolment here: no concealed allocation list to upload.
    source = re.sub(r"(?m)^randomisation:.*$", "", Path(a.protocol).read_text())
    study = asyncio.run(api_setup(servers["real"].url, source, 1, a.timezone))
    engine = make_engine(url)
    with engine.begin() as conn:
        study_id = conn.scalar(select(Study.id).where(Study.key == study["key"]))
        admin_id = conn.scalar(select(Account.id).where(Account.email == ADMIN_EMAIL))
        conn.execute(text(__import__("_wsgi_apps").BARE_TABLE))
    tokens = bulk_participants(engine, study_id, admin_id, study["template"], a.participants,
                               datetime.now(UTC))
    if not a.stale_tokens:  # as after the app's GET /me/tasks a minute earlier
        with engine.begin() as conn:
            conn.execute(text("UPDATE api_tokens SET last_used_at = now()"))
    engine.dispose()
    servers["hello"] = Server(a, "_wsgi_apps:hello", env)
    servers["bare"] = Server(a, "_wsgi_apps:bare", dict(env, BARE_DATABASE_URL=libpq_url(url)))
    if a.portable:
        servers["portable"] = Server(a, "app:create_app()", dict(env, FAST_INGEST="0"))
    for s in servers.values():
        s.wait_ready()
    path = Path(tempfile.mkstemp(prefix="bench-tokens-", suffix=".txt")[1])
    path.write_text("\n".join(tokens) + "\n")
    return tokens, str(path)


def run(a, url: str, servers: dict) -> int:
    sys.path.insert(0, str(BENCH))
    tokens, tokens_file = setup(a, url, servers)
    tz = ZoneInfo(a.timezone)
    now = datetime.now(UTC)
    day, device_time = now.astimezone(tz).date().isoformat(), now.strftime("%Y-%m-%dT%H:%M:%SZ")
    apps = [n for n in ("hello", "bare", "real", "portable") if n in servers]
    results: dict[str, list[dict]] = {n: [] for n in apps}
    first, tag = 1, 1
    print(f"gunicorn -w {a.workers} -k {a.worker_class} --threads {a.threads}; wrk -t "
          f"{a.wrk_threads} -c {a.connections} -d {a.seconds}s; {a.rounds} rounds; "
          f"{a.participants} participants; cores {os.cpu_count()}")
    warmups: dict[str, list[dict]] = {}
    for app in apps:  # warm-up, not measured: connections, prepared statements, caches
        res = wrk(dict_args(a, seconds=a.warmup), servers[app].url, tokens_file, first, day,
                  device_time, tag)
        warmups[app] = [res]
        tag += 1
        if app in ("real", "portable"):
            first += res["used"] * a.wrk_threads + a.wrk_threads
    for r in range(a.rounds):
        order = apps[r % len(apps):] + apps[:r % len(apps)]
        for app in order:
            load = load_average()
            pg = backend_pids(url)
            cpu0 = (cpu_seconds(servers[app].pids()), cpu_seconds(pg))
            res = wrk(a, servers[app].url, tokens_file, first, day, device_time, tag)
            served = max(sum(res["statuses"].values()), 1)
            res["app_cpu_ms"] = 1000 * (cpu_seconds(servers[app].pids()) - cpu0[0]) / served
            res["pg_cpu_ms"] = 1000 * (cpu_seconds(pg) - cpu0[1]) / served
            tag += 1
            if app in ("real", "portable"):
                first += res["used"] * a.wrk_threads + a.wrk_threads
            res["load"] = load
            res["errors"] = sum(n for s, n in res["statuses"].items() if int(s) != OK[app]) \
                + res["socket_errors"]
            results[app].append(res)
            if res["errors"] or not res["rate"]:
                print(res["raw"][-1500:], servers[app].tail(), sep="\n")
            print(f"round {r + 1} {app:8s} {res['rate']:8.0f} req/s  p50 {res['p50_ms']:6.1f} "
                  f"ms  p99 {res['p99_ms']:6.1f} ms  errors {res['errors']}  "
                  f"statuses {res['statuses']}  CPU/request app {res['app_cpu_ms']:.2f} ms "
                  f"postgres {res['pg_cpu_ms']:.2f} ms  load before {load}", flush=True)
            if first > len(tokens):
                raise SetupError("participants exhausted: raise --participants")
    if a.profile:  # one more phase of the real app, sampled by py-spy
        from _spy import record, summary

        spies = record(servers["real"].pids()[1:], a.seconds)
        res = wrk(a, servers["real"].url, tokens_file, first, day, device_time, tag)
        warmups["real"].append(res)
        print(summary(spies))
    Path(tokens_file).unlink()
    return report(a, url, results, warmups, tokens, servers, day, device_time)


def report(a, url, results, warmups, tokens, servers, day, device_time) -> int:
    keys = ("rate", "p50_ms", "p99_ms", "app_cpu_ms", "pg_cpu_ms")
    med = {app: {k: statistics.median(x[k] for x in rs) for k in keys}
           for app, rs in results.items()}
    print("\nmedians:")
    for app, m in med.items():
        print(f"  {app:8s} {m['rate']:8.0f} req/s  p50 {m['p50_ms']:6.1f} ms  "
              f"p99 {m['p99_ms']:6.1f} ms  CPU/request app {m['app_cpu_ms']:.2f} ms "
              f"postgres {m['pg_cpu_ms']:.2f} ms")
    real = med["real"]
    vs_bare, vs_hello = real["rate"] / med["bare"]["rate"], real["rate"] / med["hello"]["rate"]
    print(f"  real/bare {vs_bare:.2f} (goal >= {GOALS['vs_bare']}), real/hello "
          f"{vs_hello:.3f} (goal >= {GOALS['vs_hello']}), bare/hello "
          f"{med['bare']['rate'] / med['hello']['rate']:.3f}")
    if "portable" in med:
        print(f"  portable/bare {med['portable']['rate'] / med['bare']['rate']:.2f}, "
              f"real/portable {real['rate'] / med['portable']['rate']:.2f}")
    perf_ok = (vs_bare >= GOALS["vs_bare"] and vs_hello >= GOALS["vs_hello"]
               and real["p99_ms"] <= GOALS["p99_ms"])
    errors = sum(x["errors"] for rs in results.values() for x in rs)
    checks_ok = checks(a, url, results, warmups, tokens, servers, day,
                       device_time) and errors == 0
    print(f"errors: {errors}")
    print("performance goals: " + ("MET" if perf_ok else "NOT MET"))
    print("correctness checks: " + ("PASS" if checks_ok else "FAIL"))
    return 0 if perf_ok and checks_ok else (1 if checks_ok else 2)


def checks(a, url, results, warmups, tokens, servers, day, device_time) -> bool:
    ok = True
    engine = make_engine(url)
    acked = sum(x["statuses"].get("201", 0) for app in ("real", "portable")
                if app in results for x in results[app] + warmups.get(app, []))
    with engine.connect() as conn:
        rows = conn.scalar(select(func.count()).select_from(DiaryEntry))
        dup = conn.scalar(text("SELECT count(*) FROM (SELECT participant_id, diary_date FROM "
                               "diary_entries WHERE is_current GROUP BY 1, 2 "
                               "HAVING count(*) > 1) d"))
        pending = conn.scalar(select(func.count()).select_from(AuditPending))
        sample = conn.execute(
            select(DiaryEntry.id, DiaryEntry.score, DiaryEntry.client_id, ApiToken.token_hash)
            .join(Participant, Participant.id == DiaryEntry.participant_id)
            .join(ApiToken, ApiToken.participant_id == Participant.id)
            .order_by(func.random()).limit(100)).all()
    engine.dispose()
    cut = rows - acked
    print(f"\nrows {rows}, acknowledged 201s {acked}, stored but unacknowledged (cut by "
          f"wrk's stop) {cut} (at most {a.connections} per phase), days with two current "
          f"entries {dup}, audit records pending before verify {pending}")
    phases = sum(len(results[app]) + len(warmups[app]) for app in ("real", "portable")
                 if app in results)
    if not 0 <= cut <= a.connections * phases or dup:
        print("ROW CHECK FAILED")
        ok = False
    by_hash = {token_hash(t): t for t in tokens}
    retried, retries_ok = 0, True
    for entry_id, score, client_id, h in sample:
        body = json.dumps({"diary_date": day, "score": score, "client_id": client_id,
                           "device_time": device_time}).encode()
        req = urllib.request.Request(servers["real"].url + "/api/v1/me/diary-entries", body,
                                     {"Authorization": f"Bearer {by_hash[h]}",
                                      "Content-Type": "application/json"})
        try:
            with urllib.request.urlopen(req, timeout=10) as resp:
                status, got = resp.status, json.load(resp)
        except urllib.error.HTTPError as exc:
            status, got = exc.code, json.load(exc)
        if status != 200 or got.get("id") != entry_id:
            if retries_ok:
                print(f"retry of entry {entry_id}: {status} {got}")
            retries_ok = False
        retried += 1
    print(f"retries of {retried} stored submissions: "
          + ("each answered 200 with the original" if retries_ok else "WRONG ANSWERS"))
    ok = ok and retries_ok
    t = time.monotonic()
    out = flask_cli(url, "audit", "verify")
    print(f"flask audit verify ({time.monotonic() - t:.1f} s, chains the pending records "
          f"first): {out}")
    return ok and "intact" in out


if __name__ == "__main__":
    sys.exit(main())
