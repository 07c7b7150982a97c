"""Engine and session factory for the configured ``DATABASE_URL``."""

from __future__ import annotations

import sqlite3

from sqlalchemy import Engine, create_engine, event
from sqlalchemy import exc as sa_exc
from sqlalchemy.orm import Session, sessionmaker


def normalise_url(url: str) -> str:
    """Use the psycopg 3 driver for plain ``postgresql://`` URLs."""
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix):]
    return url


def make_engine(url: str, **kwargs) -> Engine:
    url = normalise_url(url)
    # Errors and logs never carry statement parameters: scores, reasons and password
    # hashes stay out of log files (PITFALLS, issue 12).
    kwargs.setdefault("hide_parameters", True)
    if url.startswith("sqlite"):
        engine = create_engine(url, **kwargs)
        _configure_sqlite(engine)
        return engine
    # Pre-ping (issue 12): a connection that a server restart or fail-over dropped is
    # replaced at checkout instead of failing the next request with a 500; a round trip
    # per checkout is cheap next to a request. While the server is down, checkouts fail
    # and the API answers 503 with Retry-After (diary/api/db_errors.py); the pool recovers
    # by itself once it is back. Recycling still bounds a connection's age.
    kwargs.setdefault("pool_pre_ping", True)
    kwargs.setdefault("pool_recycle", 1800)
    engine = create_engine(url, **kwargs)
    _hide_row_values(engine)
    return engine


def _hide_row_values(engine: Engine) -> None:
    """Keep only PostgreSQL's primary error message in exception texts and logs: its
    DETAIL repeats the refused values ("Failing row contains (...)", "Key (email)=(...)"),
    which ``hide_parameters`` does not reach. ``orig.diag`` keeps every field for code."""

    @event.listens_for(engine, "handle_error")
    def _on_error(context):
        orig = context.original_exception
        primary = getattr(getattr(orig, "diag", None), "message_primary", None)
        if primary is None:
            return
        orig.args = (primary,)
        wrapped = context.sqlalchemy_exception
        if wrapped is not None and wrapped.args:
            kind = type(orig)
            wrapped.args = (f"({kind.__module__}.{kind.__name__}) {primary}",
                            *wrapped.args[1:])


def _configure_sqlite(engine: Engine) -> None:
    """WAL, a busy timeout and foreign keys per connection; writers queue up front.

    pysqlite's own transaction handling starts a deferred transaction only at the first
    write, so two writers that both read first deadlock with SQLITE_BUSY. We take the
    write lock at BEGIN (``BEGIN IMMEDIATE``) instead: SQLite serves one writer at a time
    by design, and this makes the waiting orderly (PITFALLS: SQLite means one scheduler).
    """

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection, _record):
        dbapi_connection.isolation_level = None  # we emit BEGIN ourselves
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA busy_timeout=10000")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(connection):
        # Straight on the driver's connection: a statement through SQLAlchemy's execution
        # path costs more than SQLite's BEGIN itself, and every transaction starts here.
        try:
            connection.connection.dbapi_connection.execute("BEGIN IMMEDIATE")
        except sqlite3.Error as exc:  # as SQLAlchemy would raise it ("database is locked")
            raise sa_exc.DBAPIError.instance("BEGIN IMMEDIATE", None, exc, sqlite3.Error,
                                             hide_parameters=True) from exc


def make_session_factory(engine: Engine) -> sessionmaker[Session]:
    return sessionmaker(engine, expire_on_commit=False)
