#!/usr/bin/env python
"""The measured side of bench/endpoints.py: one export in a fresh child process, the
numpy floor it is compared with, and the memory readings."""


from __future__ import annotations

import cProfile
import csv
import gc
import hashlib
import io
import pstats
import statistics
import sys
import time
from collections import Counter
from datetime import datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import numpy as np  # noqa: E402
from _profiling import Segments, package_of  # noqa: E402

GOAL_E2E_S = 2.0
GOAL_RATIO = 3.0
GOAL_RSS_MB = 500.0
AUC_MAX = 350.0  # 10 x 35 score-days
SECRET_KEY = "bench"




def vm_status() -> dict[str, float]:
    """VmRSS and VmHWM of this process, in MB."""
    out = {}
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(("VmRSS:", "VmHWM:")):
            out[line.split(":")[0]] = int(line.split()[1]) / 1024
    return out


def reset_peak() -> bool:
    """Reset VmHWM to the current RSS (Linux >= 4.0); False if not allowed."""
    try:
        Path("/proc/self/clear_refs").write_text("5")
        return True
    except OSError:
        return False


def floor_auc(values: np.ndarray, first_day: int, a: int, b: int, ends: str,
              required: int) -> np.ndarray:
    """Trapezoid AUC of days a..b per row, gaps interpolated, ends carried (or no value).

    Over the observed cells in row-major order (``np.nonzero``): each pair of consecutive
    observations of a row adds ``(v0 + v1) / 2 * (d1 - d0)`` (what interpolating the days
    between gives), summed per row with ``np.bincount``; carried ends add the first value
    times the days before it and the last value times the days after it.
    """
    w = values[:, a - first_day: b - first_day + 1]
    n, m = w.shape
    obs = ~np.isnan(w)
    rows, cols = np.nonzero(obs)
    v = w[rows, cols]
    same = rows[1:] == rows[:-1]
    seg = (v[1:] + v[:-1]) * (cols[1:] - cols[:-1]) * 0.5
    out = np.bincount(rows[1:][same], weights=seg[same], minlength=n)
    first = np.flatnonzero(np.r_[True, ~same])          # each row's first observation
    last = np.r_[first[1:] - 1, rows.size - 1]          # and its last
    count = np.zeros(n, np.int64)
    count[rows[first]] = last - first + 1
    if ends == "carry":
        out[rows[first]] += v[first] * cols[first] + v[last] * (m - 1 - cols[last])
    bad = count < required
    if ends == "none":
        bad |= ~(obs[:, 0] & obs[:, -1])
    out[bad] = np.nan
    return out


def floor_all(values: np.ndarray, first_day: int, specs) -> dict | str:
    """Values of every endpoint of the protocol from the score matrix alone, or why there
    is no such floor (a kind that reads more than the matrix, such as ``ae_any``)."""
    from scoring.auc import CoverageRule

    def cols(lo, hi):
        return values[:, lo - first_day: hi - first_day + 1]

    out = {}
    for s in specs:
        if s.kind == "auc":
            req = CoverageRule(s.min_coverage, s.min_days).required(s.to_day - s.from_day + 1)
            out[s.key] = floor_auc(values, first_day, s.from_day, s.to_day, s.ends, req)
        elif s.kind == "timepoint" and s.window == 0:
            out[s.key] = cols(s.day, s.day).ravel().copy()
        elif s.kind == "baseline":
            w = cols(s.from_day, s.to_day)
            k = np.count_nonzero(~np.isnan(w), axis=1)
            with np.errstate(invalid="ignore", divide="ignore"):
                v = np.nansum(w, axis=1) / k
            out[s.key] = np.where(k >= s.min_days, v, np.nan)
        elif s.kind == "compliance":
            w = cols(s.from_day, s.to_day)
            out[s.key] = 100.0 * np.count_nonzero(~np.isnan(w), axis=1) / w.shape[1]
        elif s.kind == "timepoint":
            return f"{s.key}: a timepoint with a window has no numpy floor here"
        else:
            return f"{s.key}: kind {s.kind} has no numpy floor here"
    return out


def code_fingerprint(root: Path) -> str:
    """Hash of the application's source as imported (the tree may change between runs)."""
    h = hashlib.sha256()
    for f in sorted([root / "app.py", *root.glob("diary/**/*.py"), *root.glob("scoring/**/*.py")]):
        h.update(str(f.relative_to(root)).encode() + b"\0" + f.read_bytes())
    return f"{h.hexdigest()[:10]} ({root})"


def child_main(spec: dict) -> dict:
    from sqlalchemy import select
    from sqlalchemy.orm import Session

    import diary
    import diary.audit
    import diary.exports.files as files_mod
    import diary.exports.records as records_mod
    import diary.exports.service as service_mod
    from app import create_app
    from diary.db.models import DiaryEntry, Participant
    from diary.exports.files import write_export
    from diary.exports.records import load_study_records
    from diary.exports.service import export_endpoints
    from diary.services.principals import cli_principal
    from diary.services.studies import get_study
    from scoring.auc import CoverageRule, auc_batch
    from scoring.matrix import DailyMatrix
    from scoring.tables import score_records, wide_table

    runs, key, now = spec["runs"], spec["key"], datetime.fromisoformat(spec["now"])
    app = create_app({"DATABASE_URL": spec["url"], "SECRET_KEY": SECRET_KEY,
                      "ARGON2_PROFILE": "cheap"})
    rt = app.extensions["paindiary"]
    principal = cli_principal()
    with rt.session_factory() as s:
        study, protocol = get_study(s, principal, key)
        study_id = study.id
    res: dict = {"checks": [], "rss_base": vm_status()["VmRSS"],
                 "code": code_fingerprint(Path(diary.__file__).resolve().parents[1])}
    check = res["checks"]
    out = Path(spec["out_dir"]) / "endpoints_wide.csv"

    def e2e():
        with rt.session_factory() as s:
            export = export_endpoints(s, principal, key, layout="wide", fmt="csv", now=now)
        written = write_export(export, "csv", out)
        return export, written

    # 1. End to end, peak RSS per run.
    res["e2e"], res["e2e_cpu"], res["peak"], res["rss_before"] = [], [], [], []
    peak_ok = True
    for _ in range(runs):
        gc.collect()
        res["rss_before"].append(vm_status()["VmRSS"])
        peak_ok &= reset_peak()
        t, c = time.perf_counter(), time.process_time()
        export, written = e2e()
        res["e2e"].append(time.perf_counter() - t)
        res["e2e_cpu"].append(time.process_time() - c)
        res["peak"].append(vm_status()["VmHWM"])
        table_rows, provenance = len(export.table.rows), export.provenance
        del export
    res["peak_reset"] = peak_ok
    res["csv_bytes"] = out.stat().st_size
    res["dict_bytes"] = sum(p.stat().st_size for p in written[1:])
    n_expected = spec["participants"] * 3
    with out.open(newline="", encoding="utf-8") as f:
        reader = csv.reader(f)
        header = next(reader)
        col = header.index("auc_d1_35")
        auc_csv = np.array([float(r[col]) if r[col] else np.nan for r in reader])
    check.append((f"wide CSV rows = {spec['participants']:,} x 3", len(auc_csv) == n_expected
                  and table_rows == n_expected, f"{len(auc_csv):,} rows"))
    have = auc_csv[~np.isnan(auc_csv)]
    check.append(("AUC values within [0, 350]", have.size > 0 and have.min() >= 0
                  and have.max() <= AUC_MAX,
                  f"{have.size:,} values, {have.min():.1f}..{have.max():.1f}, "
                  f"{auc_csv.size - have.size} empty (with a reason)"))
    res["provenance_entries"] = provenance.get("diary_entries")
    res["audit_rows"] = table_rows

    # 2. Loading alone; the same entries query through the raw DBAPI cursor.
    res["load"] = []
    for _ in range(runs):
        gc.collect()
        with rt.session_factory() as s:
            t = time.perf_counter()
            data = load_study_records(s, study_id, protocol, now=now)
            res["load"].append(time.perf_counter() - t)
    stmt = select(DiaryEntry.participant_id, DiaryEntry.diary_date, DiaryEntry.score).where(
        DiaryEntry.is_current.is_(True), DiaryEntry.participant_id.in_(
            select(Participant.id).where(Participant.study_id == study_id)))
    sql = str(stmt.compile(rt.engine, compile_kwargs={"literal_binds": True}))
    res["raw_fetch"] = []
    for _ in range(runs):
        gc.collect()
        raw = rt.engine.raw_connection()
        try:
            t = time.perf_counter()
            cur = raw.cursor()
            cur.execute(sql)
            n_raw = 0
            while chunk := cur.fetchmany(100_000):
                n_raw += len(chunk)
            res["raw_fetch"].append(time.perf_counter() - t)
            cur.close()
        finally:
            raw.close()
    res["entries_current"] = n_raw
    res["matrix_cells"] = int(np.count_nonzero(~np.isnan(data.matrix.values)))
    check.append(("stored current entries = generated", n_raw == spec["current_entries"],
                  f"{n_raw:,} vs {spec['current_entries']:,}"))
    check.append(("provenance diary_entries = current entries", str(n_raw) == str(
        res["provenance_entries"]), f"{res['provenance_entries']} (matrix cells "
        f"{res.get('matrix_cells', 0):,}: dates in two periods' spans count twice)"))

    # 3. Scoring alone; 4. the floor.
    res["score"], res["wide"] = [], []
    for _ in range(runs):
        gc.collect()
        t = time.perf_counter()
        # What the export scores: the matrix and the per-record extra inputs (issue 6's
        # side-effect diary for the crossover's ae_any endpoint).
        scored = score_records(data.records, protocol.endpoints, matrix=data.matrix,
                               extra=data.extra)
        t1 = time.perf_counter()
        table = wide_table(scored)
        res["score"].append(t1 - t)
        res["wide"].append(time.perf_counter() - t1)
    auc_spec = next(s for s in protocol.endpoints if s.kind == "auc")
    req = CoverageRule(auc_spec.min_coverage, auc_spec.min_days).required(
        auc_spec.to_day - auc_spec.from_day + 1)
    m, first = data.matrix.values, data.matrix.first_day
    res["floor"], res["floor_all"], res["auc_batch"] = [], [], []
    for _ in range(max(runs, 9)):
        t = time.perf_counter()
        auc_batch(m, first, a=auc_spec.from_day, b=auc_spec.to_day, ends=auc_spec.ends,
                  min_coverage=auc_spec.min_coverage, min_days=auc_spec.min_days)
        res["auc_batch"].append(time.perf_counter() - t)
        t = time.perf_counter()
        floor = floor_auc(m, first, auc_spec.from_day, auc_spec.to_day, auc_spec.ends, req)
        res["floor"].append(time.perf_counter() - t)
        t = time.perf_counter()
        every = floor_all(m, first, protocol.endpoints)
        if isinstance(every, str):  # reported as not measured, never as a made-up time
            res["floor_all_missing"] = every
        else:
            res["floor_all"].append(time.perf_counter() - t)
    scored_auc = scored.results[auc_spec.key].values
    same = np.allclose(floor, scored_auc, rtol=0, atol=1e-9, equal_nan=True)
    check.append(("floor AUC = score_records AUC", bool(same),
                  f"max |diff| {np.nanmax(np.abs(floor - scored_auc)):.2e}"))
    check.append(("exported CSV AUC = floor AUC", bool(np.allclose(
        auc_csv, floor, rtol=0, atol=1e-9, equal_nan=True)), "row by row"))
    res["records"], res["wide_cols"] = len(data.records), len(table.columns)
    res["n_endpoints"] = len(protocol.endpoints)
    del scored, table, data

    # 5. Where one end-to-end run spends its time (wrapped functions, this process only).
    seg = Segments()
    seg.wrap(service_mod, "get_study", "get_study (study + protocol)")
    seg.wrap(service_mod, "load_study_records", "load_study_records")
    seg.wrap(records_mod, "study_periods", "  participants, events -> records")
    seg.wrap(records_mod, "event_diaries", "  side-effect and medication diaries")
    seg.wrap(records_mod, "_place_entries", "  entries: query, fetch, place")
    seg.wrap(DailyMatrix, "from_long", "  DailyMatrix.from_long")
    seg.wrap(service_mod, "score_records", "score_records")
    seg.wrap(service_mod, "wide_table", "wide_table")
    seg.wrap(diary.audit, "append", "audit.append")
    seg.wrap(Session, "commit", "commit")
    seg.wrap(files_mod, "write_csv", "write_csv (data + dictionary, fsync)")
    gc.collect()
    t = time.perf_counter()
    e2e()
    total = time.perf_counter() - t
    seg.unwrap()
    res["breakdown"] = [(k, v) for k, v in seg.totals.items()] + [("(run total)", total)]

    # 6. cProfile of one end-to-end run.
    goals_missed = (statistics.median(res["e2e"]) > GOAL_E2E_S
                    or max(res["peak"]) > GOAL_RSS_MB
                    or (statistics.median(res["score"]) + statistics.median(res["wide"]))
                    > GOAL_RATIO * min(statistics.median(res["floor"]),
                                       statistics.median(res["auc_batch"])))
    if spec["profile"] == "always" or (spec["profile"] == "auto" and goals_missed):
        gc.collect()
        prof = cProfile.Profile()
        t = time.perf_counter()
        prof.enable()
        e2e()
        prof.disable()
        elapsed = time.perf_counter() - t
        stats = pstats.Stats(prof)
        by_pkg = Counter()
        for (filename, _, _), (_, _, tt, _, _) in stats.stats.items():
            by_pkg[package_of(filename)] += tt
        tot = sum(by_pkg.values())
        lines = [f"cProfile of one end-to-end run ({elapsed:.2f} s under the profiler): "
                 "own time by package"]
        lines += [f"  {100 * tt / tot:5.1f}%  {pkg}" for pkg, tt in by_pkg.most_common(10)]
        buf = io.StringIO()
        pstats.Stats(prof, stream=buf).sort_stats("tottime").print_stats(spec["top"])
        lines.append(f"top {spec['top']} functions by own time:")
        lines += [ln.replace(str(ROOT) + "/", "") for ln in buf.getvalue().splitlines()
                  if ln.strip() and not ln.startswith(("   Ordered", "   List"))
                  and "function calls" not in ln]
        buf = io.StringIO()
        pstats.Stats(prof, stream=buf).sort_stats("cumulative").print_stats(
            str(ROOT.name) + r"/(diary|scoring)/", spec["top"])
        lines.append("project functions by cumulative time:")
        lines += [ln.replace(str(ROOT) + "/", "") for ln in buf.getvalue().splitlines()
                  if ln.strip() and not ln.startswith(("   Ordered", "   List"))
                  and "function calls" not in ln and "restriction" not in ln]
        res["profile"] = lines
    rt.engine.dispose()
    return res


# --------------------------------------------------------------------------- parent side
