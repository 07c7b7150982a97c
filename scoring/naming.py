"""Deterministic short names within SAS XPORT v5 limits (names <= 8 characters).

Rule: upper-case the long name and keep ``A-Z0-9``; prefix ``X`` if it does
not start with a letter; if longer than 8, keep the trailing digits (up to 3)
and as many leading characters as fit; if the name is taken, replace its tail
with the smallest counter that makes it unique.  The same long names in the
same order always give the same short names.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence

__all__ = ["XPORT_LABEL_MAX", "XPORT_NAME_MAX", "fit_label", "short_names", "xport_name"]

XPORT_NAME_MAX = 8
XPORT_LABEL_MAX = 40
_TAIL = re.compile(r"[0-9]{1,3}\Z")


def xport_name(long_name: str, taken: Iterable[str] = ()) -> str:
    """Short, unique, upper-case name of at most 8 characters.

    Examples
    --------
    >>> xport_name("auc_d1_35"), xport_name("pain_d7"), xport_name("weekly_w12")
    ('AUCD135', 'PAIND7', 'WEEKLY12')
    >>> xport_name("pain_d7", taken={"PAIND7"})
    'PAIND71'
    >>> xport_name("12-week")
    'X12WEEK'
    """
    taken = set(taken)
    s = re.sub(r"[^A-Z0-9]", "", long_name.upper())
    if not s or not s[0].isalpha():
        s = "X" + s
    if len(s) > XPORT_NAME_MAX:
        m = _TAIL.search(s)
        tail = m.group(0) if m and m.start() > 0 else ""
        s = s[: XPORT_NAME_MAX - len(tail)] + tail
    if s not in taken:
        return s
    for i in range(1, 10**7):
        c = str(i)
        cand = s[: XPORT_NAME_MAX - len(c)] + c
        if cand not in taken:
            return cand
    raise ValueError(f"no free short name for {long_name!r}")  # pragma: no cover


def short_names(long_names: Sequence[str], *, reserved: Iterable[str] = ()) -> dict[str, str]:
    """Map each long name to a unique short name, in order, avoiding *reserved*.

    Examples
    --------
    >>> short_names(["weekly_w1", "weekly_w10", "weekly_w11"])
    {'weekly_w1': 'WEEKLYW1', 'weekly_w10': 'WEEKLY10', 'weekly_w11': 'WEEKLY11'}
    """
    taken = {r.upper() for r in reserved}
    out: dict[str, str] = {}
    for name in long_names:
        if name in out:
            raise ValueError(f"duplicate long name {name!r}")
        out[name] = xport_name(name, taken)
        taken.add(out[name])
    return out


def fit_label(text: str, limit: int = XPORT_LABEL_MAX) -> str:
    """Shorten *text* to *limit* characters, marking the cut with ``~``.

    Examples
    --------
    >>> fit_label("Percent change from baseline, weekly_w12 WEEK 12")
    'Percent change from baseline, weekly_w1~'
    """
    return text if len(text) <= limit else text[: limit - 1] + "~"
