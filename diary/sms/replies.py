"""What we text back, in the participant's language: each reply one segment where it can
be (tests/unit/test_sms_segments.py counts them in every language).

Each text is an English message id of the participant catalogs (diary.i18n); ``lang`` is
the language chosen by ``diary.i18n.language_for``; ``say`` translates, fills and fits.
"""

from __future__ import annotations

from datetime import date, datetime

from diary.i18n import N_, translate
from diary.i18n import day_label as _day_label

from .segments import SMS_LIMIT, fit, segments

RANGE = N_("Please reply with a whole number from 0 (no pain) to 10 (worst pain), e.g. 6.")
UNKNOWN_NUMBER = N_("This number is not registered with a study. "
                    "Please contact your study team.")
STOPPED = N_("You will get no more texts from the pain diary. Reply START to get them again. "
             "Your study team can still call you.")
STARTED = N_("Pain diary texts are on again. Reply HELP for help, STOP to stop.")
NOTHING_TO_CONFIRM = N_("There is nothing to confirm.")
NOTHING_PENDING = NOTHING_TO_CONFIRM + " " + RANGE  # English; say() joins the translations
NOT_ENROLLED_ANYMORE = N_("You are no longer taking part in the diary, so nothing was "
                          "recorded. Please contact your study team.")
NO_QUESTIONNAIRE_NOW = N_("There is no questionnaire to answer by text right now.")
NO_QUESTIONNAIRE = NO_QUESTIONNAIRE_NOW + " " + RANGE
NO_DIARY_IN_STUDY = N_("this study has no daily diary")

HELP_PAIN = N_("Pain diary: text your pain from 0 to 10 (worst), e.g. 6.")
HELP_MED = N_("Medicine taken: MED name dose, e.g. MED oxycodone 5mg.")
HELP_Q = N_("Q: answer a questionnaire.")
HELP_STOP = N_("STOP to stop texts.")
HELP_TEAM = N_("Questions? Contact your study team.")
NO_MED_BY_TEXT = N_("This study does not record medicines by text. Please use the app or "
                    "tell your study team.")
_JOINED = {NOTHING_PENDING: (NOTHING_TO_CONFIRM, RANGE),
           NO_QUESTIONNAIRE: (NO_QUESTIONNAIRE_NOW, RANGE)}


def say(lang: str, msgid: str, /, **params: object) -> str:
    """``msgid`` translated to ``lang``, filled, and fitted to one segment if it can be."""
    if msgid in _JOINED:
        return fit(" ".join(translate(lang, part) for part in _JOINED[msgid]))
    return fit(translate(lang, msgid, **params))


def help_text(*, medication: bool, questionnaires: bool, lang: str = "en") -> str:
    """The commands a study accepts: MED with a medication diary, Q with questionnaires
    answerable by text; the study-team line only where it still fits one segment."""
    parts = [HELP_PAIN, *([HELP_MED] if medication else []),
             *([HELP_Q] if questionnaires else []), HELP_STOP]
    text = fit(" ".join(translate(lang, part) for part in parts))
    with_team = fit(text + " " + translate(lang, HELP_TEAM))
    return with_team if segments(with_team) == 1 else text


def day_label(day: date, lang: str = "en") -> str:
    """``Mon 3 Mar`` (``lun 3 mars``): the day a reply is about, as the reminders name it."""
    return _day_label(day, lang)


def recorded(score: int, day: date, *, lang: str = "en") -> str:
    return say(lang, N_("Thanks, pain {score} recorded for {day}."), score=score,
               day=day_label(day, lang))


def already(old: int, new: int, day: date, *, lang: str = "en") -> str:
    return say(lang, N_("You already sent pain {old} for {day}. Reply YES to change it to "
                        "{new}, or NO to keep {old}."),
               old=old, new=new, day=day_label(day, lang))


def corrected(old: int, new: int, day: date, *, lang: str = "en") -> str:
    return say(lang, N_("Changed: pain {new} recorded for {day} (was {old})."), old=old,
               new=new, day=day_label(day, lang))


def kept(old: int, day: date, *, lang: str = "en") -> str:
    return say(lang, N_("OK, pain {old} kept for {day}."), old=old, day=day_label(day, lang))


def no_diary_today(next_day: date | None, *, lang: str = "en") -> str:
    """A score on a day that is no diary day (before the diary, between periods)."""
    if next_day is None:
        return say(lang, N_("No diary today, so nothing was recorded. Your study team will "
                            "tell you when it starts."))
    return say(lang, N_("No diary today; your next diary day is {day}. Nothing was "
                        "recorded."), day=day_label(next_day, lang))


def too_late(day: date, closed: datetime, *, lang: str = "en") -> str:
    """A score after the last diary day's late-entry limit (``closed``, local time)."""
    return say(lang, N_("Too late for {day}: entries closed {closed} {time}. Your diary has "
                        "ended, so nothing was recorded."),
               day=day_label(day, lang), closed=day_label(closed.date(), lang),
               time=f"{closed:%H:%M}")


def refused(reason: str, *, lang: str = "en") -> str:
    """A diary rule refused the entry (no open diary day, ...): say why, briefly (the
    reason is translated when the catalog knows it, else as the service gave it)."""
    text = say(lang, N_("Not recorded: {reason}. Please contact your study team if this is "
                        "wrong."), reason=translate(lang, reason))
    return text if len(text) <= SMS_LIMIT else text[:SMS_LIMIT - 3] + "..."


def question(text: str, low: int, high: int, *, meaning: str = "", step: str = "",
             lang: str = "en") -> str:
    """One item of an SMS questionnaire: only the question text is shortened to fit, never
    the step (``2/3``), what the numbers mean or the range to reply with."""
    head = f"{step}: " if step else ""
    tail = (f" {meaning}" if meaning else "") + " " + translate(
        lang, N_("Reply {low}-{high}."), low=low, high=high)
    if not text.endswith((".", "?", "!")):
        text += "."
    whole = fit(head + text + tail)
    if segments(whole) == 1:
        return whole
    head, text, tail = (fit(part) for part in (head, text, tail))  # folded where it helps
    room = SMS_LIMIT - len(head) - len(tail)
    text = text if len(text) <= room else text[:room - 3].rstrip() + "..."
    return fit(head + text + tail)


def answer_range(low: int, high: int, *, lang: str = "en") -> str:
    return say(lang, N_("Please reply with a whole number from {low} to {high}."), low=low,
               high=high)


def questionnaire_done(label: str, day: date, *, lang: str = "en") -> str:
    return say(lang, N_("Thank you, your {label} answers for {day} are recorded."),
               label=translate(lang, label)[:80], day=day_label(day, lang))


# --- the medication diary by text (issue 6) --------------------------------------------

MED_HELP = N_("To record a medicine you took, text MED, its name, dose and unit, e.g. "
              "MED oxycodone 5mg. Add R for a rescue dose.")
MED_UNIT = N_("Please add the unit to the dose, e.g. MED oxycodone 5mg or MED paracetamol 1g.")


def _plain_name(text: str) -> str:
    """What the participant typed, shortened and reduced to safe GSM-7 letters."""
    kept = "".join(c for c in text if c.isascii() and (c.isalnum() or c in " -"))
    return kept.strip()[:30]


def unknown_drug(typed: str, suggestions: tuple[str, ...] | list[str], *,
                 lang: str = "en") -> str:
    hint = (" " + translate(lang, N_("Did you mean {names}?"),
                            names=translate(lang, N_(" or ")).join(suggestions[:2]))
            if suggestions else "")
    return say(lang, N_("Unknown medicine '{typed}'.{hint} Text e.g. MED oxycodone 5mg, or "
                        "ask your study team."), typed=_plain_name(typed), hint=hint)


def not_by_text(drug: str, *, patch: bool, lang: str = "en") -> str:
    """A drug a text cannot record: only doses taken by mouth are (a patch needs its wear)."""
    what = (translate(lang, N_("{drug} patches"), drug=drug) if patch
            else translate(lang, N_("{drug} (not taken by mouth)"), drug=drug))
    return say(lang, N_("Not recorded: {what} cannot be recorded by text. Please use the app "
                        "or tell your study team."), what=what)


def medication_recorded(drug: str, dose: str, unit: str, at: str, mme: str | None,
                        rescue: bool, *, lang: str = "en") -> str:
    """``Recorded: oxycodone 5 mg at 20:15 (7.5 MME). Reply HELP for help.``"""
    what = f"{drug} {dose} {unit}" + (" " + translate(lang, N_("(rescue)")) if rescue else "")
    tail = f" ({mme} MME)" if mme is not None else ""
    return say(lang, N_("Recorded: {what} at {at}{tail}. Reply HELP for help."), what=what,
               at=at, tail=tail)
