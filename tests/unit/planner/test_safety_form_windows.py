"""Windows of the safety forms (issue 13): the side-effect checklist is worded as such and
is done by a checklist for one of its days; the adverse-event form sends nothing.

Shipped CRPS protocol, Europe/Amsterdam (CEST, UTC+2), infusion 5 May 2027 10:00 (day 0).
``side_effects_weekly`` occurrence 0 targets day 7 (12 May) +/- 1 day: 11-13 May.
"""

from __future__ import annotations

from datetime import date

from diary.protocol.model import SIDE_EFFECTS
from diary.schedule import AnchorEvent
from notifications.planner import WINDOW_CLOSING, WINDOW_OPEN, Completed, PlannerParticipant
from notifications.planner import plan as plan_reminders
from notifications.planning.messages import render
from tests.unit.planner.support import local, make_schedule, shipped

TZ = "Europe/Amsterdam"
PROTOCOL = shipped("crps-weekly-pain")
SCHEDULE = make_schedule(PROTOCOL, TZ, local(TZ, 2027, 4, 28, 9),
                         [AnchorEvent("inf-1", "infusion", local(TZ, 2027, 5, 5, 10))])
ME = PlannerParticipant("p-001", TZ)
WEEK1 = next(w for w in SCHEDULE.windows
             if w.assessment == "side_effects_weekly" and w.occurrence == 0)


def _window_reminders(done: Completed, now):
    return [r for r in plan_reminders(PROTOCOL, ME, SCHEDULE, done, now)
            if r.window_id == WEEK1.id]


def test_the_checklist_window_is_a_side_effect_form_covering_days_6_to_8():
    assert WEEK1.form == SIDE_EFFECTS
    assert [WEEK1.covers_date(date(2027, 5, d)) for d in (10, 11, 12, 13, 14)] == [
        False, True, True, True, False]


def test_its_reminder_speaks_of_the_side_effect_checklist_not_a_questionnaire():
    [opening] = _window_reminders(Completed(), local(TZ, 2027, 5, 11, 8))
    assert opening.kind == WINDOW_OPEN
    text = render(opening)
    assert text == ("Side effects: please answer the side-effect checklist in the app by "
                    "Thu 13 May.")
    assert "side_effects" not in text and "questionnaire" not in text


def test_its_closing_reminder_says_so_too():
    [closing] = _window_reminders(Completed(), local(TZ, 2027, 5, 13, 8))  # 1 day before
    assert closing.kind == WINDOW_CLOSING
    assert render(closing).startswith("Reminder: the side-effect checklist closes soon.")


def test_a_checklist_for_a_day_of_the_window_is_the_task_done():
    now = local(TZ, 2027, 5, 12, 8)
    assert _window_reminders(Completed(side_effect_dates=[date(2027, 5, 11)]), now) == []
    # A checklist for a day outside the window (day 5) leaves it open.
    assert len(_window_reminders(Completed(side_effect_dates=[date(2027, 5, 10)]), now)) == 1


def test_an_adverse_event_window_sends_the_participant_nothing():
    crossover = shipped("crossover-ketamine-magnesium")
    sched = make_schedule(crossover, "Europe/Paris", local("Europe/Paris", 2027, 4, 1, 8),
                          [AnchorEvent("inf-1", "infusion", local("Europe/Paris", 2027, 4, 8,
                                                                  10), 1)], sequence="S1")
    ae = next(w for w in sched.windows if w.assessment == "ae_check")
    now = local("Europe/Paris", 2027, 4, 9, 9)
    assert ae.is_open(now) and ae.form == "adverse_events"
    due = plan_reminders(crossover, PlannerParticipant("p-001", "Europe/Paris"), sched,
                         Completed(), now)
    assert ae.id not in {r.window_id for r in due}
