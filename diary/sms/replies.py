"""What we text back: each reply one GSM-7 segment (<= 160 characters), checked in tests."""

from __future__ import annotations

from datetime import date, datetime

_WEEKDAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")

RANGE = "Please reply with a whole number from 0 (no pain) to 10 (worst pain), e.g. 6."
UNKNOWN_NUMBER = ("This number is not registered with a study. "
                  "Please contact your study team.")
STOPPED = ("You will get no more texts from the pain diary. Reply START to get them again. "
           "Your study team can still call you.")
STARTED = "Pain diary texts are on again. Reply HELP for help, STOP to stop."
NOTHING_PENDING = "There is nothing to confirm. " + RANGE
NOT_ENROLLED_ANYMORE = ("You are no longer taking part in the diary, so nothing was "
                        "recorded. Please contact your study team.")
NO_QUESTIONNAIRE = "There is no questionnaire to answer by text right now. " + RANGE


HELP_PAIN = "Pain diary: text your pain from 0 to 10 (worst), e.g. 6."
HELP_MED = " Medicine taken: MED name dose, e.g. MED oxycodone 5mg."
HELP_Q = " Q: answer a questionnaire."
HELP_STOP = " STOP to stop texts."
HELP_TEAM = " Questions? Contact your study team."
NO_MED_BY_TEXT = ("This study does not record medicines by text. Please use the app or tell "
                  "your study team.")


def help_text(*, medication: bool, questionnaires: bool) -> str:
    """The commands a study accepts: MED with a medication diary, Q with questionnaires
    answerable by text; the study-team line only where it still fits one segment."""
    text = (HELP_PAIN + (HELP_MED if medication else "") + (HELP_Q if questionnaires else "")
            + HELP_STOP)
    return text + HELP_TEAM if len(text + HELP_TEAM) <= 160 else text


def day_label(day: date) -> str:
    """``Mon 3 Mar``: the day a reply is about, as the reminders name it."""
    return f"{_WEEKDAYS[day.weekday()]} {day.day} {_MONTHS[day.month - 1]}"


def recorded(score: int, day: date) -> str:
    return f"Thanks, pain {score} recorded for {day_label(day)}."


def already(old: int, new: int, day: date) -> str:
    return (f"You already sent pain {old} for {day_label(day)}. Reply YES to change it "
            f"to {new}, or NO to keep {old}.")


def corrected(old: int, new: int, day: date) -> str:
    return f"Changed: pain {new} recorded for {day_label(day)} (was {old})."


def kept(old: int, day: date) -> str:
    return f"OK, pain {old} kept for {day_label(day)}."


def no_diary_today(next_day: date | None) -> str:
    """A score on a day that is no diary day (before the diary, between periods)."""
    if next_day is None:
        return ("No diary today, so nothing was recorded. Your study team will tell you "
                "when it starts.")
    return f"No diary today; your next diary day is {day_label(next_day)}. Nothing was recorded."


def too_late(day: date, closed: datetime) -> str:
    """A score after the last diary day's late-entry limit (``closed``, local time)."""
    return (f"Too late for {day_label(day)}: entries closed {day_label(closed.date())} "
            f"{closed:%H:%M}. Your diary has ended, so nothing was recorded.")


def refused(reason: str) -> str:
    """A diary rule refused the entry (no open diary day, ...): say why, briefly."""
    text = f"Not recorded: {reason}. Please contact your study team if this is wrong."
    return text if len(text) <= 160 else text[:157] + "..."


def question(text: str, low: int, high: int, *, meaning: str = "", step: str = "") -> str:
    """One item of an SMS questionnaire: only the question text is shortened to fit, never
    the step (``2/3``), what the numbers mean or the range to reply with."""
    head = f"{step}: " if step else ""
    tail = (f" {meaning}" if meaning else "") + f" Reply {low}-{high}."
    room = 160 - len(head) - len(tail)
    if not text.endswith((".", "?", "!")):
        text += "."
    text = text if len(text) <= room else text[:room - 3].rstrip() + "..."
    return head + text + tail


def answer_range(low: int, high: int) -> str:
    return f"Please reply with a whole number from {low} to {high}."


def questionnaire_done(label: str, day: date) -> str:
    return f"Thank you, your {label[:80]} answers for {day_label(day)} are recorded."


# --- the medication diary by text (issue 6) --------------------------------------------

MED_HELP = ("To record a medicine you took, text MED, its name, dose and unit, e.g. "
            "MED oxycodone 5mg. Add R for a rescue dose.")
MED_UNIT = "Please add the unit to the dose, e.g. MED oxycodone 5mg or MED paracetamol 1g."


def _plain_name(text: str) -> str:
    """What the participant typed, shortened and reduced to safe GSM-7 letters."""
    kept = "".join(c for c in text if c.isascii() and (c.isalnum() or c in " -"))
    return kept.strip()[:30]


def unknown_drug(typed: str, suggestions: tuple[str, ...] | list[str]) -> str:
    hint = f" Did you mean {' or '.join(suggestions[:2])}?" if suggestions else ""
    return (f"Unknown medicine '{_plain_name(typed)}'.{hint} Text e.g. MED oxycodone 5mg, "
            "or ask your study team.")


def not_by_text(drug: str, *, patch: bool) -> str:
    """A drug a text cannot record: only doses taken by mouth are (a patch needs its wear)."""
    what = f"{drug} patches" if patch else f"{drug} (not taken by mouth)"
    return (f"Not recorded: {what} cannot be recorded by text. Please use the app "
            "or tell your study team.")


def medication_recorded(drug: str, dose: str, unit: str, at: str, mme: str | None,
                        rescue: bool) -> str:
    """``Recorded: oxycodone 5 mg at 20:15 (7.5 MME). Reply HELP for help.``"""
    what = f"{drug} {dose} {unit}" + (" (rescue)" if rescue else "")
    tail = f" ({mme} MME)" if mme is not None else ""
    return f"Recorded: {what} at {at}{tail}. Reply HELP for help."
