"""Migration 0009_patch_daily_mme: patches stored before it get their daily MME."""

from __future__ import annotations

from datetime import UTC, date, datetime

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


def test_patches_stored_before_get_their_daily_figure_and_doses_none(engine):
    downgrade(engine, "0008")
    stamp = AT if engine.dialect.name == "postgresql" else AT.replace(tzinfo=None)
    old = MetaData()
    old.reflect(engine, only=["studies", "participants", "medication_intakes"])
    studies, people, intakes = (old.tables[n] for n in ("studies", "participants",
                                                        "medication_intakes"))
    common = {"participant_id": "p1", "version": 1, "is_current": True, "channel": "app",
              "received_at": stamp, "taken_at": stamp, "taken_date": date(2027, 3, 1),
              "rescue": False, "mme_table": "cdc-2022"}
    rows = [  # id, drug, dose, unit, route, worn hours, stored MME (whole wear)
        ("i1", "fentanyl", "25", "mcg/h", "transdermal", 72, "180"),   # 60 a day
        ("i2", "fentanyl", "25", "mcg/h", "transdermal", 60, "150"),   # 60 a day, 2.5 days
        ("i3", "fentanyl", "12", "mcg/h", "transdermal", 72, "86.4"),  # 28.8 a day
        ("i4", "buprenorphine", "10", "mcg/h", "transdermal", 168, None),  # no factor
        ("i5", "oxycodone", "10", "mg", "oral", None, "15"),           # not a patch
    ]
    with engine.begin() as conn:
        conn.execute(insert(studies).values(id=1, key="s", title="S", current_version=1,
                                            created_at=stamp))
        conn.execute(insert(people).values(
            id="p1", study_id=1, subject_id="S001", site="PAR", timezone="Europe/Paris",
            language="en", reminder_time="", enrolled_at=stamp))
        for i, drug, dose, unit, route, worn, mme in rows:
            conn.execute(insert(intakes).values(
                id=i, series_id=i, client_id=i, drug=drug, dose=dose, unit=unit, route=route,
                worn_hours=worn, mme=mme, **common))
    upgrade(engine)
    new = MetaData()
    new.reflect(engine, only=["medication_intakes"])
    with engine.connect() as conn:
        daily = dict(conn.execute(select(new.tables["medication_intakes"].c.id,
                                         new.tables["medication_intakes"].c.mme_daily)).all())
    assert daily == {"i1": "60", "i2": "60", "i3": "28.8", "i4": None, "i5": None}
