"""The console transport: what a fresh machine uses instead of Twilio."""

from __future__ import annotations

import logging
import re
from datetime import UTC, datetime, timedelta

import pytest

from notifications.transport import ConsoleTransport, OutgoingSms, Transport

T0 = datetime(2026, 3, 3, 19, 0, tzinfo=UTC)


class Clock:
    def __init__(self, at: datetime) -> None:
        self.at = at

    def __call__(self) -> datetime:
        return self.at


def test_each_message_is_logged_with_a_masked_number_and_kept(caplog):
    console = ConsoleTransport()

    with caplog.at_level(logging.INFO, logger="paindiary.sms"):
        first = console.send(OutgoingSms("+447700900123", "Time for your pain diary"))
        second = console.send(OutgoingSms("+447700900456", "Second"))

    assert first.status == "sent" and second.sid != first.sid
    [record, _] = caplog.records
    assert record.name == "paindiary.sms"
    assert record.getMessage().startswith(f"SMS {first.sid} to ")
    assert "Time for your pain diary" in record.getMessage()
    assert "+*********123" in record.getMessage() and "7700900" not in record.getMessage()
    assert [(m.to, m.body) for m in console.sent] == [
        ("+447700900123", "Time for your pain diary"), ("+447700900456", "Second")]


def test_find_sent_lists_one_numbers_messages_from_an_instant_on():
    clock = Clock(T0)
    console = ConsoleTransport(now=clock)
    console.send(OutgoingSms("+447700900123", "before"))
    clock.at = T0 + timedelta(minutes=5)
    console.send(OutgoingSms("+447700900123", "after"))
    console.send(OutgoingSms("+447700900999", "other number"))

    found = console.find_sent("+447700900123", T0 + timedelta(minutes=5))

    assert [(r.sid, r.body, r.date_created) for r in found] == [
        (console.sent[1].sid, "after", T0 + timedelta(minutes=5))]


def test_message_ids_are_unique_across_transports_as_across_processes():
    """Cron starts a new process (a new transport) per tick: a counter restarting at 1
    gave the second run ``CONSOLE-1`` again, which the outbox refuses (issue 12)."""
    sids = [ConsoleTransport().send(OutgoingSms("+447700900123", "x")).sid
            for _ in range(1000)]

    assert len(set(sids)) == 1000
    assert all(re.fullmatch(r"CONSOLE-[0-9a-f]{32}", sid) for sid in sids)


def test_a_new_transport_knows_nothing_an_earlier_one_sent():
    """After a restart ``find_sent`` is empty, so a stale claim is logged again."""
    ConsoleTransport(now=Clock(T0)).send(OutgoingSms("+447700900123", "before the crash"))

    assert ConsoleTransport(now=Clock(T0)).find_sent("+447700900123", T0) == []


def test_find_sent_refuses_a_naive_instant():
    with pytest.raises(ValueError, match="aware"):
        ConsoleTransport().find_sent("+447700900123", datetime(2026, 3, 3))


def test_the_console_transport_satisfies_the_transport_protocol():
    assert isinstance(ConsoleTransport(), Transport)
    assert not isinstance(object(), Transport)
