"""The load generator of the ingest benchmark (bench/ingest.py): asyncio + aiohttp phases of
health checks and diary submissions (with retries of acknowledged ones), their latencies and
errors, and the CPU time of the app, PostgreSQL, the generator and the rest of the machine.

Not a package module: bench/ingest.py imports it with bench/ on ``sys.path``.
"""

from __future__ import annotations

import asyncio
import json
import math
import os
import time
import uuid
from collections import deque
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import aiohttp
from _ingest_setup import HEALTH, Gunicorn, SetupError

ENTRIES = "/api/v1/me/diary-entries"
RETRY_GAP = 50  # a retry is queued this many requests after its acknowledgement


# --------------------------------------------------------------------------- CPU time

TICK = os.sysconf("SC_CLK_TCK")


def cpu_seconds(pids) -> float:
    total = 0
    for pid in pids:
        try:
            fields_ = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
            total += int(fields_[11]) + int(fields_[12])  # utime, stime
        except (OSError, IndexError, ValueError):
            pass
    return total / TICK


def machine_busy_seconds(irq_only: bool = False) -> float:
    """CPU seconds used on the machine (all cores) from /proc/stat; or only the interrupt
    and softirq time (loopback TCP is largely processed there, attributed to no process)."""
    try:
        v = [int(x) for x in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:9]]
    except (OSError, ValueError):
        return float("nan")
    user, nice, system, _idle, _iowait, irq, softirq, steal = v
    if irq_only:
        return (irq + softirq) / TICK
    return (user + nice + system + irq + softirq + steal) / TICK


def machine_load(seconds: float = 2.0) -> float:
    """Percent of all cores busy over ``seconds`` (before the load: is the machine quiet?)."""
    t, b = time.monotonic(), machine_busy_seconds()
    time.sleep(seconds)
    return 100 * (machine_busy_seconds() - b) / ((time.monotonic() - t) * os.cpu_count())


def postgres_pids() -> list[int]:
    pids = []
    for d in Path("/proc").iterdir():
        if d.name.isdigit():
            try:
                if (d / "comm").read_text().strip() == "postgres":
                    pids.append(int(d.name))
            except OSError:
                pass
    return pids


# --------------------------------------------------------------------------- load

@dataclass
class Job:
    kind: str  # "health", "first" or "retry"
    token: str | None = None
    body: dict | None = None
    retry: bool = False  # for "first": schedule a retry once acknowledged


@dataclass
class PhaseResult:
    name: str
    sent: int = 0
    seconds: float = 0.0
    latencies: dict = field(default_factory=lambda: {"health": [], "first": [], "retry": []})
    errors: list = field(default_factory=list)  # (kind, status, detail)
    unsent: int = 0
    timed_out: bool = False
    cpu: dict = field(default_factory=dict)

    def all_latencies(self) -> list[float]:
        return [x for v in self.latencies.values() for x in v]

    @property
    def rate(self) -> float:
        return self.sent / self.seconds if self.seconds else 0.0


def pct(values: list[float], p: float) -> float:
    """Nearest-rank percentile, in ms."""
    if not values:
        return float("nan")
    s = sorted(values)
    return s[max(0, math.ceil(p / 100 * len(s)) - 1)] * 1000


def diary_body(tz: ZoneInfo, score: int) -> dict:
    now_local = datetime.now(tz)
    return {"diary_date": now_local.date().isoformat(), "score": score,
            "client_id": str(uuid.uuid4()), "device_time": now_local.isoformat()}


class Load:
    def __init__(self, http: aiohttp.ClientSession, tz: ZoneInfo, concurrency: int,
                 server_pids, stop_at: float):
        self.http, self.tz, self.concurrency = http, tz, concurrency
        self.server_pids, self.stop_at = server_pids, stop_at
        self.acked: dict[str, tuple[str, str]] = {}  # client_id -> (entry id, token)
        self.retries_ok = 0

    async def phase(self, name: str, jobs: list[Job], seconds: float) -> PhaseResult:
        res = PhaseResult(name)
        queue = deque(jobs)
        deadline = min(time.monotonic() + seconds, self.stop_at)
        pg = postgres_pids()
        app_pids = self.server_pids()
        cpu0 = (cpu_seconds(app_pids), cpu_seconds(pg), time.process_time(),
                machine_busy_seconds(), machine_busy_seconds(irq_only=True))

        async def worker():
            while queue:
                if time.monotonic() >= deadline:
                    res.timed_out = True
                    return
                job = queue.popleft()
                await self._one(job, res, queue)

        t0 = time.perf_counter()
        await asyncio.gather(*(worker() for _ in range(self.concurrency)))
        res.seconds = time.perf_counter() - t0
        res.unsent = len(queue)
        res.cpu = {"app": cpu_seconds(app_pids) - cpu0[0],
                   "postgres": max(0.0, cpu_seconds(pg) - cpu0[1]),  # a backend may exit
                   "loadgen": time.process_time() - cpu0[2]}
        res.cpu["irq"] = machine_busy_seconds(irq_only=True) - cpu0[4]
        # Whatever else ran on the machine meanwhile (other jobs, gunicorn's master...).
        res.cpu["other"] = max(0.0, machine_busy_seconds() - cpu0[3] - sum(res.cpu.values()))
        return res

    async def _one(self, job: Job, res: PhaseResult, queue: deque) -> None:
        if job.kind == "health":
            method, path, kw = "GET", HEALTH, {}
        else:
            method, path = "POST", ENTRIES
            kw = {"json": job.body, "headers": {"Authorization": f"Bearer {job.token}"}}
        status, data = None, b""
        t = time.perf_counter()
        try:
            async with self.http.request(method, path, **kw) as r:
                data = await r.read()
                status = r.status
        except (TimeoutError, aiohttp.ClientError, OSError) as exc:
            data = repr(exc).encode()
        elapsed = time.perf_counter() - t
        res.sent += 1
        res.latencies[job.kind].append(elapsed)
        problem = self._check(job, status, data, queue)
        if problem:
            res.errors.append((job.kind, status, problem))

    def _check(self, job: Job, status, data: bytes, queue: deque) -> str | None:
        if job.kind == "health":
            return None if status == 200 else data[:200].decode(errors="replace")
        try:
            body = json.loads(data) if data else {}
        except ValueError:
            body = {}
        cid = job.body["client_id"]
        if job.kind == "first":
            if status != 201 or body.get("client_id") != cid or body.get("version") != 1:
                return data[:300].decode(errors="replace")
            self.acked[cid] = (body["id"], job.token)
            if job.retry:
                queue.insert(min(len(queue), RETRY_GAP), Job("retry", job.token, job.body))
            return None
        # A retry of an acknowledged submission: 200 and the original entry.
        if status != 200 or body.get("id") != self.acked[cid][0]:
            return f"retry: {data[:300].decode(errors='replace')}"
        self.retries_ok += 1
        return None


def other_pct(p: PhaseResult) -> float:
    return 100 * p.cpu["other"] / (p.seconds * os.cpu_count()) if p.seconds else float("nan")


def submission_jobs(tokens: list[str], tz: ZoneInfo, retry_every: int) -> list[Job]:
    # Bodies are built now, dated "today" in the participant's zone; entries for today are
    # accepted until noon tomorrow (late-entry limit), so a run crossing midnight is fine.
    return [Job("first", tok, diary_body(tz, i % 11),
                retry=bool(retry_every) and i % retry_every == retry_every - 1)
            for i, tok in enumerate(tokens)]


async def run_load(a, base: str, tokens: list[str], gunicorn: Gunicorn) -> tuple[list, Load]:
    tz = ZoneInfo(a.timezone)
    connector = aiohttp.TCPConnector(limit=a.concurrency)
    timeout = aiohttp.ClientTimeout(total=10)
    stop_at = time.monotonic() + a.max_seconds
    rounds = []
    async with aiohttp.ClientSession(base_url=base, connector=connector, timeout=timeout) as http:
        load = Load(http, tz, a.concurrency, gunicorn.worker_pids, stop_at)
        it = iter(tokens)

        def take(n):
            return [next(it) for _ in range(n)]

        # Warm-up (not reported): worker imports, protocol cache, connection pools.
        await load.phase("warmup-health", [Job("health")] * a.warmup, a.phase_seconds)
        warm = await load.phase("warmup-diary", submission_jobs(take(a.warmup), tz, 0),
                                a.phase_seconds)
        if warm.errors:
            raise SetupError(f"warm-up submissions failed: {warm.errors[:3]}")
        for r in range(a.rounds):
            if time.monotonic() >= stop_at:
                break
            h = await load.phase(f"health-{r + 1}", [Job("health")] * a.health_requests,
                                 a.phase_seconds)
            d = await load.phase(f"diary-{r + 1}",
                                 submission_jobs(take(a.submissions), tz, a.retry_every),
                                 a.phase_seconds)
            rounds.append((h, d))
            print(f"  round {r + 1}: health {h.rate:7.1f}/s p50 {pct(h.all_latencies(), 50):6.1f}"
                  f" p99 {pct(h.all_latencies(), 99):6.1f} ms err {len(h.errors)}"
                  f"{' TIME-LIMITED' if h.timed_out else ''} | diary {d.rate:7.1f}/s p50 "
                  f"{pct(d.all_latencies(), 50):6.1f} p99 {pct(d.all_latencies(), 99):6.1f} ms "
                  f"err {len(d.errors)} (first {len(d.latencies['first'])}, retries "
                  f"{len(d.latencies['retry'])}){' TIME-LIMITED' if d.timed_out else ''}"
                  f" | others {other_pct(h):.0f}%/{other_pct(d):.0f}% CPU",
                  flush=True)
    return rounds, load
