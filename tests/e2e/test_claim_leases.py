"""Claims are short leases (issue 16): a stalled sender's rows are taken over after 30 s,
and the stalled sender, when it wakes, sends none of what it no longer holds."""

from __future__ import annotations

import dataclasses
from collections import Counter
from datetime import UTC, datetime, timedelta

from notifications.dispatch import LEASE
from tests.e2e.reminder_support import Harness, enrol_cohort

EVENING = datetime(2027, 3, 2, 19, tzinfo=UTC)  # 20:00 in Paris


def test_a_sender_stalled_past_its_lease_loses_its_rows_and_never_sends_them_too(
        api, admin, app, clock, twilio_fake, twilio_transport):
    from notifications.tick import plan_all

    enrol_cohort(api, admin, 3, "+336123454")
    clock.set(EVENING)
    plan_all(app.extensions["paindiary"].session_factory, clock.now())
    taker = Harness(app, twilio_transport)

    class Stalls:
        """Twilio takes the first message, then the answer takes longer than the lease;
        meanwhile another scheduler ticks."""

        timeout = twilio_transport.timeout

        def __init__(self):
            self.calls = 0

        def send(self, sms):
            self.calls += 1
            receipt = twilio_transport.send(sms)
            if self.calls == 1:
                clock.set(EVENING + LEASE + timedelta(seconds=1))
                # Takes over all three: reconciles the first, sends two. (Its dispatcher
                # directly: on PostgreSQL the stalled one still holds the sending lock,
                # as it would until its connection to the database is lost.)
                taker.dispatcher.run()
            return receipt

        def find_sent(self, to, after):
            return twilio_transport.find_sent(to, after)

    stalled = Harness(app, Stalls())
    # The stalled sender measures elapsed time on the test's clock, as a real one would.
    stalled.dispatcher = dataclasses.replace(
        stalled.dispatcher, monotonic=lambda: clock.now().timestamp())
    result = stalled.tick(EVENING)

    assert result.dispatched.lost_claims == 2  # woke up, renewed, found them taken
    sent = Counter((m.to, m.body) for m in twilio_fake.messages)
    assert len(sent) == 3 and set(sent.values()) == {1}
    rows = taker.outbox(channel="sms")
    assert [r.state for r in rows] == ["sent"] * 3
    assert {r.provider_sid for r in rows} == {m.sid for m in twilio_fake.messages}


def test_a_claim_is_taken_over_after_the_lease_not_before(api, admin, app, clock,
                                                          twilio_transport, twilio_fake):
    from notifications.dispatch import claim

    enrol_cohort(api, admin, 2, "+336123455")
    factory = app.extensions["paindiary"].session_factory
    from notifications.tick import plan_all
    clock.set(EVENING)
    plan_all(factory, clock.now())
    with factory() as s:
        assert len(claim(s, EVENING, "dead:1", 100)) == 2  # then the process is killed
    harness = Harness(app, twilio_transport)
    harness.tick(EVENING + LEASE - timedelta(seconds=1))
    assert {r.state for r in harness.outbox()} == {"sending"} and not twilio_fake.messages
    harness.tick(EVENING + LEASE + timedelta(seconds=1))
    assert {r.state for r in harness.outbox()} == {"sent"} and len(twilio_fake.messages) == 2
