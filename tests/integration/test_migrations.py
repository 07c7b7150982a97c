"""Alembic and the models agree, and every migration goes up and down cleanly."""

from __future__ import annotations

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import inspect

from diary.db.engine import make_engine
from diary.db.migrate import alembic_config, downgrade, upgrade
from diary.db.models import Base


@pytest.fixture
def engine(database_url):
    engine = make_engine(database_url)
    yield engine
    engine.dispose()


def test_there_is_a_single_head_revision(engine):
    heads = ScriptDirectory.from_config(alembic_config(engine)).get_heads()
    assert len(heads) == 1


def test_the_models_match_the_migrations(engine):
    with engine.connect() as conn:
        context = MigrationContext.configure(conn, opts={"compare_type": True})
        assert compare_metadata(context, Base.metadata) == []


def test_migrations_go_down_to_base_and_up_again(engine):
    downgrade(engine, "base")
    assert set(inspect(engine).get_table_names()) <= {"alembic_version"}
    upgrade(engine)
    tables = set(inspect(engine).get_table_names())
    assert {t.name for t in Base.metadata.sorted_tables} <= tables


def test_every_revision_upgrades_one_step_at_a_time(engine):
    config = alembic_config(engine)
    downgrade(engine, "base")
    revisions = list(ScriptDirectory.from_config(config).walk_revisions("base", "heads"))
    for revision in reversed(revisions):
        command.upgrade(config, revision.revision)
    with engine.connect() as conn:
        context = MigrationContext.configure(conn)
        assert set(context.get_current_heads()) == {revisions[0].revision}
