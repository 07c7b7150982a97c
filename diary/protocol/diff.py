"""What changed between two protocol files: paths with old and new values, and a text diff.

Pure: takes the YAML sources, returns plain data. Lists whose items are all mappings with
distinct ``key`` fields (arms, sequences, anchors, assessments, endpoints...) are matched
by key, so inserting an assessment does not report every later one as changed; other
lists are compared by position.
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass
from typing import Any

import yaml

__all__ = ["Change", "changes", "text_diff"]


@dataclass(frozen=True)
class Change:
    """One difference: ``kind`` is added, removed, changed or reordered (keyed lists)."""

    path: str
    kind: str
    old: Any = None
    new: Any = None


def changes(old_source: str, new_source: str) -> list[Change]:
    """The structural differences between two protocol files, in document order.

    Examples
    --------
    >>> a = "sites: [PAR]\\nassessments:\\n  - {key: d7, offset: P7D}\\n"
    >>> b = "sites: [PAR, LYO]\\nassessments:\\n  - {key: d7, offset: P8D}\\n"
    >>> for c in changes(a, b):
    ...     print(c.path, c.kind, c.old, c.new)
    sites[1] added None LYO
    assessments[d7].offset changed P7D P8D
    """
    found: list[Change] = []
    _walk(yaml.safe_load(old_source), yaml.safe_load(new_source), "", found)
    return found


def text_diff(old_source: str, new_source: str, *, old_name: str, new_name: str,
              context: int = 3) -> str:
    """A unified diff of the two files' lines ('' when they are the same)."""
    return "".join(difflib.unified_diff(
        _lines(old_source), _lines(new_source), fromfile=old_name, tofile=new_name,
        n=context))


def _lines(source: str) -> list[str]:
    lines = source.splitlines(keepends=True)
    if lines and not lines[-1].endswith("\n"):
        lines[-1] += "\n"  # a last line without newline would glue to the next hunk line
    return lines


def _same(a: Any, b: Any) -> bool:
    # True == 1 in Python; a protocol's `true` and `1` are different statements
    return type(a) is type(b) and a == b


def _walk(old: Any, new: Any, path: str, found: list[Change]) -> None:
    if isinstance(old, dict) and isinstance(new, dict):
        for name in [*old, *(k for k in new if k not in old)]:
            sub = f"{path}.{name}" if path else str(name)
            if name not in new:
                found.append(Change(sub, "removed", old=old[name]))
            elif name not in old:
                found.append(Change(sub, "added", new=new[name]))
            else:
                _walk(old[name], new[name], sub, found)
    elif isinstance(old, list) and isinstance(new, list):
        if _keyed(old) and _keyed(new):
            _walk_keyed(old, new, path, found)
        else:
            for i in range(max(len(old), len(new))):
                sub = f"{path}[{i}]"
                if i >= len(new):
                    found.append(Change(sub, "removed", old=old[i]))
                elif i >= len(old):
                    found.append(Change(sub, "added", new=new[i]))
                else:
                    _walk(old[i], new[i], sub, found)
    elif not _same(old, new):
        found.append(Change(path, "changed", old=old, new=new))


def _keyed(items: list) -> bool:
    keys = [item.get("key") for item in items if isinstance(item, dict)]
    return (len(keys) == len(items) and None not in keys
            and all(isinstance(k, str | int) for k in keys) and len(set(keys)) == len(keys))


def _walk_keyed(old: list[dict], new: list[dict], path: str, found: list[Change]) -> None:
    before = {item["key"]: item for item in old}
    after = {item["key"]: item for item in new}
    for key in [*before, *(k for k in after if k not in before)]:
        sub = f"{path}[{key}]"
        if key not in after:
            found.append(Change(sub, "removed", old=before[key]))
        elif key not in before:
            found.append(Change(sub, "added", new=after[key]))
        else:
            _walk(before[key], after[key], sub, found)
    kept_old = [k for k in before if k in after]
    kept_new = [k for k in after if k in before]
    if kept_old != kept_new:
        found.append(Change(path, "reordered", old=kept_old, new=kept_new))
