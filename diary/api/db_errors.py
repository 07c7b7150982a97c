"""The last line of defence for input the guards and schemas let through: a database
data error is a 422 naming the column when we can tell which, and a lost connection is
a 503 with Retry-After. Neither answers nor logs ever carry a parameter value."""

from __future__ import annotations

import logging
import re

from flask import Response, jsonify
from sqlalchemy import exc as sa_exc

from diary.api.errors import error_body
from diary.api.guards import SURROGATE_RULE, bad_text_rule
from diary.db.models import Base

log = logging.getLogger("paindiary.db")

RETRY_AFTER_SECONDS = 5  # a PostgreSQL restart or fail-over takes seconds
UNAVAILABLE = (sa_exc.OperationalError, sa_exc.InterfaceError, sa_exc.DisconnectionError)
_TABLE = re.compile(r'\A\s*(?:INSERT\s+INTO|UPDATE)\s+"?(\w+)"?', re.IGNORECASE)
# email_1 (a WHERE clause), email_m0 (multi-row VALUES), email__0 (insertmanyvalues)
_PARAM_SUFFIX = re.compile(r"(?:_m?|__)\d+\Z")


def _error(status: int, code: str, message: str, field: str | None = None,
           rule: str | None = None) -> Response:
    body = error_body(status, code, message, field, {field: [rule]} if field and rule else {})
    response = jsonify(body)
    response.status_code = status
    return response


def _columns(statement: str | None):
    found = _TABLE.search(statement or "")  # \A: a prefix, by design
    table = Base.metadata.tables.get(found.group(1)) if found else None
    return table.columns if table is not None else {}


def offending_column(error: sa_exc.StatementError) -> tuple[str | None, str | None]:
    """(column, rule) for a refused value, read from the driver's diagnostics or by
    checking each parameter against its column (length, NUL, surrogates): values are
    inspected here, never reported."""
    diag = getattr(getattr(error, "orig", None), "diag", None)
    column = getattr(diag, "column_name", None)
    if column:
        return column, None
    columns = _columns(error.statement)
    rows = error.params if isinstance(error.params, list | tuple) else [error.params]
    for row in rows:
        for key, value in (row.items() if isinstance(row, dict) else ()):
            if not isinstance(value, str):
                continue
            name = key if key in columns else _PARAM_SUFFIX.sub("", key)
            if rule := bad_text_rule(value):
                return name, rule
            length = getattr(getattr(columns.get(name), "type", None), "length", None)
            if length and len(value) > length:
                return name, f"longer than {length} characters"
    return None, None


def handle_statement_error(error: sa_exc.StatementError) -> Response:
    """A value the database or its driver refused (``DataError``, or an encoding error
    SQLAlchemy wrapped in a ``StatementError``) is a 422; any other failure stays a 500."""
    if not isinstance(error, sa_exc.DataError) and not isinstance(error.orig, ValueError):
        raise error
    field, rule = offending_column(error)
    log.warning("database refused a value: %s in column %s of: %s",
                type(error.orig).__name__, field or "?", error.statement)
    if field is None:
        return _error(422, "validation_error", "a value was refused by the database")
    rule = rule or "refused by the database"
    return _error(422, "validation_error", f"{field}: {rule}", field, rule)


def handle_unencodable_text(error: UnicodeEncodeError) -> Response:
    """Lone surrogates that reached a driver or a hasher (the guards refuse them first)."""
    if "surrogate" not in str(error.reason):
        raise error
    log.warning("unencodable text reached %s", error.encoding)
    return _error(422, "validation_error", f"text {SURROGATE_RULE}")


def handle_unavailable(error: Exception) -> Response:
    """The database is down or restarting; the pool reconnects on the next checkout
    (pre-ping), so the client's retry after Retry-After succeeds once it is back."""
    log.warning("database unavailable: %s", type(getattr(error, "orig", None) or error).__name__)
    response = _error(503, "database_unavailable",
                      "the database is unavailable; retry after a few seconds")
    response.headers["Retry-After"] = str(RETRY_AFTER_SECONDS)
    return response
