"""The page number of a list page's query string: a bad value means the first page."""

from __future__ import annotations

from flask import request

MAX_PAGE = 100_000


def page_args() -> int:
    raw = request.args.get("page", "1")
    return int(raw) if raw.isdigit() and 1 <= int(raw) <= MAX_PAGE else 1
