"""Alembic environment: plain SQLAlchemy 2, batch mode so SQLite can alter tables."""

from __future__ import annotations

import os

from alembic import context

from diary.db.engine import make_engine
from diary.db.models import Base

config = context.config
target_metadata = Base.metadata


def run_migrations() -> None:
    engine = config.attributes.get("engine")
    if engine is None:
        engine = make_engine(os.environ.get("DATABASE_URL", "sqlite:///instance/paindiary.sqlite3"))
    with engine.connect() as connection:
        context.configure(
            connection=connection,
            target_metadata=target_metadata,
            render_as_batch=True,
            compare_type=True,
        )
        with context.begin_transaction():
            context.run_migrations()
        connection.commit()


run_migrations()
