"""``schedule(..., near=(start, end))`` keeps exactly the windows open during the range."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from diary.protocol.loader import parse_protocol
from diary.schedule import AnchorEvent, ParticipantRef, schedule

PROTOCOLS = Path(__file__).resolve().parents[3] / "protocols"
INFUSIONS = [AnchorEvent(f"e{n}", "infusion", datetime(2027, 3, 1, 8, tzinfo=UTC)
                         + timedelta(days=35 * (n - 1)), n) for n in (1, 2, 3)]


@pytest.mark.parametrize("start_day, hours", [(0, 48), (30, 48), (33, 1), (70, 24 * 9),
                                              (-5, 24), (200, 48)])
def test_near_keeps_the_windows_that_meet_the_range_and_only_those(start_day, hours):
    protocol = parse_protocol((PROTOCOLS / "crossover-ketamine-magnesium.yaml").read_text())
    who = ParticipantRef("p-1", "Europe/Paris", datetime(2027, 2, 20, 9, tzinfo=UTC), "S1")
    start = datetime(2027, 3, 1, 12, tzinfo=UTC) + timedelta(days=start_day)
    end = start + timedelta(hours=hours)
    full = schedule(protocol, who, INFUSIONS)
    near = schedule(protocol, who, INFUSIONS, near=(start, end))
    expected = [w for w in full.windows if w.opens_at <= end and w.closes_at > start]
    assert near.windows == tuple(expected)
    assert near.diary_spans == full.diary_spans
    assert len(full.windows) > len(near.windows)
    assert near.windows or start_day in (-5, 200)  # before the first window, after the last


@pytest.mark.parametrize("name", [p.stem for p in sorted(PROTOCOLS.glob("*.yaml"))])
def test_a_shared_bounds_cache_changes_no_schedule(name):
    """The tick shares one cache among thousands of participants: whatever their zones,
    anchor instants (across daylight-saving changes) and withdrawals, each schedule must
    be what it is without the cache."""
    protocol = parse_protocol((PROTOCOLS / f"{name}.yaml").read_text())
    anchor = protocol.anchors[0].key
    cache: dict = {}
    for n in range(60):
        tz = ("Europe/Paris", "America/Chicago", "Australia/Lord_Howe")[n % 3]
        at = datetime(2027, 3, 5, tzinfo=UTC) + timedelta(hours=7 * n)
        who = ParticipantRef(f"p-{n}", tz, at - timedelta(days=8), "S1",
                             at + timedelta(days=20) if n % 5 == 0 else None)
        events = [AnchorEvent(f"e{n}", anchor, at, 1)]
        assert (schedule(protocol, who, events, bounds_cache=cache)
                == schedule(protocol, who, events))
    assert cache
