"""A benchmark's own PostgreSQL database: dropped and created through a maintenance one."""

from __future__ import annotations


def pg_database(server_url: str, name: str, create: bool) -> str:
    """Drop ``name`` on the server of ``server_url`` and, with ``create``, make it afresh;
    returns its URL."""
    from sqlalchemy import text

    from diary.db.engine import make_engine

    server = make_engine(server_url, isolation_level="AUTOCOMMIT")
    try:
        with server.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
            if create:
                conn.execute(text(f'CREATE DATABASE "{name}"'))
    finally:
        server.dispose()
    return server.url.set(database=name).render_as_string(hide_password=False)
