#!/usr/bin/env python
"""Endpoint export benchmark: a crossover study's diary to the wide CSV table (issue 3).

For each database (SQLite file in a temporary directory; PostgreSQL database
``paindiary_bench_endpoints_<pid>`` on ``--server-url``, dropped at the end, always) and
each size (1,000 and 10,000 participants; ``--quick``: 200 and 1,000), on a fresh database:

1. Set-up (timed apart, not measured): migrate, create the study from
   ``protocols/crossover-ketamine-magnesium.yaml`` (3 periods, diary days -7..35,
   endpoints AUC days 1-35, pain at days 7/15/21/28, baseline, compliance), then bulk data
   (see ``bench/_endpoint_data.py``): 3 infusions per participant 42 days apart and 42
   diary days per period (~5 % missing, 1 % corrected) -> ~1.2 M current entries at 10 k.
   "now" is fixed after everyone's last period, so no endpoint is pending.
2. Measurement in a fresh child process (its memory holds nothing of the set-up), each
   figure the median of ``--runs`` runs (5; quick 3):
   - end to end: ``export_endpoints(layout="wide", fmt="csv")`` (load, score, lay out,
     audit record, commit) + ``write_export(export, "csv", path)`` (data + dictionary);
   - peak RSS of that process during each end-to-end run: ``VmHWM`` from /proc, reset
     before every run through ``/proc/self/clear_refs`` (so it covers the run, on top of
     what the process already holds: interpreter, imports, app);
   - loading alone (``load_study_records``), and the same entries query through the raw
     DBAPI cursor (no SQLAlchemy result processing, no placing) for comparison;
   - scoring alone: ``score_records`` on the loaded records + matrix, then ``wide_table``;
   - the floor: one vectorised numpy pass computing the same AUC over the same matrix
     (window of days 1-35; the observed cells in row order, a trapezoid per pair of
     consecutive observations of a row, which is what interpolating the gap gives, summed
     with ``np.bincount``; ends carried; coverage rule); its values must equal the
     exported AUC column. For information, also the floor of all this protocol's endpoint
     values (no reasons, no table) and the app's own ``auc_batch`` on the same matrix;
   - a breakdown of one more end-to-end run (the app's functions wrapped with timers in
     the child only), and with ``--profile`` (default ``auto``: when a goal is missed at
     the largest size) a cProfile of one end-to-end run: own time by package, top
     functions.
3. Checks: rows = participants x 3, AUC values within [0, 350], the CSV AUC column equals
   the floor's values, stored counts equal the generated ones.

Goals (issue 3): end to end <= 2 s at 10,000 participants, scoring (score_records +
wide_table) <= 3 x the floor (the faster of the independent pass and auc_batch),
peak RSS <= 500 MB, time per participant not growing from 1 k to 10 k (<= 1.25 x).

Exit status: 0 goals and checks passed; 1 only performance goals missed; 2 a check
failed or a measurement errored; 3 the set-up failed. With ``--quick`` the goals are
informative only (sizes differ from the issue's): it exits 0 when the checks pass.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from _databases import pg_database  # noqa: E402,I001
from _endpoint_child import GOAL_RATIO, GOAL_RSS_MB, SECRET_KEY, child_main  # noqa: E402,I001

GOAL_E2E_S = 2.0
GOAL_GROWTH = 1.25  # per-participant time at the large size / at the small size
PROTOCOL = ROOT / "protocols/crossover-ketamine-magnesium.yaml"


class SetupError(RuntimeError):
    pass


def parse_args(argv=None) -> argparse.Namespace:
    ap = argparse.ArgumentParser(
        description="Benchmark the endpoint export (database -> wide CSV) on SQLite and "
                    "PostgreSQL with 1,000 and 10,000 participants of a 3-period crossover.",
        epilog="Exit status: 0 goals and checks passed; 1 only performance goals missed; "
               "2 a check failed or a measurement errored; 3 set-up failed.")
    ap.add_argument("--quick", action="store_true",
                    help="200 and 1,000 participants, 3 runs (goals informative only)")
    ap.add_argument("--sizes", type=lambda s: [int(x) for x in s.split(",")], default=None,
                    help="participants per study, comma-separated (default 1000,10000)")
    ap.add_argument("--databases", default="sqlite,postgresql",
                    help="comma-separated: sqlite, postgresql")
    ap.add_argument("--runs", type=int, default=None, help="runs per figure (default 5, "
                                                           "quick 3)")
    ap.add_argument("--server-url", default="postgresql://postgres@127.0.0.1:5432/postgres",
                    help="maintenance database used to CREATE/DROP the run's database")
    ap.add_argument("--profile", choices=("auto", "always", "never"), default="auto",
                    help="cProfile one end-to-end run at the largest size (auto: when a "
                         "goal is missed there)")
    ap.add_argument("--top", type=int, default=18, help="functions listed by the profile")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--child", help=argparse.SUPPRESS)
    a = ap.parse_args(argv)
    if a.child:
        return a
    a.sizes = a.sizes or ([200, 1000] if a.quick else [1000, 10000])
    a.runs = a.runs or (3 if a.quick else 5)
    a.databases = [d.strip() for d in a.databases.split(",") if d.strip()]
    if not set(a.databases) <= {"sqlite", "postgresql"} or not a.databases:
        ap.error("--databases: sqlite and/or postgresql")
    if a.runs < 1 or min(a.sizes) < 1:
        ap.error("--runs and --sizes must be positive")
    return a


# --------------------------------------------------------------------------- child side

def _die_with_parent() -> None:
    try:
        import ctypes

        ctypes.CDLL("libc.so.6", use_errno=True).prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG
    except Exception:
        pass


TICK = os.sysconf("SC_CLK_TCK")


def machine_busy_seconds() -> float:
    """CPU seconds used on the machine (all cores), from /proc/stat."""
    v = [int(x) for x in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:9]]
    user, nice, system, _idle, _iowait, irq, softirq, steal = v
    return (user + nice + system + irq + softirq + steal) / TICK


def postgres_cpu_seconds() -> float:
    total = 0
    for d in Path("/proc").iterdir():
        if d.name.isdigit():
            try:
                if (d / "comm").read_text().strip() == "postgres":
                    f = (d / "stat").read_text().rsplit(")", 1)[1].split()
                    total += int(f[11]) + int(f[12])
            except (OSError, IndexError, ValueError):
                pass
    return total / TICK


def machine_load(seconds: float = 2.0) -> float:
    """Percent of all cores busy over ``seconds`` (is the machine quiet?)."""
    t, b = time.monotonic(), machine_busy_seconds()
    time.sleep(seconds)
    return 100 * (machine_busy_seconds() - b) / ((time.monotonic() - t) * os.cpu_count())


def run_child(spec: dict) -> dict:
    idle = machine_load()
    t, busy0, pg0 = time.monotonic(), machine_busy_seconds(), postgres_cpu_seconds()
    own0 = os.times()
    r = subprocess.run([sys.executable, str(Path(__file__).resolve()), "--child",
                        json.dumps(spec)], cwd=ROOT, capture_output=True, text=True,
                       timeout=3600, preexec_fn=_die_with_parent)
    wall = time.monotonic() - t
    own = os.times()
    child_cpu = (own.children_user + own.children_system
                 - own0.children_user - own0.children_system)
    pg = postgres_cpu_seconds() - pg0
    other = max(0.0, machine_busy_seconds() - busy0 - child_cpu - pg)
    for line in r.stdout.splitlines():
        if line.startswith("RESULT "):
            res = json.loads(line[7:])
            res["machine"] = {"idle_before": idle, "other_pct": 100 * other / (
                wall * os.cpu_count()), "wall": wall}
            return res
    raise RuntimeError(f"measurement process failed ({r.returncode}):\n"
                       f"{(r.stdout + r.stderr)[-3000:]}")


def set_up(url: str, n: int, seed: int) -> tuple[str, object]:
    from _endpoint_data import populate, scan

    from app import create_app
    from diary.db.migrate import upgrade
    from diary.services.principals import cli_principal
    from diary.services.studies import create_study

    app = create_app({"DATABASE_URL": url, "SECRET_KEY": SECRET_KEY, "ARGON2_PROFILE": "cheap"})
    rt = app.extensions["paindiary"]
    try:
        t = time.perf_counter()
        upgrade(rt.engine)
        with rt.session_factory() as s:
            study, _ = create_study(s, cli_principal(), source=PROTOCOL.read_text("utf-8"),
                                    now=datetime.fromisoformat("2024-12-01T09:00:00+00:00"))
            key, study_id = study.key, study.id
        t_migrate = time.perf_counter() - t
        pop = populate(rt.engine, study_id, n, seed=seed)
        stored = scan(rt.engine)
    finally:
        rt.engine.dispose()
    want = {"participants": n, "events": pop.events, "current_entries": pop.current_entries,
            "superseded": pop.superseded_entries}
    if stored != want:
        raise SetupError(f"stored counts {stored} differ from the generated {want}")
    total = t_migrate + pop.seconds_generate + pop.seconds_insert + pop.seconds_analyze
    print(f"  set-up {total:.1f} s "
          f"(migrate + study {t_migrate:.1f}, generate {pop.seconds_generate:.1f}, insert "
          f"{pop.seconds_insert:.1f}, analyze {pop.seconds_analyze:.1f}): {n:,} participants, "
          f"{pop.events:,} events, {pop.current_entries:,} current + "
          f"{pop.superseded_entries:,} superseded entries; now = {pop.now:%Y-%m-%d %H:%M} UTC",
          flush=True)
    return key, pop


def med(xs) -> float:
    xs = [x for x in xs if not math.isnan(x)]
    return statistics.median(xs) if xs else math.nan


def floor_all_text(r: dict, scoring: float) -> str:
    """The floor of all the protocol's endpoint values, or why it was not measured."""
    if not r["floor_all"]:
        return (f"all {r['n_endpoints']} endpoint values by numpy: not measured "
                f"({r.get('floor_all_missing', 'no runs')})")
    every = med(r["floor_all"])
    return (f"all {r['n_endpoints']} endpoint values by numpy {every * 1000:.2f} ms -> "
            f"{scoring / every:.1f}")


def report_one(db: str, n: int, r: dict) -> dict:
    e2e, load, raw = med(r["e2e"]), med(r["load"]), med(r["raw_fetch"])
    score, wide = med(r["score"]), med(r["wide"])
    scoring = med([a + b for a, b in zip(r["score"], r["wide"], strict=True)])
    floor_own, auc_app = med(r["floor"]), med(r["auc_batch"])
    floor = min(floor_own, auc_app)  # the fastest known pass computing these AUCs
    peak = max(r["peak"])
    runs = " ".join(f"{x:.2f}" for x in r["e2e"])
    print(f"  code measured: {r['code']}")
    mach = r["machine"]
    noisy = mach["idle_before"] > 15 or mach["other_pct"] > 15
    print(f"  machine: {mach['idle_before']:.0f}% of {os.cpu_count()} cores busy before; other "
          f"processes used {mach['other_pct']:.0f}% of them during the measurement"
          f"{' -- NOT QUIET, figures are noisy' if noisy else ''}")
    print(f"  end to end, DB -> wide CSV ({r['records']:,} rows x {r['wide_cols']} columns, "
          f"{r['csv_bytes'] / 1e6:.1f} MB): median {e2e:.3f} s (CPU of this process "
          f"{med(r['e2e_cpu']):.3f} s)  [runs {runs}]")
    print(f"  loading alone (load_study_records): median {load:.3f} s; same entries query "
          f"via the raw DBAPI cursor, {r['entries_current']:,} rows: {raw:.3f} s")
    print(f"  scoring alone: score_records {score * 1000:.1f} ms + wide_table "
          f"{wide * 1000:.1f} ms = {scoring * 1000:.1f} ms")
    print(f"  floor, AUC days 1-35 over the same matrix: independent numpy pass "
          f"{floor_own * 1000:.2f} ms, the app's auc_batch alone {auc_app * 1000:.2f} ms; "
          f"floor = the faster, {floor * 1000:.2f} ms -> scoring/floor = {scoring / floor:.1f} "
          f"(score_records alone {score / floor:.1f}; vs the independent pass "
          f"{scoring / floor_own:.1f}); {floor_all_text(r, scoring)}")
    print(f"  peak RSS during an end-to-end run: {peak:.0f} MB (process before the first "
          f"run {r['rss_before'][0]:.0f} MB: interpreter, imports, app; the run adds up to "
          f"{max(p - b for p, b in zip(r['peak'], r['rss_before'], strict=True)):.0f} MB)"
          f"{'' if r['peak_reset'] else ' [clear_refs refused: peak since process start]'}")
    print(f"  per participant: end to end {e2e / n * 1e6:.0f} us, load {load / n * 1e6:.0f} us, "
          f"scoring {scoring / n * 1e6:.1f} us")
    parts = ", ".join(f"{k.strip()} {v:.3f}" for k, v in r["breakdown"])
    print(f"  one instrumented run (s): {parts}")
    for label, ok, detail in r["checks"]:
        print(f"  check {'PASS' if ok else 'FAIL'}  {label}: {detail}")
    for line in r.get("profile", []):
        print("  | " + line)
    return {"e2e": e2e, "load": load, "scoring": scoring, "floor": floor, "peak": peak,
            "checks_ok": all(ok for _, ok, _ in r["checks"]), "noisy": noisy, "code": r["code"]}


def _term(signum, _frame):
    raise SystemExit(128 + signum)


def main(argv=None) -> int:
    a = parse_args(argv)
    if a.child:
        res = child_main(json.loads(a.child))
        print("RESULT " + json.dumps(res, default=lambda o: o.item()))
        return 0
    signal.signal(signal.SIGTERM, _term)
    sys.path.insert(0, str(Path(__file__).resolve().parent))
    started = time.monotonic()
    print(f"paindiary endpoint export benchmark ({'quick' if a.quick else 'full'}): "
          f"{os.cpu_count()} cores, sizes {', '.join(f'{n:,}' for n in a.sizes)} participants, "
          f"{a.runs} runs per figure, protocol {PROTOCOL.name}", flush=True)
    head = subprocess.run(["git", "log", "-1", "--format=%h %s"], cwd=ROOT,
                          capture_output=True, text=True).stdout.strip()[:70]
    dirty = subprocess.run(["git", "status", "--porcelain", "--", "app.py", "diary", "scoring"],
                           cwd=ROOT, capture_output=True, text=True).stdout.split("\n")
    dirty = [ln[3:] for ln in dirty if ln.strip()]
    print(f"code: {head or '(not a git checkout)'}" + (f"; uncommitted: {', '.join(dirty[:6])}"
                             f"{' ...' if len(dirty) > 6 else ''}" if dirty else ""))
    results: dict[tuple[str, int], dict] = {}
    errors = 0
    pg_name = f"paindiary_bench_endpoints_{os.getpid()}"
    pg_used = False
    try:
        for db in a.databases:
            for n in a.sizes:
                print(f"\n{db}, {n:,} participants", flush=True)
                with tempfile.TemporaryDirectory(prefix="paindiary-bench-") as tmp:
                    try:
                        if db == "sqlite":
                            url = f"sqlite:///{tmp}/bench.db"
                        else:
                            pg_used = True
                            url = pg_database(a.server_url, pg_name, create=True)
                        key, pop = set_up(url, n, a.seed)
                    except Exception as exc:
                        raise SetupError(f"{db}, {n} participants: {exc}") from exc
                    spec = {"url": url, "key": key, "now": pop.now.isoformat(), "runs": a.runs,
                            "out_dir": tmp, "participants": n,
                            "current_entries": pop.current_entries, "top": a.top,
                            "profile": a.profile if n == max(a.sizes) else "never"}
                    try:
                        results[db, n] = report_one(db, n, run_child(spec))
                    except Exception as exc:
                        errors += 1
                        print(f"  ERROR: {exc}", flush=True)
                    if db == "postgresql":
                        pg_database(a.server_url, pg_name, create=False)
        ok_checks = errors == 0 and all(r["checks_ok"] for r in results.values())
        goals = []
        small, large = min(a.sizes), max(a.sizes)
        print(f"\nscaling, time per participant at {large:,} / at {small:,} "
              "(1.0 = linear; fixed costs make it < 1):")
        for db in a.databases:
            s, b = results.get((db, small)), results.get((db, large))
            if not (s and b):
                continue
            growth = {k: (b[k] / large) / (s[k] / small) for k in ("e2e", "load", "scoring")}
            print(f"  {db:10s} end to end {growth['e2e']:.2f}, load {growth['load']:.2f}, "
                  f"scoring {growth['scoring']:.2f}")
            goals.append((f"{db}: end to end <= {GOAL_E2E_S:g} s at {large:,}",
                          b["e2e"] <= GOAL_E2E_S, f"{b['e2e']:.2f} s"))
            goals.append((f"{db}: scoring <= {GOAL_RATIO:g} x floor",
                          b["scoring"] <= GOAL_RATIO * b["floor"],
                          f"{b['scoring'] / b['floor']:.1f} x"))
            goals.append((f"{db}: peak RSS <= {GOAL_RSS_MB:g} MB", b["peak"] <= GOAL_RSS_MB,
                          f"{b['peak']:.0f} MB"))
            goals.append((f"{db}: linear growth {small:,} -> {large:,} (<= {GOAL_GROWTH} x)",
                          growth["e2e"] <= GOAL_GROWTH, f"{growth['e2e']:.2f} x"))
        print("goals (issue 3)" + (" -- quick run, sizes differ: informative only"
                                    if a.quick else "") + ":")
        for label, ok, value in goals:
            print(f"  {'PASS' if ok else 'FAIL'}  {label:44s} measured {value}")
        if len({r["code"] for r in results.values()}) > 1:
            print("  WARNING: the application's source changed during the run (see 'code "
                  "measured' lines): figures of different targets are not comparable.")
        if any(r["noisy"] for r in results.values()):
            print("  NOTE: other processes were busy during some measurements (see 'machine' "
                  "lines): wall times are inflated there; CPU times are less affected.")
        print(f"checks: {'PASS' if ok_checks else 'FAIL'}; total "
              f"{time.monotonic() - started:.0f} s")
        if not ok_checks:
            return 2
        return 0 if a.quick or all(ok for _, ok, _ in goals) else 1
    except SetupError as exc:
        print(f"set-up failed: {exc}", file=sys.stderr)
        return 3
    finally:
        if pg_used:
            try:
                pg_database(a.server_url, pg_name, create=False)
            except Exception as exc:  # do not hide the run's own outcome
                print(f"WARNING: could not drop database {pg_name}: {exc}", file=sys.stderr)


if __name__ == "__main__":
    sys.exit(main())
