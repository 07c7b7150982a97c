"""Benchmark of the reminder scheduler on PostgreSQL (issue "Reminders and SMS").

100,000 active participants of the crossover protocol, each with an infusion, written in
bulk. At 20:00 Paris time on a diary day, 1 %, 10 % and 100 % of the reminder cursors are
made due and one planning pass (``plan_all``) is timed; its baseline is what any planner
pays: the bare loading of the same participants' rows (``load_inputs``) plus the
database's own time to store the tick's result (the same outbox rows inserted again from a
table, the same cursors updated; rolled back); ratio = tick / (load + write floors). The
set-based floor (issue 16) is ONE statement that claims the due cursors ``FOR UPDATE SKIP
LOCKED``, inserts the same outbox rows and moves the same cursors, commit included; it is
checked to write exactly what the tick wrote; ratio = tick / set-based floor.
Then the planned messages are dispatched through the real Twilio SDK to the local fake (in
a process of its own) with the rate limit lifted (messages/s), against a baseline of plain
``requests`` POSTs of the same messages to the same fake; and a short run with a
configured rate checks it is never exceeded. Medians of ``--runs`` runs.

Each run works in a PostgreSQL database of its own, ``paindiary_bench_reminders_<pid>``,
created through the maintenance database of ``--server-url`` and dropped at the end,
always (also on an error or SIGTERM), so runs never meet each other's data.

    python bench/reminders.py [--participants 100000] [--runs 3] [--server-url URL]
                              [--fractions 0.01,0.1,1] [--dispatch 2000 (0: skip)]
"""

from __future__ import annotations

import argparse
import os
import signal
import statistics
import subprocess
import sys
import time
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

import requests  # noqa: E402
from _databases import pg_database  # noqa: E402
from sqlalchemy import insert, text, update  # noqa: E402

from diary.db.engine import make_engine, make_session_factory  # noqa: E402
from diary.db.messaging import ReminderCursor  # noqa: E402
from diary.db.migrate import upgrade  # noqa: E402
from diary.db.models import AnchorEvent, Participant, new_id  # noqa: E402
from diary.security import PhoneVault  # noqa: E402
from diary.services.principals import cli_principal  # noqa: E402
from diary.services.studies import create_study  # noqa: E402
from notifications.dispatch import Dispatcher  # noqa: E402
from notifications.loading import load_inputs  # noqa: E402
from notifications.ratelimit import RateLimiter  # noqa: E402
from notifications.tick import ALERT_FOR, plan_all  # noqa: E402
from notifications.transport import TwilioTransport  # noqa: E402
from tests.fakes.twilio_api import (  # noqa: E402
    DEFAULT_ACCOUNT_SID,
    DEFAULT_AUTH_TOKEN,
    DEFAULT_FROM,
)

PARIS = ZoneInfo("Europe/Paris")
INFUSION = datetime(2027, 3, 1, 8, tzinfo=UTC)
NOW = datetime(2027, 3, 10, 20, tzinfo=PARIS).astimezone(UTC)  # day 9, 20:00 in Paris
SECRET = "paindiary-bench-secret-key-" + "x" * 32
LIMITED_RATE, LIMITED_COUNT = 50, 300  # the rate-limit check: 300 messages at 50/s


def populate(engine, n: int) -> None:
    """The study through the service; participants, events and cursors in bulk."""
    factory = make_session_factory(engine)
    source = (ROOT / "protocols" / "crossover-ketamine-magnesium.yaml").read_text()
    with factory() as s:
        study, *_ = create_study(s, cli_principal(), source=source,
                                now=INFUSION - timedelta(days=10))
        study_id = study.id
    vault = PhoneVault(SECRET)
    enrolled = INFUSION - timedelta(days=9)
    with engine.begin() as conn:
        for start in range(0, n, 10_000):
            people, events, cursors = [], [], []
            for i in range(start, min(n, start + 10_000)):
                pid, phone = new_id(), f"+3361{i:07d}"
                people.append({
                    "id": pid, "study_id": study_id, "subject_id": f"B{i:06d}",
                    "site": "CFD01", "arm": None, "sequence": "S1", "timezone": "Europe/Paris",
                    "language": "en", "reminder_time": "20:00",
                    "phone_encrypted": vault.encrypt(phone), "phone_index": vault.index(phone),
                    "enrolled_at": enrolled})
                events.append({"id": new_id(), "participant_id": pid, "type": "infusion",
                               "period": 1, "occurred_at": INFUSION, "recorded_at": INFUSION})
                cursors.append({"participant_id": pid, "next_due_at": None})
            conn.execute(insert(Participant.__table__), people)
            conn.execute(insert(AnchorEvent.__table__), events)
            conn.execute(insert(ReminderCursor.__table__), cursors)
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.execute(text("VACUUM ANALYZE"))  # as autovacuum would, before any tick is timed


def make_due(engine, fraction: float, count: int | None = None) -> list[str]:
    """Reset: an empty outbox, ``fraction`` (or ``count``) of the cursors due now, the
    rest tomorrow; then vacuumed, as autovacuum keeps a live database (the reset rewrites
    every cursor: without it each run would find more dead rows than the last)."""
    with engine.begin() as conn:
        conn.execute(text("TRUNCATE outbox_messages"))
        ids = [r[0] for r in conn.execute(text(
            "SELECT participant_id FROM reminder_cursors ORDER BY participant_id"))]
        due = ids[:count if count is not None else round(len(ids) * fraction)]
        conn.execute(update(ReminderCursor).values(next_due_at=NOW + timedelta(days=1)))
        for start in range(0, len(due), 5000):
            conn.execute(update(ReminderCursor).where(
                ReminderCursor.participant_id.in_(due[start:start + 5000]))
                .values(next_due_at=NOW))
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.execute(text("VACUUM (ANALYZE) reminder_cursors, outbox_messages"))
    return due


def time_planning(engine, fraction: float, runs: int) -> dict[str, float]:
    """Medians of the tick, its load and write floors, and the set-based floor, each
    measured in the same run on the same reset database."""
    factory = make_session_factory(engine)
    took: dict[str, list[float]] = {"tick": [], "load": [], "write": [], "set": []}
    planned = bucketed = 0
    for _ in range(runs):
        due = make_due(engine, fraction)
        t0 = time.perf_counter()
        with factory() as s:
            load_inputs(s, due, NOW, ALERT_FOR)
        took["load"].append(time.perf_counter() - t0)
        t0 = time.perf_counter()
        stats = plan_all(factory, NOW)
        took["tick"].append(time.perf_counter() - t0)
        planned, bucketed = stats.inserted, stats.bucketed
        assert stats.participants == len(due), stats
        took["write"].append(time_writes(engine, due))
        took["set"].append(time_set_based(engine, fraction))
    medians = {name: statistics.median(values) for name, values in took.items()}
    medians["planned"], medians["bucketed"] = planned, bucketed
    return medians


OUTCOME = ("SELECT key, study_id, participant_id, channel, audience, kind, target, "
           "reminder_attempt, body, due_at, expires_at, state, next_attempt_at "
           "FROM outbox_messages")


def time_set_based(engine, fraction: float) -> float:
    """The set-based floor: ONE statement claims the due cursors (``FOR UPDATE SKIP
    LOCKED``), inserts the same outbox rows as the tick just did and moves the same
    cursors to the same next instant, commit included; no Python per participant.

    Called right after a tick: the tick's rows and cursors are read back as the answer,
    the database is reset to the same due cursors, the statement runs, and its result
    must equal the tick's. Everyone due here shares one bucket (zone, reminder time,
    language, study: the common daily reminder), so each kind's text is rendered once and
    the coordinator alert's subject is filled in by the statement; keys are the same
    ``instance_id`` hash, computed by PostgreSQL.
    """
    with engine.connect() as conn:
        expected = sorted(tuple(r) for r in conn.execute(text(OUTCOME)))
        moved = conn.execute(text(
            "SELECT participant_id, next_due_at FROM reminder_cursors "
            "WHERE planned_at = :now ORDER BY participant_id"), {"now": NOW}).all()
        kinds = conn.execute(text(
            "SELECT DISTINCT o.channel, o.audience, o.kind, o.target, o.reminder_attempt, "
            "replace(o.body, p.subject_id, '{subject}'), o.due_at, o.expires_at "
            "FROM outbox_messages o JOIN participants p ON p.id = o.participant_id")).all()
    nexts = {due for _, due in moved}
    assert len(nexts) == 1, f"one bucket, one next instant: {nexts}"
    make_due(engine, fraction)
    values = ", ".join(
        f"(:channel{n}, :audience{n}, :kind{n}, :target{n}, :attempt{n}, :body{n}, "
        f"CAST(:due{n} AS timestamptz), CAST(:expires{n} AS timestamptz))"
        for n in range(len(kinds)))
    params: dict[str, object] = {"now": NOW, "next": nexts.pop()}
    for n, (channel, audience, kind, target, attempt, body, due, expires) in enumerate(kinds):
        params.update({f"channel{n}": channel, f"audience{n}": audience, f"kind{n}": kind,
                       f"target{n}": target, f"attempt{n}": attempt, f"body{n}": body,
                       f"due{n}": due, f"expires{n}": expires})
    statement = text(f"""
        WITH due AS (
            SELECT participant_id FROM reminder_cursors WHERE next_due_at <= :now
            FOR UPDATE SKIP LOCKED
        ), inserted AS (
            INSERT INTO outbox_messages (id, key, study_id, participant_id, channel,
                audience, kind, target, reminder_attempt, body, planned_at, due_at,
                expires_at, state, send_attempts, next_attempt_at, outcome_unknown)
            SELECT gen_random_uuid()::text,
                   left(encode(sha256(convert_to('["reminder","' || p.id || '","' || k.kind
                        || '","' || k.target || '","' || k.attempt || '"]', 'UTF8')),
                        'hex'), 32),
                   p.study_id, p.id, k.channel, k.audience, k.kind, k.target, k.attempt,
                   replace(k.body, '{{subject}}', p.subject_id), :now, k.due, k.expires,
                   'pending', 0, k.due, false
            FROM due JOIN participants p ON p.id = due.participant_id
            CROSS JOIN (VALUES {values})
                AS k(channel, audience, kind, target, attempt, body, due, expires)
            ON CONFLICT (key) DO NOTHING
        )
        UPDATE reminder_cursors c SET next_due_at = :next, planned_at = :now
        FROM due WHERE c.participant_id = due.participant_id""")
    with engine.connect() as conn:
        t0 = time.perf_counter()
        # The best the database can do: no JIT compilation of a per-row plan (the tick's
        # bucket path turns it off too), whatever the cost estimate says.
        conn.execute(text("SET LOCAL jit = off"))
        conn.execute(statement, params)
        conn.commit()
        took = time.perf_counter() - t0
        got = sorted(tuple(r) for r in conn.execute(text(OUTCOME)))
        got_moved = conn.execute(text(
            "SELECT participant_id, next_due_at FROM reminder_cursors "
            "WHERE planned_at = :now ORDER BY participant_id"), {"now": NOW}).all()
    assert got == expected and got_moved == moved, "the set-based floor wrote other rows"
    return took


def time_writes(engine, due: list[str]) -> float:
    """The database's own share: the tick's outbox rows inserted again from a table and the
    same cursors updated, in one transaction (rolled back), with no planning at all."""
    with engine.connect() as conn:
        with conn.begin() as tx:  # rolled back: the temporary table goes with it
            conn.execute(text("CREATE TEMP TABLE planned AS SELECT * FROM outbox_messages"))
            conn.execute(text("TRUNCATE outbox_messages"))
            t0 = time.perf_counter()
            conn.execute(text("INSERT INTO outbox_messages SELECT * FROM planned "
                              "ON CONFLICT (key) DO NOTHING"))
            conn.execute(text(
                "UPDATE reminder_cursors SET next_due_at = :later, planned_at = :now "
                "WHERE participant_id = ANY(string_to_array(:ids, ','))"),
                {"later": NOW + timedelta(days=1), "now": NOW, "ids": ",".join(due)})
            took = time.perf_counter() - t0
            tx.rollback()
    return took


def time_dispatch(engine, count: int, runs: int, rate: float | None, workers: int
                  ) -> tuple[float, float, float]:
    """Messages/s through the dispatcher and the SDK, and for plain POSTs (the baseline);
    and the most sends that started within any one second."""
    factory = make_session_factory(engine)
    vault = PhoneVault(SECRET)
    ours, floors, busiest = [], [], 0
    for _ in range(runs):
        make_due(engine, 0, count=count)
        plan_all(factory, NOW)
        with engine.begin() as conn:  # one message per participant: the evening reminder
            conn.execute(text("DELETE FROM outbox_messages WHERE kind <> 'diary'"))
            bodies = [(r[0], r[1]) for r in conn.execute(text(
                "SELECT p.phone_encrypted, o.body FROM outbox_messages o JOIN participants p "
                "ON p.id = o.participant_id"))]
        with fake_twilio_process() as fake, TwilioTransport(
                fake.account_sid, fake.auth_token, from_number=DEFAULT_FROM,
                base_url=fake.base_url, timeout=10) as transport:
            timed = Timed(transport)
            dispatcher = Dispatcher(factory, timed, vault, lambda: NOW, RateLimiter(rate),
                                    batch=100, workers=workers)
            t0 = time.perf_counter()
            stats = dispatcher.run()
            ours.append(stats.sent / (time.perf_counter() - t0))
            assert stats.sent == count and fake.count() == count, stats
            busiest = max(busiest, max_in_any_second(sorted(timed.starts)))
            url = f"{fake.base_url}/2010-04-01/Accounts/{fake.account_sid}/Messages.json"
            with requests.Session() as http:
                t0 = time.perf_counter()
                for blob, body in bodies:
                    http.post(url, data={"To": vault.decrypt(blob), "From": DEFAULT_FROM,
                                         "Body": body},
                              auth=(fake.account_sid, fake.auth_token), timeout=10)
                floors.append(len(bodies) / (time.perf_counter() - t0))
    return statistics.median(ours), statistics.median(floors), busiest


class RemoteFake:
    """The Twilio fake in a process of its own, as Twilio is: it must not share this
    process's interpreter lock with the dispatcher (nor with the baseline)."""

    account_sid, auth_token = DEFAULT_ACCOUNT_SID, DEFAULT_AUTH_TOKEN

    def __init__(self, base_url: str) -> None:
        self.base_url = base_url

    def count(self) -> int:
        url = f"{self.base_url}/2010-04-01/Accounts/{self.account_sid}/Messages.json"
        total, page = 0, requests.get(url, params={"PageSize": 1000}, timeout=30,
                                      auth=(self.account_sid, self.auth_token)).json()
        while True:
            total += len(page["messages"])
            if not page.get("next_page_uri"):
                return total
            page = requests.get(self.base_url + page["next_page_uri"], timeout=30,
                                auth=(self.account_sid, self.auth_token)).json()


@contextmanager
def fake_twilio_process():
    code = ("import sys; from tests.fakes.twilio_api import FakeTwilio\n"
            "with FakeTwilio() as f:\n    print(f.base_url, flush=True); sys.stdin.read()")
    proc = subprocess.Popen([sys.executable, "-c", code], cwd=ROOT, stdin=subprocess.PIPE,
                            stdout=subprocess.PIPE, text=True)
    try:
        yield RemoteFake(proc.stdout.readline().strip())
    finally:
        proc.stdin.close()
        proc.wait(timeout=30)


class Timed:
    """A transport that notes when each send starts (to check the rate limit)."""

    def __init__(self, transport: TwilioTransport) -> None:
        self.transport, self.starts = transport, []

    def send(self, sms):
        self.starts.append(time.monotonic())
        return self.transport.send(sms)

    def find_sent(self, to, after):
        return self.transport.find_sent(to, after)


def max_in_any_second(starts: list[float]) -> int:
    best, j = 0, 0
    for i, t in enumerate(starts):
        while starts[j] <= t - 1.0:
            j += 1
        best = max(best, i - j + 1)
    return best


def _term(signum, _frame):
    raise SystemExit(128 + signum)  # so that main's finally drops the run's database


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--participants", type=int, default=100_000)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--dispatch", type=int, default=2000,
                        help="messages per dispatch run (0: skip the dispatch runs)")
    parser.add_argument("--fractions", default="0.01,0.1,1",
                        type=lambda v: [float(f) for f in v.split(",")],
                        help="fractions of the participants due, comma-separated")
    parser.add_argument("--workers", type=int, default=8, help="parallel senders")
    parser.add_argument("--server-url", default="postgresql://postgres@127.0.0.1:5432/postgres",
                        help="maintenance database used to CREATE/DROP the run's database")
    args = parser.parse_args()
    if args.dispatch and args.participants < max(args.dispatch, LIMITED_COUNT):
        parser.error(f"--participants must be at least --dispatch and {LIMITED_COUNT} "
                     "(one message per participant is dispatched)")
    signal.signal(signal.SIGTERM, _term)
    name = f"paindiary_bench_reminders_{os.getpid()}"
    url = pg_database(args.server_url, name, create=True)
    try:
        run(url, args)
    finally:
        try:
            pg_database(args.server_url, name, create=False)
        except Exception as exc:  # do not hide the run's own outcome
            print(f"WARNING: could not drop database {name}: {exc}", file=sys.stderr)


def run(url: str, args: argparse.Namespace) -> None:
    """Populate the run's database, then time planning and dispatch."""
    engine = make_engine(url)
    try:
        upgrade(engine)
        t0 = time.perf_counter()
        populate(engine, args.participants)
        print(f"{args.participants:,} participants written in {time.perf_counter() - t0:.1f} s; "
              f"tick at {NOW.astimezone(PARIS):%Y-%m-%d %H:%M %Z}; medians of {args.runs} runs")
        print("(the 100 % row is a single run)")
        print(f"{'due':>6} {'participants':>12} {'planned':>8} {'tick (s)':>9} "
              f"{'set-based floor (s)':>20} {'tick/set':>9} {'load floor (s)':>15} "
              f"{'write floor (s)':>16} {'tick/(load+write)':>18}")
        for fraction in args.fractions:
            # All due is ten times the work of 10 %: one run says enough about its growth.
            runs = args.runs if fraction < 1 else 1
            m = time_planning(engine, fraction, runs)
            due = round(args.participants * fraction)
            print(f"{fraction:>6.0%} {due:>12,} {m['planned']:>8,} {m['tick']:>9.3f} "
                  f"{m['set']:>20.3f} {m['tick'] / m['set']:>9.2f} {m['load']:>15.3f} "
                  f"{m['write']:>16.3f} {m['tick'] / (m['load'] + m['write']):>18.1f}")
            print(f"       (planned set-based per bucket: {m['bucketed']:,} of {due:,} due)")
        print(f"load average: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
        if not args.dispatch:
            return
        ours, floor, busiest = time_dispatch(engine, args.dispatch, args.runs, None, args.workers)
        print(f"dispatch ({args.workers} senders), no rate limit: {ours:.0f} msg/s; "
              f"plain POSTs to the fake, one by one: {floor:.0f} msg/s; ratio {ours / floor:.2f}")
        _, _, busiest = time_dispatch(engine, LIMITED_COUNT, 1, LIMITED_RATE, args.workers)
        print(f"dispatch at SMS_RATE={LIMITED_RATE}: at most {busiest} sends in any second "
              f"({'never exceeded' if busiest <= LIMITED_RATE else 'EXCEEDED'})")
    finally:
        engine.dispose()


if __name__ == "__main__":
    main()
