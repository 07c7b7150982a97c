"""Two scheduler processes against one PostgreSQL database never send a message twice."""

from __future__ import annotations

import threading
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta

import pytest

from notifications.transport import TwilioTransport
from tests.e2e.reminder_support import Harness, enrol_cohort
from tests.fakes.fixtures import FAKE_TIMEOUT
from tests.fakes.twilio_api import DEFAULT_FROM, FakeTwilio

pytestmark = pytest.mark.postgres


def test_two_schedulers_ticking_together_send_each_reminder_once(api, clock):
    admin = api.create_admin()
    enrol_cohort(api, admin, 40, "+336123450")
    with FakeTwilio(now=clock.now) as fake:
        transports = [TwilioTransport(fake.account_sid, fake.auth_token, from_number=DEFAULT_FROM,
                                      base_url=fake.base_url, timeout=FAKE_TIMEOUT)
                      for _ in range(2)]
        harnesses = [Harness(api.app, t) for t in transports]
        start = datetime(2027, 3, 2, 19, tzinfo=UTC)  # 20:00 in Paris
        barrier = threading.Barrier(2)

        def tick_together(h: Harness) -> None:
            barrier.wait()  # both start planning and claiming at the same moment
            h.tick()

        with ThreadPoolExecutor(2) as pool:
            for minute in range(0, 60, 10):
                clock.set(start + timedelta(minutes=minute))
                list(pool.map(tick_together, harnesses))  # re-raises a failed tick
        for t in transports:
            t.close()
        sent = Counter((m.to, m.body) for m in fake.messages)
    assert len(sent) == 40 and set(sent.values()) == {1}
    rows = harnesses[0].outbox(channel="sms")
    assert len(rows) == 40 and {r.state for r in rows} == {"sent"}
