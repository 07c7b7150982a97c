"""Properties: keys are unique and deterministic; every text is one segment in every
language (GSM-7 in English)."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta

from hypothesis import given, settings
from hypothesis import strategies as st

from diary.schedule import AnchorEvent
from diary.sms.segments import segments
from notifications.planner import (
    KINDS,
    TEMPLATES,
    Completed,
    PlannerParticipant,
    Reminder,
    gsm7_length,
    plan,
    render,
    upcoming,
)
from tests.unit.planner.support import make_schedule, study, utc

ZONES = ["UTC", "Europe/Paris", "America/Chicago", "Australia/Lord_Howe", "Asia/Kolkata"]
clock_times = st.times().map(lambda t: t.replace(second=0, microsecond=0))


@st.composite
def scenarios(draw):
    quiet = draw(st.none() | st.tuples(clock_times, clock_times))
    rules = {"daily_time": draw(clock_times).strftime("%H:%M"),
             "nudge_after": draw(st.sampled_from([None, "PT30M", "PT2H", "PT5H"])),
             "window_closing_before": draw(st.sampled_from([None, "P1D", "PT6H"])),
             "window_open": draw(st.booleans()),
             "missed_days_alert": draw(st.sampled_from([None, 1, 2, 3]))}
    if quiet:
        rules["quiet_hours"] = {"start": quiet[0].strftime("%H:%M"),
                                "end": quiet[1].strftime("%H:%M")}
    rules = {k: v for k, v in rules.items() if v is not None}
    windows = [{"key": f"w{i}", "instrument": "nrs_pain", "anchor": "surgery",
                "offset": offset, "window": {"open": "-P1D", "close": "P1D"},
                "label": draw(st.text(max_size=200))}
               for i, offset in enumerate(["P1D", "P3D", "P7D"])]
    windows.append({"key": "h", "instrument": "pgic", "anchor": "surgery",
                    "offset": "PT60M", "window": {"open": "-PT10M", "close": "PT15M"}})
    protocol = study(reminders=rules, assessments=windows)
    tz = draw(st.sampled_from(ZONES))
    enrolled = utc(2027, 3, 1) + timedelta(minutes=draw(st.integers(0, 60 * 24 * 300)))
    surgery = enrolled + timedelta(minutes=draw(st.integers(0, 60 * 24 * 5)))
    pid = draw(st.text(min_size=1, max_size=40))
    sched = make_schedule(protocol, tz, enrolled, [AnchorEvent("op", "surgery", surgery)],
                          pid=pid)
    now = enrolled + timedelta(minutes=draw(st.integers(0, 60 * 24 * 20)))
    done_days = draw(st.sets(st.integers(0, 20)))
    done = Completed({(enrolled + timedelta(days=n)).date() for n in done_days})
    who = PlannerParticipant(pid, tz, reminder_time=draw(st.none() | clock_times))
    return protocol, who, sched, done, now


@settings(max_examples=150, deadline=None)
@given(scenarios())
def test_keys_are_unique_deterministic_and_every_text_fits_one_segment(scenario):
    protocol, who, sched, done, now = scenario
    due = plan(protocol, who, sched, done, now)
    soon = upcoming(protocol, who, sched, done, now, horizon=timedelta(days=3))
    both = due + soon
    assert len({r.key for r in both}) == len(both)
    assert {(r.kind, r.target, r.attempt) for r in both} == {
        (r.kind, r.target, r.attempt) for r in both}  # one key per task and attempt
    assert plan(protocol, who, sched, done, now) == due  # deterministic
    other = PlannerParticipant(who.id + "x", who.timezone, who.reminder_time)
    assert not {r.key for r in due} & {r.key for r in plan(protocol, other, sched, done, now)}
    for r in both:
        assert r.due_at < r.expires_at
        for language in ("en", "fr", "nl", "es", "xx"):  # unknown: English
            body = render(r, language)
            assert segments(body) == 1, body  # 160 GSM-7 or 70 UCS-2 characters


@given(st.sampled_from(KINDS), st.text(max_size=300), st.text(max_size=300),
       st.dates(date(2000, 1, 1), date(2099, 12, 31)), st.integers(0, 10),
       st.booleans())
def test_any_label_or_participant_id_renders_into_one_gsm7_segment(kind, label, pid, day,
                                                                   days, whole_day):
    until = day.isoformat() if whole_day else f"{day.isoformat()}T23:59"
    params = {"date": day.isoformat(), "first": day.isoformat(), "until": until,
              "deadline": f"{day.isoformat()}T12:00", "label": label, "participant": pid,
              "days": str(days)}
    at = datetime(2027, 1, 1, tzinfo=UTC)
    reminder = Reminder("k", pid or "p", kind, "participant", 0, at, at, at, kind,
                        tuple(sorted(params.items())))
    body = render(reminder)
    assert (n := gsm7_length(body)) is not None and n <= 160, body
    for language in ("fr", "nl", "es"):
        assert segments(render(reminder, language)) == 1


def test_the_english_texts_match_the_issue_example():
    assert TEMPLATES["en"]["diary"] == (
        "Pain diary: how was your pain today (0-10)? Reply with a number, e.g. 6")
    assert time(20, 0) == PlannerParticipant("p", "UTC", reminder_time="20:00").reminder_time
