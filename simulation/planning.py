"""What each synthetic person will do, planned at enrolment from the schedule the API
gives for them: diary days (when, if at all, each is logged), questionnaire and checklist
windows, adverse events per period, the dropout day and the withdrawal.

Reminder-driven answers are not planned here: the driver adds them when the scheduler's
message actually goes out (driver._react).
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from typing import TYPE_CHECKING

from . import actions
from .participants import BEFORE, LATE, Person, day_mode, delay_minutes

if TYPE_CHECKING:
    from .driver import Trial

SIM_ROOT = "/api/v1/studies"


def enrol(trial: Trial, person: Person) -> None:
    """Enrol (and screen, and activate), plan every anchor, then plan what the person and
    the coordinator will do, from the schedule the API gives for this participant."""
    if not actions.enrol(trial, person):
        return
    actions.plan_anchors(trial, person)
    sched = trial.api.get(f"{SIM_ROOT}/{trial.key}/participants/{person.subject}/schedule",
                          trial.api.staff()).json
    for at, event_id in zip(person.anchors, person.event_ids, strict=True):
        trial.at(at, actions.confirm_anchor, trial, person, event_id, at)
    _plan_diary(trial, person, sched)
    _plan_windows(trial, person, sched)
    _plan_follow_up(trial, person, sched)


def _diary_days(sched: dict, since: date) -> list[date]:
    days: set[date] = set()
    for span in sched["diary_spans"]:
        day, last = date.fromisoformat(span["first"]), date.fromisoformat(span["last"])
        while day <= last:
            if day >= since:
                days.add(day)
            day += timedelta(days=1)
    return sorted(days)


def _plan_diary(trial: Trial, person: Person, sched: dict) -> None:
    p, m = trial.protocol, trial.models
    evening = p.reminders.daily_time or time(20, 0)
    late = p.daily_diary.late_entry if p.daily_diary else None
    enrolled_day = person.enrolled_at.astimezone(trial.tz).date()
    for day in _diary_days(sched, enrolled_day):
        mode = day_mode(person, m)
        person.day_modes[day] = mode
        if mode == BEFORE:
            at = trial.local(day, evening) - timedelta(minutes=30 + person.rng.randrange(150))
            at = max(at, person.enrolled_at + timedelta(minutes=5))
            if at.astimezone(trial.tz).date() == day:
                trial.at(at, actions.log_day, trial, person, day)
        elif mode == LATE and late is not None:
            until = late.until or time(12, 0)
            first = trial.local(day + timedelta(days=late.days_after), time(8, 0))
            last = trial.local(day + timedelta(days=late.days_after), until)
            span = max(1, int((last - first).total_seconds() // 60) - 15)
            trial.at(first + timedelta(minutes=person.rng.randrange(span)), actions.log_day,
                     trial, person, day)
        if mode != "miss" and m.medication["p_rescue_per_day"] and actions.has_medication(p):
            trial.at(trial.local(day, time(14, 0)) + timedelta(minutes=person.rng.randrange(240)),
                     actions.rescue, trial, person, day)


def _plan_windows(trial: Trial, person: Person, sched: dict) -> None:
    w_model = trial.models.windows
    for w in sched["windows"]:
        trial.windows[w["id"]] = w
        if w["form"] not in ("questionnaire", "side_effects"):
            continue
        opens = datetime.fromisoformat(w["opens_at"])
        closes = datetime.fromisoformat(w["closes_at"])
        opens = max(opens, person.enrolled_at + timedelta(minutes=1))
        if closes <= opens or person.rng.random() >= w_model["p_answer"]:
            continue
        room = (closes - opens).total_seconds() / 60 * 0.6
        at = opens + timedelta(minutes=delay_minutes(person, w_model["answer_delay_minutes"],
                                                      max(1.0, room)))
        trial.at(min(at, closes - timedelta(minutes=1)), actions.answer_window, trial, person, w)


def _plan_follow_up(trial: Trial, person: Person, sched: dict) -> None:
    """Adverse events per period (coordinators' form), dropout and withdrawal days."""
    m = trial.models
    for k, anchor_day in enumerate(person.anchor_dates):
        if actions.counts_adverse_events(trial.protocol) and (
                person.rng.random() < m.p_adverse_event(person.treatment(k))):
            day = anchor_day + timedelta(days=1 + person.rng.randrange(14))
            trial.at(trial.local(day, time(10, 0)), actions.adverse_event, trial, person, day, k)
    days = _diary_days(sched, person.enrolled_at.astimezone(trial.tz).date())
    ends = [datetime.fromisoformat(w["closes_at"]) for w in sched["windows"]]
    last = max([trial.local(d, time(23)) for d in days] + ends + [person.enrolled_at])
    span = max(1, (last - person.enrolled_at).days)
    if person.rng.random() < m.dropout["p_dropout"]:
        person.drop_day = (person.enrolled_at + timedelta(days=1 + person.rng.randrange(span))
                           ).astimezone(trial.tz).date()
    if person.rng.random() < m.dropout["p_withdrawal"]:
        day = (person.enrolled_at + timedelta(days=1 + person.rng.randrange(span))
               ).astimezone(trial.tz).date()
        trial.at(trial.local(day, time(11, 0)), actions.withdraw, trial, person)
