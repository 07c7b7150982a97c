"""The tick's bucket path (PostgreSQL) writes exactly what the one-by-one planner writes.

Every tick below runs twice from the same database state, once with the set-based bucket
path and once planning everyone one by one, and both must leave the same outbox rows
(all columns but the random id) and the same cursors. The cohort mixes participants who
share a bucket with the exceptions: their own reminder time, opted out, withdrawn, no
phone, French texts, pending messages, diary entries, windows, ids that JSON escapes; in
Paris, Chicago and Kolkata, hour by hour across the spring and autumn clock changes of
2027.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import insert, text

from diary.db.engine import make_engine, make_session_factory
from diary.db.messaging import OutboxMessage, ReminderCursor
from diary.db.models import AnchorEvent, DiaryEntry, Participant, new_id
from diary.services.principals import cli_principal
from diary.services.studies import create_study
from notifications import bucket_planner
from notifications.planning.model import reminder_key
from notifications.tick import plan_all
from tests.conftest import PROTOCOLS

pytestmark = pytest.mark.postgres

ZONES = ("Europe/Paris", "America/Chicago", "Asia/Kolkata")
# Hourly ticks over the spring changes (Chicago 14 March, Paris 28 March) and the autumn
# ones (Paris 31 October, Chicago 7 November).
SPANS = [(datetime(2027, 3, 13, 12, tzinfo=UTC), 50),
         (datetime(2027, 3, 27, 12, tzinfo=UTC), 50),
         (datetime(2027, 10, 30, 12, tzinfo=UTC), 50),
         (datetime(2027, 11, 6, 12, tzinfo=UTC), 50)]
INFUSIONS = (datetime(2027, 3, 10, 8, tzinfo=UTC), datetime(2027, 10, 20, 8, tzinfo=UTC))


def _cohort(engine) -> dict[str, str]:
    """The crossover study and its participants; returns each participant's situation."""
    factory = make_session_factory(engine)
    source = (PROTOCOLS / "crossover-ketamine-magnesium.yaml").read_text()
    with factory() as s:
        study, *_ = create_study(s, cli_principal(), source=source,
                                 now=datetime(2027, 1, 1, tzinfo=UTC))
        study_id = study.id
    people, events, entries, cursors, pending, who = [], [], [], [], [], {}
    n = 0

    def add(situation: str, tz: str, infusion: datetime, pid: str | None = None,
            **fields) -> str:
        nonlocal n
        n += 1
        pid = pid or new_id()
        who[pid] = situation
        people.append({"id": pid, "study_id": study_id, "subject_id": f"T{n:04d}",
                       "site": "CFD01", "sequence": "S1", "timezone": tz, "language": "en",
                       "reminder_time": "20:00", "phone_index": f"idx-{n}",
                       "enrolled_at": infusion - timedelta(days=9), **fields})
        events.append({"id": new_id(), "participant_id": pid, "type": "infusion",
                       "period": 1, "occurred_at": infusion, "recorded_at": infusion})
        cursors.append({"participant_id": pid, "next_due_at": None})
        return pid

    for infusion in INFUSIONS:
        for tz in ZONES:
            for _ in range(4):  # four alike: one bucket
                add("plain", tz, infusion)
            for _ in range(2):  # two of each: buckets of their own
                add("own time", tz, infusion, reminder_time="21:30", reminder_time_chosen=True)
                add("own time", tz, infusion, reminder_time="18:15", reminder_time_chosen=True)
                add("opted out", tz, infusion, sms_opted_out_at=infusion + timedelta(days=5))
                add("withdrawn", tz, infusion, withdrawn_at=infusion + timedelta(days=6))
                add("no phone", tz, infusion, phone_index=None)
                add("french", tz, infusion, language="fr")  # texts in their language
            add("later infusion", tz, infusion + timedelta(days=3, hours=5))
            for odd in ('"', "\\", "é"):  # ids the keys' SQL cannot take as they are
                add("odd id", tz, infusion, pid=f"{odd}{new_id()[:30]}")
            for _ in range(2):  # entries every other day: missed-day streaks differ
                pid = add("entries", tz, infusion)
                entries += [{"id": new_id(), "participant_id": pid, "diary_date": day,
                             "score": 4, "client_id": new_id(), "received_at": infusion,
                             "channel": "app"}
                            for day in _days(infusion.date() - timedelta(days=7), 40, 2)]
            pid = add("pending", tz, infusion)
            pending.append(_pending_row(study_id, pid, infusion.date() + timedelta(days=2)))
    with engine.begin() as conn:
        conn.execute(insert(Participant.__table__), people)
        conn.execute(insert(AnchorEvent.__table__), events)
        conn.execute(insert(DiaryEntry.__table__), entries)
        conn.execute(insert(ReminderCursor.__table__), cursors)
        conn.execute(insert(OutboxMessage.__table__), pending)
    return who


def _days(first: date, count: int, step: int) -> list[date]:
    return [first + timedelta(days=k) for k in range(0, count, step)]


def _pending_row(study_id: int, pid: str, day: date) -> dict:
    """A pending diary reminder for a day far ahead (left by an earlier plan)."""
    at = datetime(day.year, day.month, day.day, 19, tzinfo=UTC)
    return {"id": new_id(), "key": reminder_key(pid, "diary", day.isoformat(), 0),
            "study_id": study_id, "participant_id": pid, "channel": "sms",
            "audience": "participant", "kind": "diary", "target": day.isoformat(),
            "reminder_attempt": 0, "body": "old text", "planned_at": at - timedelta(days=3),
            "due_at": at, "expires_at": at + timedelta(hours=2), "state": "pending",
            "send_attempts": 0, "next_attempt_at": at, "outcome_unknown": False}


OUTBOX_COLUMNS = [c.name for c in OutboxMessage.__table__.columns if c.name != "id"]


def _state(engine) -> tuple[list, list]:
    with engine.connect() as conn:
        rows = sorted(tuple(r) for r in conn.execute(text(
            f"SELECT {', '.join(OUTBOX_COLUMNS)} FROM outbox_messages")))
        cursors = conn.execute(text(
            "SELECT participant_id, next_due_at, planned_at FROM reminder_cursors "
            "ORDER BY participant_id")).all()
    return rows, cursors


def _restore(engine, rows: list, cursors: list) -> None:
    columns = ", ".join(OUTBOX_COLUMNS)
    marks = ", ".join(f":{c}" for c in OUTBOX_COLUMNS)
    with engine.begin() as conn:
        conn.execute(text("DELETE FROM outbox_messages"))
        if rows:
            conn.execute(text(f"INSERT INTO outbox_messages (id, {columns}) "
                              f"VALUES (gen_random_uuid()::text, {marks})"),
                         [dict(zip(OUTBOX_COLUMNS, r, strict=True)) for r in rows])
        conn.execute(text("UPDATE reminder_cursors SET next_due_at = :due, planned_at = :at "
                          "WHERE participant_id = :pid"),
                     [{"pid": p, "due": due, "at": at} for p, due, at in cursors])


def test_bucket_path_writes_what_the_one_by_one_planner_writes(database_url, monkeypatch):
    copied = []  # the representatives whose plan was copied to their bucket
    plan_representatives = bucket_planner._plan_representatives

    def recording(*args, **kwargs):
        copies = plan_representatives(*args, **kwargs)
        copied.extend(copies)
        return copies

    monkeypatch.setattr(bucket_planner, "_plan_representatives", recording)
    ways = set()  # the common pass's statement, the bucket passes' statement
    copy = bucket_planner._copy

    def noting(session, copies, now, members, params):
        ways.add(members)
        return copy(session, copies, now, members, params)

    monkeypatch.setattr(bucket_planner, "_copy", noting)
    engine = make_engine(database_url)
    try:
        who = _cohort(engine)
        factory = make_session_factory(engine)
        bucketed, left = 0, 0
        for start, hours in SPANS:
            with engine.begin() as conn:  # each span starts with everyone due
                conn.execute(text("UPDATE reminder_cursors SET next_due_at = :now "
                                  "WHERE participant_id IN (SELECT id FROM participants "
                                  "WHERE withdrawn_at IS NULL)"), {"now": start})
            for hour in range(hours):
                now = start + timedelta(hours=hour)
                before = _state(engine)
                by_bucket = plan_all(factory, now)
                got = _state(engine)
                _restore(engine, *before)
                one_by_one = plan_all(factory, now, buckets=False)
                assert _state(engine) == got, f"tick at {now:%Y-%m-%d %H:%M}Z"
                assert by_bucket.participants == one_by_one.participants
                assert by_bucket.inserted == one_by_one.inserted
                bucketed += by_bucket.bucketed
                left += by_bucket.participants - by_bucket.bucketed
        assert bucketed > 0 and left > 0  # both paths ran
        assert {"plain", "own time", "opted out", "no phone", "french"} <= {
            who[p] for p in copied}
        assert ways == {bucket_planner.COMMON_MEMBERS, bucket_planner.BUCKET_MEMBERS}
    finally:
        engine.dispose()


def test_bucket_path_plans_the_common_reminder_and_leaves_the_exceptions(database_url):
    """At 20:00 in Paris on a diary day, the plain participants go set-based (one bucket),
    and those with pending messages are planned one by one, with the same result."""
    engine = make_engine(database_url)
    try:
        who = _cohort(engine)
        now = datetime(2027, 3, 15, 19, tzinfo=UTC)  # 20:00 in Paris, day 5
        with engine.begin() as conn:
            conn.execute(text("UPDATE reminder_cursors SET next_due_at = :now"), {"now": now})
        stats = plan_all(make_session_factory(engine), now)
        with engine.connect() as conn:
            rows = conn.execute(text(
                "SELECT participant_id, kind, state FROM outbox_messages")).all()
        plain = {p for p, s in who.items() if s == "plain"}
        paris_plain = {p for p, kind, state in rows if p in plain and kind == "diary"
                       and state == "pending"}
        assert len(paris_plain) >= 4 and stats.bucketed >= 4
        assert stats.participants == len(who)
    finally:
        engine.dispose()
