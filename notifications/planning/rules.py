"""One function per kind of reminder, for one diary date or one window.

Each returns the reminders that exist for that task as things stand (what is done), with
their due and expiry instants; ``notifications.planner`` picks those due now or soon and
applies withdrawal, opt-out and follow-up completion.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from diary.i18n.labels import window_label
from diary.protocol.model import ADVERSE_EVENTS, SIDE_EFFECTS, Protocol, Reminders
from diary.schedule import Schedule, ScheduledWindow
from diary.timezones import local_wall_time, start_of_day

from .model import (
    COORDINATOR,
    DIARY,
    DIARY_NUDGE,
    MISSED_DAYS,
    PARTICIPANT,
    SIDE_EFFECTS_CLOSING,
    SIDE_EFFECTS_OPEN,
    WINDOW_CLOSING,
    WINDOW_OPEN,
    Completed,
    PlannerParticipant,
    Reminder,
    reminder_key,
)
from .timing import after_quiet, entry_deadline, move


@dataclass(frozen=True)
class Context:
    protocol: Protocol
    participant: PlannerParticipant
    schedule: Schedule
    done: Completed
    tz: ZoneInfo
    daily_time: time
    alert_for: timedelta
    start: datetime  # only reminders whose life [due_at, expires_at) meets [start, end]
    end: datetime  # are built: building (hashing a key) is the costly part

    @property
    def rules(self) -> Reminders:
        return self.protocol.reminders

    owed: dict[date, bool] = field(default_factory=dict)  # a cache of diary_due per date

    def missed(self, day: date) -> bool:
        """Owed and without an entry (missed once its deadline has passed)."""
        if day in self.done.diary_dates:
            return False
        owed = self.owed.get(day)
        if owed is None:
            owed = self.owed[day] = self.schedule.diary_due(day)
        return owed

    def wanted(self, due: datetime, expires: datetime) -> bool:
        return due < expires and due <= self.end and expires > self.start


def _local_iso(instant: datetime, tz: ZoneInfo) -> str:
    return instant.astimezone(tz).replace(tzinfo=None).isoformat(timespec="minutes")


def _due(ctx: Context, nominal: datetime, audience: str = PARTICIPANT) -> datetime:
    """The send time: moved out of quiet hours for participants (not for the site)."""
    return after_quiet(nominal, ctx.rules, ctx.tz) if audience == PARTICIPANT else nominal


def _make(ctx: Context, kind: str, attempt: int, target: str, nominal: datetime,
          due: datetime, expires: datetime, params: dict[str, str], *,
          audience: str = PARTICIPANT, diary_date: date | None = None,
          window_id: str | None = None, template: str | None = None) -> Reminder | None:
    """The reminder if it is still useful (``due < expires``) and of interest, else None;
    its text is ``template`` (default: the kind's own)."""
    if not ctx.wanted(due, expires):
        return None
    return Reminder(
        key=reminder_key(ctx.participant.id, kind, target, attempt),
        participant_id=ctx.participant.id, kind=kind, audience=audience, attempt=attempt,
        due_at=due, local_time=due.astimezone(ctx.tz), expires_at=expires,
        template=template or kind,
        params=tuple(sorted(params.items())), diary_date=diary_date, window_id=window_id,
        shifted_from=nominal if due != nominal else None,
    )


def diary_reminders(ctx: Context, day: date) -> list[Reminder]:
    """The evening reminder for diary date ``day`` and its nudge, unless the day is done.

    The reminder is due at the participant's time on ``day`` and expires at the end of the
    day (or the late-entry deadline if earlier, or when the nudge becomes due: never two
    prompts at once). The nudge is due ``nudge_after`` later and expires at the late-entry
    deadline, so a nudge pushed past midnight by quiet hours still goes out in the morning
    when yesterday's entry is still accepted, and is dropped when it no longer is.
    """
    diary = ctx.protocol.daily_diary
    if diary is None or not ctx.missed(day):
        return []
    tz, target = ctx.tz, day.isoformat()
    deadline = entry_deadline(day, diary.late_entry, tz)
    nominal = local_wall_time(day, ctx.daily_time, tz)
    expires = min(start_of_day(day + timedelta(1), tz), deadline)
    nudge = None
    if ctx.rules.nudge_after is not None:
        nudge_nominal = move(nominal, ctx.rules.nudge_after, tz)
        nudge_due = _due(ctx, nudge_nominal)
        if nudge_due < deadline:  # the nudge exists: the first reminder gives way to it
            expires = min(expires, nudge_due)
            nudge = _make(ctx, DIARY_NUDGE, 1, target, nudge_nominal, nudge_due, deadline,
                          {"date": target, "deadline": _local_iso(deadline, tz)},
                          diary_date=day)
    first = _make(ctx, DIARY, 0, target, nominal, _due(ctx, nominal), expires,
                  {"date": target}, diary_date=day)
    return [r for r in (first, nudge) if r is not None]


def _label(ctx: Context, window: ScheduledWindow) -> str:
    """What opens, as the participant knows it (diary.i18n.labels.window_label): an
    English or protocol text that ``render_text`` translates."""
    return window_label(ctx.protocol, window)


def _until(window: ScheduledWindow) -> str:
    """The window's last day (whole-day windows close at local midnight) or last minute."""
    closes = window.closes_local.replace(tzinfo=None)
    if closes.time() == time(0, 0):
        return (closes.date() - timedelta(1)).isoformat()
    return closes.isoformat(timespec="minutes")


def window_reminders(ctx: Context, window: ScheduledWindow) -> list[Reminder]:
    """A message when ``window`` opens and one ``window_closing_before`` it closes.

    The opening message expires when the closing one becomes due (one prompt at a time)
    or the window closes. A closing message that would fall at or before the opening is
    skipped when the opening message is on (one message is enough), else sent at opening.
    """
    if ctx.done.fulfils(window) or window.form == ADVERSE_EVENTS:
        return []  # the adverse-event form is the coordinators' (README): no participant text
    rules, tz = ctx.rules, ctx.tz
    params = {"label": _label(ctx, window), "until": _until(window)}
    opening_text, closing_text = WINDOW_OPEN, WINDOW_CLOSING
    if window.form == SIDE_EFFECTS:  # worded as the checklist, not as a questionnaire
        params = {"until": params["until"]}
        opening_text, closing_text = SIDE_EFFECTS_OPEN, SIDE_EFFECTS_CLOSING
    closing, closing_due = None, None
    if rules.window_closing_before is not None:
        nominal = move(window.closes_at, rules.window_closing_before, tz, back=True)
        if nominal > window.opens_at or not rules.window_open:
            nominal = max(nominal, window.opens_at)
            closing_due = _due(ctx, nominal)
            closing = _make(ctx, WINDOW_CLOSING, 1, window.id, nominal, closing_due,
                            window.closes_at, params, window_id=window.id,
                            template=closing_text)
            if closing_due >= window.closes_at:
                closing_due = None  # dropped: it cannot cut the opening message short
    opening = None
    if rules.window_open:
        expires = window.closes_at if closing_due is None else closing_due
        opening = _make(ctx, WINDOW_OPEN, 0, window.id, window.opens_at,
                        _due(ctx, window.opens_at), expires, params, window_id=window.id,
                        template=opening_text)
    return [r for r in (opening, closing) if r is not None]


def missed_days_alert(ctx: Context, last: date) -> Reminder | None:
    """The coordinator alert if ``last`` is the N-th missed day of a streak, else None.

    A day is missed when it is owed and has no entry (the caller asks only once its
    deadline has passed). A streak is a run of calendar-consecutive missed days; a day not
    owed, or one with an entry, ends it. The alert is due at the N-th day's late-entry
    deadline, keyed on the streak's first date (so once per streak however long it
    grows), and stays useful for ``alert_for``. No quiet hours: it goes to the site.
    """
    n, diary = ctx.rules.missed_days_alert, ctx.protocol.daily_diary
    if n is None or diary is None or last in ctx.done.diary_dates:
        return None

    due = entry_deadline(last, diary.late_entry, ctx.tz)
    if not ctx.wanted(due, due + ctx.alert_for):
        return None

    first, missed = last - timedelta(n - 1), ctx.missed
    if not all(missed(last - timedelta(k)) for k in range(n)) or missed(first - timedelta(1)):
        return None
    return _make(ctx, MISSED_DAYS, 0, first.isoformat(), due, due, due + ctx.alert_for,
                 {"participant": ctx.participant.id, "days": str(n), "first": first.isoformat()},
                 audience=COORDINATOR, diary_date=first)
