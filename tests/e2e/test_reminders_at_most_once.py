"""At most once when Twilio queues (issue 16): a create answer lost while the message
waits in Twilio's queue (no send date yet) is reconciled, never sent a second time."""

from __future__ import annotations

from collections import Counter
from datetime import UTC, datetime, timedelta

from tests.e2e.reminder_support import Harness, enrol_cohort

START = datetime(2027, 3, 2, 19, tzinfo=UTC)  # 20:00 in Paris: every diary reminder is due


def test_lost_answers_while_twilio_holds_messages_in_its_queue_send_each_message_once(
        api, admin, app, clock, twilio_fake, twilio_transport):
    enrol_cohort(api, admin, 12, "+336123453")
    twilio_fake.hold_in_queue(60)  # no date_sent for a minute after each create
    twilio_fake.drop_answers(every=3)  # stored, then the answer is lost
    harness = Harness(app, twilio_transport)
    for second in range(0, 240, 10):  # a tick every 10 s for 4 minutes
        harness.tick(START + timedelta(seconds=second))

    sent = Counter((m.to, m.body) for m in twilio_fake.messages)
    assert len(sent) == 12 and set(sent.values()) == {1}, sent.most_common(3)
    assert twilio_fake.dropped_answers == 4  # none of the 4 lost answers was sent again
    rows = harness.outbox(channel="sms")
    assert len(rows) == 12 and {r.state for r in rows} == {"sent"}
    assert {r.provider_sid for r in rows} == {m.sid for m in twilio_fake.messages}
