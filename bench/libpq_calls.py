#!/usr/bin/env python
"""Client CPU of one prepared statement: psycopg's ``execute`` against libpq's own call
(``pgconn.exec_prepared``, diary/db/prepared.py), the choice behind the diary fast path's
single statement (issue 20). Interleaved rounds, medians, on any PostgreSQL database.

    python bench/libpq_calls.py [--url postgresql://postgres@127.0.0.1:5432/postgres]
"""

from __future__ import annotations

import argparse
import os
import statistics
import time
from datetime import UTC, datetime

import psycopg

from diary.db.prepared import Prepared, run_prepared

SQL = "SELECT 1 WHERE %(a)s::text IS NOT NULL AND %(b)s::timestamptz IS NOT NULL"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--url", default="postgresql://postgres@127.0.0.1:5432/postgres")
    ap.add_argument("-n", type=int, default=5000, help="calls per round")
    ap.add_argument("--rounds", type=int, default=5)
    a = ap.parse_args()
    conn = psycopg.connect(a.url, autocommit=True)
    params = {"a": "x" * 64, "b": datetime.now(UTC)}
    statement = Prepared("bench_libpq_calls", SQL)
    ways = {"psycopg execute": lambda: conn.execute(SQL, params, prepare=True).fetchone(),
            "libpq exec_prepared": lambda: run_prepared(conn, statement, params)}
    figures: dict[str, list[tuple[float, float]]] = {w: [] for w in ways}
    for call in ways.values():  # warm-up: psycopg prepares after a few calls
        for _ in range(200):
            call()
    for _ in range(a.rounds):
        for way, call in ways.items():
            t0, w0 = os.times(), time.perf_counter()
            for _ in range(a.n):
                call()
            t1 = os.times()
            figures[way].append((1e6 * (t1.user + t1.system - t0.user - t0.system) / a.n,
                                 1e6 * (time.perf_counter() - w0) / a.n))
    for way, f in figures.items():
        print(f"{way:20s} client CPU {statistics.median(x[0] for x in f):6.1f} us/call  "
              f"wall {statistics.median(x[1] for x in f):6.1f} us/call")
    cpu = [statistics.median(x[0] for x in f) for f in figures.values()]
    print(f"libpq/psycopg client CPU ratio {cpu[1] / cpu[0]:.2f}")


if __name__ == "__main__":
    main()
