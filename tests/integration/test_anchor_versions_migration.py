"""Migration 0007_anchor_versions: events recorded before it become confirmed version 1."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlalchemy import MetaData, insert, select

from diary.db.engine import make_engine
from diary.db.migrate import downgrade, upgrade

AT = datetime(2027, 3, 1, 8, tzinfo=UTC)


@pytest.fixture
def engine(database_url):
    engine = make_engine(database_url)
    yield engine
    engine.dispose()


def test_events_recorded_before_the_migration_become_confirmed_version_1(engine):
    downgrade(engine, "0006_entry_source")
    # Reflected (plain) columns: PostgreSQL takes the aware instant, SQLite's naive UTC.
    stamp = AT if engine.dialect.name == "postgresql" else AT.replace(tzinfo=None)
    old = MetaData()
    old.reflect(engine, only=["studies", "participants", "anchor_events"])
    studies, people, events = (old.tables[n] for n in ("studies", "participants",
                                                       "anchor_events"))
    with engine.begin() as conn:
        conn.execute(insert(studies).values(id=1, key="s", title="S", current_version=1,
                                            created_at=stamp))
        conn.execute(insert(people).values(
            id="p1", study_id=1, subject_id="S001", site="PAR", timezone="Europe/Paris",
            language="en", reminder_time="", enrolled_at=stamp))
        conn.execute(insert(events).values(
            id="e1", participant_id="p1", type="infusion", period=2,
            occurred_at=stamp, recorded_at=stamp))
    upgrade(engine)
    new = MetaData()
    new.reflect(engine, only=["anchor_events", "anchor_event_versions"])
    with engine.connect() as conn:
        event = conn.execute(select(new.tables["anchor_events"])).mappings().one()
        version = conn.execute(select(new.tables["anchor_event_versions"])).mappings().one()
    assert (event["status"], event["date_only"], event["version"]) == ("confirmed", False, 1)
    assert {k: version[k] for k in ("id", "event_id", "version", "action", "status",
                                    "period", "date_only", "reason")} == {
        "id": "e1", "event_id": "e1", "version": 1, "action": "record", "status": "confirmed",
        "period": 2, "date_only": False, "reason": None}
    occurred = version["occurred_at"]
    assert occurred == event["occurred_at"]
    assert (occurred.astimezone(UTC) if occurred.tzinfo else occurred.replace(tzinfo=UTC)) == AT
