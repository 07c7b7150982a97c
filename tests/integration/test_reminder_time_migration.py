"""Migration 0012_participant_reminder_time: a time that differs from the study's current
daily_time was chosen; one equal to it follows the study's default from now on."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlalchemy import MetaData, insert, select

from diary.db.engine import make_engine
from diary.db.migrate import downgrade, upgrade

AT = datetime(2027, 3, 1, 8, tzinfo=UTC)
SOURCES = {  # study id -> its current protocol's reminders section
    1: "key: a\nreminders:\n  daily_time: 19:30\n",     # YAML 1.1 reads this as 1170
    2: 'key: b\nreminders: {daily_time: "21:00"}\n',
    3: "key: c\n",                                       # the default, 20:00
}


@pytest.fixture
def engine(database_url):
    engine = make_engine(database_url)
    yield engine
    engine.dispose()


def test_times_that_differ_from_the_study_default_count_as_chosen(engine):
    downgrade(engine, "0009_patch_daily_mme")
    stamp = AT if engine.dialect.name == "postgresql" else AT.replace(tzinfo=None)
    old = MetaData()
    old.reflect(engine, only=["studies", "participants", "protocol_versions"])
    studies, people, versions = (old.tables[n] for n in ("studies", "participants",
                                                         "protocol_versions"))
    people_rows = [("p1", 1, "19:30"), ("p2", 1, "20:00"), ("p3", 2, "21:00"),
                   ("p4", 2, "19:30"), ("p5", 3, "20:00"), ("p6", 3, "18:00")]
    with engine.begin() as conn:
        for study_id, source in SOURCES.items():
            conn.execute(insert(studies).values(id=study_id, key=f"s{study_id}", title="S",
                                                current_version=2, created_at=stamp))
            for number, text in ((1, "key: old\nreminders: {daily_time: '18:00'}\n"),
                                 (2, source)):
                conn.execute(insert(versions).values(
                    study_id=study_id, version=number, label="", sha256=f"{study_id}{number}",
                    source=text, loaded_at=stamp))
        for pid, study_id, at in people_rows:
            conn.execute(insert(people).values(
                id=pid, study_id=study_id, subject_id=pid, site="PAR", timezone="Europe/Paris",
                language="en", reminder_time=at, enrolled_at=stamp))
    upgrade(engine)
    new = MetaData()
    new.reflect(engine, only=["participants"])
    table = new.tables["participants"]
    with engine.connect() as conn:
        chosen = dict(conn.execute(select(table.c.id, table.c.reminder_time_chosen)).all())
    assert chosen == {"p1": False, "p2": True, "p3": False, "p4": True, "p5": False,
                      "p6": True}
