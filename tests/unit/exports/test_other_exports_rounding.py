"""Issue 14: the exports beside the endpoint tables round by the same one rule
(:mod:`scoring.precision`, half away from zero on the decimal value), never by Python's
``round`` (halves to even, on the binary value)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from types import SimpleNamespace

import pytest

from diary.services.completion import Completion
from diary.services.reminder_log import view


@pytest.mark.parametrize(("expected", "completed", "rate", "percent"), [
    (32, 1, 0.0313, 3.1),     # 1/32 = 0.03125: round() gives 0.0312
    (16, 1, 0.0625, 6.3),     # 6.25 %: round() gives 6.2
    (17, 16, 0.9412, 94.1),   # 94.11764705882354 % without noise
    (40, 1, 0.025, 2.5),
    (3, 3, 1.0, 100.0),
])
def test_completion_rate_and_percent_follow_the_one_rule(expected, completed, rate, percent):
    c = Completion(expected, completed, False)
    assert (c.rate, c.percent) == (rate, percent)


def test_no_expected_day_gives_no_rate():
    assert (Completion(0, 0, False).rate, Completion(0, 0, False).percent) == (None, None)


@pytest.mark.parametrize(("seconds", "minutes"), [(150, 3), (90, 2), (30, 1), (29, 0)])
def test_minutes_to_done_round_half_away_and_are_whole(seconds, minutes):
    """2.5 minutes is 3 (``round`` gives 2), 1.5 is 2, 0.5 is 1: an int, never 2.0."""
    sent = datetime(2027, 3, 1, 18, tzinfo=UTC)
    m = SimpleNamespace(**{k: None for k in (
        "id", "kind", "channel", "target", "state", "body", "planned_at", "due_at",
        "expires_at", "delivered_at", "failed_at", "cancelled_at", "cancel_reason",
        "send_attempts", "last_error", "last_error_code", "acknowledged_at",
        "acknowledged_by")}, sent_at=sent)
    got = view(m, "S1", "PAR", sent + timedelta(seconds=seconds))["minutes_to_done"]
    assert got == minutes and type(got) is int
