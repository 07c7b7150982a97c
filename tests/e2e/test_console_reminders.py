"""The scheduler on the console transport (no Twilio): a process dying between claim and
send, or between send and record, and a provider id that cannot be recorded. Nothing is
ever left ``sending``; a new process logs again only what it cannot know was logged."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from notifications.transport import ConsoleTransport, OutgoingSms, SendReceipt, SentRecord
from tests.e2e.reminder_support import Harness, enrol_cohort

PARIS = ZoneInfo("Europe/Paris")
EVENING = datetime(2027, 3, 2, 20, tzinfo=PARIS).astimezone(UTC)  # day 2's diary reminder
PAST_LEASE = timedelta(minutes=6)  # well past notifications.dispatch.LEASE (30 s)


class Dies:
    """Hands messages to ``inner``; the process "dies" at send number ``on``: before the
    provider call (``after_send=False``) or after it, before the acceptance is recorded."""

    def __init__(self, inner: ConsoleTransport, *, on: int, after_send: bool) -> None:
        self.inner, self.on, self.after_send, self.calls = inner, on, after_send, 0

    def send(self, sms: OutgoingSms) -> SendReceipt:
        self.calls += 1
        if self.calls == self.on and not self.after_send:
            raise KeyboardInterrupt
        receipt = self.inner.send(sms)
        if self.calls == self.on:
            raise KeyboardInterrupt
        return receipt

    def find_sent(self, to: str, sent_after: datetime) -> list[SentRecord]:
        return self.inner.find_sent(to, sent_after)


@pytest.fixture
def cohort(api, admin, app, clock):
    """Three participants whose day-2 diary reminders are planned for 20:00 Paris."""
    from notifications.tick import plan_all

    enrol_cohort(api, admin, 3, "+336123453")
    clock.set(EVENING)
    assert plan_all(app.extensions["paindiary"].session_factory, clock.now()).inserted == 3
    return app


def _states(app) -> list[str]:
    return sorted(r.state for r in Harness(app, None).outbox())


def test_a_crash_between_claim_and_send_is_sent_by_the_next_process_after_the_lease(
        cohort, clock):
    first = ConsoleTransport(now=clock.now)
    with pytest.raises(KeyboardInterrupt):
        Harness(cohort, Dies(first, on=1, after_send=False)).tick()
    assert _states(cohort) == ["sending"] * 3 and first.sent == []

    restarted = ConsoleTransport(now=clock.now)  # cron's next run: a new process
    Harness(cohort, restarted).tick(EVENING + timedelta(seconds=20))
    assert _states(cohort) == ["sending"] * 3  # within the 30 s lease: may still be in flight
    assert restarted.sent == []

    Harness(cohort, restarted).tick(EVENING + PAST_LEASE)
    rows = Harness(cohort, None).outbox()
    assert [r.state for r in rows] == ["sent"] * 3
    assert sorted(r.provider_sid for r in rows) == sorted(m.sid for m in restarted.sent)
    assert len(restarted.sent) == 3  # each logged once


def test_a_crash_after_logging_logs_that_message_again_in_the_next_process(cohort, clock):
    """The console cannot know after a restart what it logged before: the message in
    flight is logged twice (a log line; see notifications/transport/console.py), the one
    recorded before the crash is not, and nothing stays ``sending``."""
    first = ConsoleTransport(now=clock.now)
    with pytest.raises(KeyboardInterrupt):
        Harness(cohort, Dies(first, on=2, after_send=True)).tick()
    assert _states(cohort) == ["sending", "sending", "sent"]
    [recorded] = Harness(cohort, None).outbox(state="sent")
    in_flight = first.sent[1]

    restarted = ConsoleTransport(now=clock.now)
    Harness(cohort, restarted).tick(EVENING + PAST_LEASE)

    rows = Harness(cohort, None).outbox()
    assert [r.state for r in rows] == ["sent"] * 3
    assert [m.to for m in restarted.sent].count(in_flight.to) == 1
    assert recorded.provider_sid == first.sent[0].sid
    assert first.sent[0].to not in [m.to for m in restarted.sent]
    assert len({r.provider_sid for r in rows}) == 3


def test_within_one_process_a_lost_record_is_found_and_not_logged_again(cohort, clock):
    """``flask --app app scheduler`` keeps its transport across ticks: a claim whose record
    was lost is reconciled with the messages the transport kept."""
    console = ConsoleTransport(now=clock.now)
    with pytest.raises(KeyboardInterrupt):
        Harness(cohort, Dies(console, on=1, after_send=True)).tick()
    [logged] = console.sent

    Harness(cohort, console).tick(EVENING + PAST_LEASE)

    rows = Harness(cohort, None).outbox()
    assert [r.state for r in rows] == ["sent"] * 3
    assert len(console.sent) == 3  # the reconciled one was not logged a second time
    [reconciled] = [r for r in rows if r.provider_sid == logged.sid]
    assert reconciled.outcome_unknown is False


class SameSid(ConsoleTransport):
    """A provider answering every message with the same id (what the old per-process
    counter did across cron runs)."""

    def send(self, sms: OutgoingSms) -> SendReceipt:
        super().send(sms)
        return SendReceipt(sid="CONSOLE-1", status="sent")


def test_a_provider_id_another_message_holds_is_not_recorded_but_the_message_is_sent(
        cohort, clock):
    transport = SameSid(now=clock.now)

    result = Harness(cohort, transport).tick()  # used to end in IntegrityError

    assert result.dispatched.sent == 3
    rows = Harness(cohort, None).outbox()
    assert [r.state for r in rows] == ["sent"] * 3
    assert sorted(r.provider_sid or "" for r in rows) == ["", "", "CONSOLE-1"]
    unlinked = [r for r in rows if r.provider_sid is None]
    assert all("provider id CONSOLE-1 could not be stored" in r.last_error for r in unlinked)
    Harness(cohort, transport).tick(EVENING + PAST_LEASE)
    assert len(transport.sent) == 3  # recorded as sent: never sent again


class Remembers(ConsoleTransport):
    """A provider whose message list to any number also shows ``extra`` (messages that are
    other rows')."""

    def __init__(self, extra: list[tuple[str, str]], **kw) -> None:
        super().__init__(**kw)
        self.extra = extra  # (sid, body)

    def find_sent(self, to: str, sent_after: datetime) -> list[SentRecord]:
        return [SentRecord(sid, to, body, "sent", sent_after) for sid, body in self.extra
                ] + super().find_sent(to, sent_after)


def test_reconciling_never_takes_a_message_whose_id_another_row_holds(cohort, clock):
    """Same text to the same number in the window, but its id is already another row's:
    it is not this row's message, so this one is sent, not assumed sent."""
    with pytest.raises(KeyboardInterrupt):
        Harness(cohort, Dies(ConsoleTransport(now=clock.now), on=2, after_send=False)).tick()
    [recorded] = Harness(cohort, None).outbox(state="sent")
    waiting = Harness(cohort, None).outbox(state="sending")
    restarted = Remembers([(recorded.provider_sid, m.body) for m in waiting], now=clock.now)

    Harness(cohort, restarted).tick(EVENING + PAST_LEASE)

    rows = Harness(cohort, None).outbox()
    assert [r.state for r in rows] == ["sent"] * 3
    assert len(restarted.sent) == 2  # both released claims really sent
    assert sorted(r.provider_sid for r in rows) == sorted(
        [recorded.provider_sid] + [m.sid for m in restarted.sent])
