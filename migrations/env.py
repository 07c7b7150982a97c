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
        sqlite = connection.dialect.name == "sqlite"
        if sqlite:
            # Batch mode copies a table and drops the old one; with foreign keys enforced
            # that DROP fails once other tables' rows point at it (Alembic's advice). The
            # pragma only takes effect outside a transaction, so it comes first; the keys
            # are checked after the migrations instead. The raw connection: SQLAlchemy's
            # would BEGIN first.
            connection.connection.dbapi_connection.execute("PRAGMA foreign_keys=OFF")
        try:
            context.configure(
                connection=connection,
                target_metadata=target_metadata,
                render_as_batch=True,
                compare_type=True,
            )
            with context.begin_transaction():
                context.run_migrations()
                if sqlite:
                    broken = connection.exec_driver_sql("PRAGMA foreign_key_check").fetchall()
                    if broken:
                        raise RuntimeError(
                            f"migration left rows without their parent: {broken[:5]}")
            connection.commit()
        finally:
            if sqlite:
                connection.rollback()
                connection.connection.dbapi_connection.execute("PRAGMA foreign_keys=ON")

run_migrations()
