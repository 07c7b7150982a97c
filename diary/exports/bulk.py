"""Pausing CPython's cyclic garbage collector while an export builds its data.

Scoring a large study allocates some 10^5 small container objects (rows, events,
schedules) that reference counting frees; none form cycles. Meanwhile the cyclic collector
would run full passes over the whole heap several times: 0.2-0.45 s of a 2 s export of
10,000 participants (bench/endpoints.py, issue 3). Cycles made during the pause are
collected by the next pass after it.
"""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager


@contextmanager
def cyclic_gc_paused() -> Iterator[None]:
    """Disable the cyclic collector inside the block; enable it after if it was enabled.

    Concurrent exports in threads leave it enabled in the end whichever finishes first:
    only a block that found it enabled enables it again.

    Examples
    --------
    >>> with cyclic_gc_paused():
    ...     gc.isenabled()
    False
    >>> gc.isenabled()
    True
    """
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()
