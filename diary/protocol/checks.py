"""Reading plain YAML data at known paths, collecting (path, rule) issues as it goes."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import time
from typing import Any

from diary.protocol.durations import Duration, parse_duration


class ProtocolError(ValueError):
    """A protocol file that cannot be used; ``issues`` lists (path, rule) pairs."""

    def __init__(self, issues: list[tuple[str, str]]):
        self.issues = issues
        super().__init__("\n".join(f"{path}: {rule}" for path, rule in issues))


class Checker:
    """Collects issues while reading plain YAML data at known paths."""

    def __init__(self, *, strict: bool = True) -> None:
        self.issues: list[tuple[str, str]] = []
        self.warnings: list[tuple[str, str]] = []
        self.strict = strict

    def warn(self, path: str, rule: str) -> None:
        """Something that works but that the author should know (e.g. missing wording)."""
        self.warnings.append((path, rule))

    def refer(self, path: str, rule: str) -> None:
        """A name that refers to nothing (issue 13): refused in a file being loaded
        (``strict``); a version stored before this check only warns, so a running study
        still loads and behaves as before."""
        (self.fail if self.strict else self.warn)(path, rule)

    def fail(self, path: str, rule: str) -> None:
        # One issue per path: a missing field is "required", not also "not a string".
        if all(p != path for p, _ in self.issues):
            self.issues.append((path, rule))

    def mapping(self, value: Any, path: str, allowed: set[str], required: set[str] = frozenset()):
        if not isinstance(value, dict):
            self.fail(path, "must be a mapping")
            return None
        for name in value:
            if name not in allowed:
                self.fail(f"{path}.{name}" if path else str(name), "unknown field")
        for name in sorted(required - value.keys()):
            self.fail(f"{path}.{name}" if path else name, "is required")
        return value

    def text(self, value: Any, path: str, pattern: re.Pattern | None = None) -> str | None:
        if not isinstance(value, str) or not value.strip():
            self.fail(path, "must be a non-empty string")
            return None
        if pattern and not pattern.fullmatch(value):
            self.fail(path, f"must match {pattern.pattern}")
            return None
        return value

    def integer(self, value: Any, path: str, minimum: int | None = None) -> int | None:
        if isinstance(value, bool) or not isinstance(value, int):
            self.fail(path, "must be an integer")
            return None
        if minimum is not None and value < minimum:
            self.fail(path, f"must be >= {minimum}")
            return None
        return value

    def boolean(self, value: Any, path: str) -> bool | None:
        if not isinstance(value, bool):
            self.fail(path, "must be true or false")
            return None
        return value

    def duration(self, value: Any, path: str) -> Duration | None:
        try:
            return parse_duration(value)
        except ValueError as exc:
            self.fail(path, str(exc))
            return None

    def clock_time(self, value: Any, path: str) -> time | None:
        if isinstance(value, str) and re.fullmatch(r"([01]\d|2[0-3]):[0-5]\d", value):
            return time(int(value[:2]), int(value[3:]))
        self.fail(path, 'must be a wall-clock time "HH:MM" (quote it in YAML)')
        return None

    def items(self, value: Any, path: str, read: Callable[[Any, str], Any]) -> list:
        if value is None:
            return []
        if not isinstance(value, list):
            self.fail(path, "must be a list")
            return []
        out = [read(item, f"{path}[{i}]") for i, item in enumerate(value)]
        return [item for item in out if item is not None]

    def unique(self, things: list, path: str, what: str = "key") -> None:
        seen: set[str] = set()
        for thing in things:
            key = thing.key
            if key in seen:
                self.fail(path, f"duplicate {what} {key!r}")
            seen.add(key)
