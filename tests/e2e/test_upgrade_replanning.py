"""Upgrades re-plan pending messages (issue 16): a message the tick cancelled because its
task moved never blocks that task's message later, and a pending message follows its
window's new times (text and expiry). The reminding crossover's PGIC day-35 window opens
on Fri 2 April (the window-open message waits for the end of quiet hours, 08:00) and
closes at the end of Thu 8 April."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from tests.e2e.reminder_support import REMINDING_CROSSOVER, STUDY, Harness
from tests.e2e.sms_support import PHONE

PARIS = ZoneInfo("Europe/Paris")
PGIC = """  - {key: pgic_d35, label: PGIC day 35, instrument: pgic, anchor: infusion, offset: P35D,
     window: {open: -P3D, close: P3D}}"""


def paris(*args) -> datetime:
    return datetime(*args, tzinfo=PARIS).astimezone(UTC)


@pytest.fixture
def study(api, admin):
    api.create_study(admin, REMINDING_CROSSOVER)
    api.enrol(admin, STUDY, subject_id="S001", site="PAR", sequence="KP", phone=PHONE)
    assert api.event(admin, STUDY, "S001", type="infusion", period=1,
                     occurred_at="2027-03-01T08:00:00+00:00").status_code == 201
    return admin


@pytest.fixture
def harness(app, twilio_transport):
    return Harness(app, twilio_transport)


def _plan_only(harness, at: datetime) -> None:
    """Plan (the tick's first half) without sending: the message stays pending."""
    from notifications.tick import plan_due

    harness.clock.set(at)
    with harness.runtime.session_factory() as s:
        plan_due(s, at)


def _upgrade(api, window: str) -> None:
    source = REMINDING_CROSSOVER.replace(PGIC, window)
    assert source != REMINDING_CROSSOVER
    r = api.upload(api.login("admin@site.org", "correct horse battery"), source,
                   url=f"/api/v1/studies/{STUDY}/versions")
    assert r.status_code == 201, r.json


def _window_messages(twilio_fake) -> list[str]:
    return [m.body for m in twilio_fake.messages if m.body.startswith("Study questionnaire")]


def test_a_window_moved_later_gets_its_opening_message_when_it_opens(
        api, study, harness, twilio_fake):
    _plan_only(harness, paris(2027, 4, 2, 8))
    [row] = harness.outbox(kind="window_open")
    assert row.state == "pending"
    # Version 2: the PGIC two days later (opens Sun 4 April, closes at the end of 10 April).
    _upgrade(api, PGIC.replace("offset: P35D", "offset: P37D"))
    harness.tick(paris(2027, 4, 2, 8, 1))
    [row] = harness.outbox(kind="window_open")
    assert (row.state, row.cancel_reason) == ("cancelled", "task no longer scheduled")
    harness.run(paris(2027, 4, 2, 9), paris(2027, 4, 5, 12), timedelta(hours=1))
    [row] = harness.outbox(kind="window_open")
    assert row.state == "sent"
    assert row.sent_at == paris(2027, 4, 4, 8)
    assert _window_messages(twilio_fake) == [
        "Study questionnaire now open: PGIC day 35. Please complete it by Sat 10 Apr."]


def test_a_pending_message_follows_its_windows_new_end(api, study, harness, twilio_fake):
    _plan_only(harness, paris(2027, 4, 2, 8))
    [row] = harness.outbox(kind="window_open")
    # Useful until the window-closing message takes over (a day before the end, after
    # quiet hours): Thu 8 April 08:00.
    assert row.body.endswith("by Thu 8 Apr.") and row.expires_at == paris(2027, 4, 8, 8)
    # Version 2: the window closes a day later (end of Fri 9 April).
    _upgrade(api, PGIC.replace("close: P3D", "close: P4D"))
    harness.tick(paris(2027, 4, 2, 8, 1))
    [row] = harness.outbox(kind="window_open")
    assert row.state == "sent" and row.expires_at == paris(2027, 4, 9, 8)
    assert _window_messages(twilio_fake) == [
        "Study questionnaire now open: PGIC day 35. Please complete it by Fri 9 Apr."]


def test_a_sent_message_is_never_sent_again_after_an_upgrade(api, study, harness,
                                                             twilio_fake):
    harness.tick(paris(2027, 4, 2, 8))
    _upgrade(api, PGIC.replace("close: P3D", "close: P4D"))
    harness.run(paris(2027, 4, 2, 8, 1), paris(2027, 4, 2, 12), timedelta(hours=1))
    assert len(_window_messages(twilio_fake)) == 1


def test_a_corrected_infusion_moves_the_pending_opening_message(api, study, harness,
                                                                 twilio_fake):
    """The infusion was mistyped: it was on 3 March, not 1 March. The window (same id)
    now opens on Sun 4 April; the message cancelled on 2 April goes out then."""
    _plan_only(harness, paris(2027, 4, 2, 8))
    staff = api.bearer(api.login("admin@site.org", "correct horse battery"))
    base = f"/api/v1/studies/{STUDY}/participants/S001/events"
    [event] = api.c.get(base, headers=staff).json
    r = api.c.post(f"{base}/{event['id']}/corrections", headers=staff,
                   json={"occurred_at": "2027-03-03T08:00:00+00:00",
                         "reason": "date mistyped on the CRF"})
    assert r.status_code == 200, r.json
    harness.run(paris(2027, 4, 2, 8, 1), paris(2027, 4, 5, 12), timedelta(hours=1))
    [row] = harness.outbox(kind="window_open")
    assert (row.state, row.sent_at) == ("sent", paris(2027, 4, 4, 8, 1))  # first tick
    assert _window_messages(twilio_fake) == [
        "Study questionnaire now open: PGIC day 35. Please complete it by Sat 10 Apr."]
