"""OpenDays (issue 20): the instants the fast path's statement compares enrolment with,
checked against the diary's rules themselves (check_entry_rules), in ordinary zones and
in those whose clocks jump at midnight, skip a day or move by 30 minutes or 2 hours."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, timedelta
from types import SimpleNamespace
from zoneinfo import ZoneInfo

import pytest

from diary.errors import RuleViolation
from diary.protocol.loader import parse_protocol
from diary.services.entries import NewEntry, check_entry_rules
from diary.services.open_days import OpenDays, pair_key
from tests.conftest import MINIMAL_CROSSOVER

PROTOCOL = parse_protocol(MINIMAL_CROSSOVER)  # late entries: until 12:00 the next day
SHA = "a" * 64
NO_DIARY = SimpleNamespace(daily_diary=None)


def _open_days(*zones: str, protocol=PROTOCOL) -> OpenDays:
    days = OpenDays(lambda sha: protocol)
    for tz in zones:
        days.learn(tz, SHA)
    return days


def _windows(days: OpenDays, day: date, now: datetime) -> dict[str, datetime]:
    return {k: datetime.fromisoformat(v) for k, v in json.loads(days.windows(day, now)).items()}


def _rules_pass(tz: str, enrolled_at: datetime, day: date, now: datetime) -> bool:
    p = SimpleNamespace(timezone=tz, enrolled_at=enrolled_at, withdrawn_at=None)
    try:
        check_entry_rules(PROTOCOL, p, NewEntry(diary_date=day, score=1, client_id="x",
                                                device_time=None), now)
    except RuleViolation:
        return False
    return True


def _taken(windows: dict[str, datetime], tz: str, enrolled_at: datetime) -> bool:
    """What the statement decides for a participant not withdrawn."""
    bound = windows.get(pair_key(tz, SHA))
    return bound is not None and enrolled_at < bound


def test_a_day_is_open_from_its_start_until_the_late_entry_deadline():
    days, key = _open_days("Europe/Paris"), pair_key("Europe/Paris", SHA)
    day = date(2027, 3, 1)
    paris_march_2 = datetime(2027, 3, 1, 23, tzinfo=UTC)  # 00:00 on 2 March in Paris
    # One instance throughout, as in a worker: a reused answer must not outlive its truth.
    for now, open_ in [(datetime(2027, 2, 28, 22, 59, 59, tzinfo=UTC), False),
                       (datetime(2027, 2, 28, 23, 0, tzinfo=UTC), True),
                       (datetime(2027, 3, 1, 17, 0, tzinfo=UTC), True),
                       (datetime(2027, 3, 2, 10, 59, 59, 999999, tzinfo=UTC), True),
                       (datetime(2027, 3, 2, 11, 0, tzinfo=UTC), False)]:
        assert _windows(days, day, now) == ({key: paris_march_2} if open_ else {}), now


def test_an_answer_is_not_reused_for_an_earlier_instant():
    days, day = _open_days("Europe/Paris"), date(2027, 3, 1)
    assert _windows(days, day, datetime(2027, 3, 1, 9, tzinfo=UTC))
    assert _windows(days, day, datetime(2027, 2, 28, 9, tzinfo=UTC)) == {}


def test_only_pairs_met_are_open_and_a_new_one_counts_at_once():
    days, day, now = _open_days("Europe/Paris"), date(2027, 3, 1), datetime(2027, 3, 1, 9,
                                                                            tzinfo=UTC)
    assert set(_windows(days, day, now)) == {pair_key("Europe/Paris", SHA)}
    assert days.learn("America/New_York", SHA) and not days.learn("America/New_York", SHA)
    assert _windows(days, day, now) == {
        pair_key("Europe/Paris", SHA): datetime(2027, 3, 1, 23, tzinfo=UTC),
        pair_key("America/New_York", SHA): datetime(2027, 3, 2, 5, tzinfo=UTC)}


@pytest.mark.parametrize("tz", ["Mars/Olympus", "Europe/Paris"])
def test_a_study_without_a_daily_diary_or_an_unknown_zone_is_never_open(tz):
    days = _open_days(tz, protocol=NO_DIARY if tz == "Europe/Paris" else PROTOCOL)
    assert _windows(days, date(2027, 3, 1), datetime(2027, 3, 1, 9, tzinfo=UTC)) == {}


def test_dates_at_the_ends_of_the_calendar_are_never_open():
    days = _open_days("Pacific/Kiritimati")
    assert _windows(days, date.max, datetime(2027, 3, 1, 9, tzinfo=UTC)) == {}
    assert _windows(days, date.min, datetime(2027, 3, 1, 9, tzinfo=UTC)) == {}


# Zones whose clocks do odd things: DST at midnight (Beirut, Santiago, Havana, Asuncion,
# Sao Paulo until 2019), half-hour DST (Lord Howe), 2-hour DST (Troll), DST suspended
# for Ramadan (Casablanca), a skipped day (Apia, December 2011), +14 h (Kiritimati).
ODD_ZONES = {
    "Europe/Paris": 2027, "Asia/Beirut": 2026, "America/Santiago": 2027,
    "America/Havana": 2027, "America/Asuncion": 2023, "America/Sao_Paulo": 2018,
    "Australia/Lord_Howe": 2027, "Antarctica/Troll": 2027, "Africa/Casablanca": 2027,
    "Pacific/Apia": 2011, "Pacific/Kiritimati": 2027, "America/St_Johns": 2027,
}


def _transitions(tz: str, year: int) -> list[datetime]:
    zi, out = ZoneInfo(tz), []
    t = datetime(year, 1, 1, tzinfo=UTC)
    while t.year == year:
        if t.astimezone(zi).utcoffset() != (t + timedelta(hours=1)).astimezone(zi).utcoffset():
            out.append(t)
        t += timedelta(hours=1)
    return out or [datetime(year, 6, 1, tzinfo=UTC)]


@pytest.mark.parametrize("tz", list(ODD_ZONES))
def test_what_the_statement_takes_the_rules_take_around_every_clock_change(tz):
    """Stepping through two days around each of a year's clock changes: a participant the
    statement would take passes check_entry_rules; one enrolled the day before, whom the
    rules take, is taken; and an answer reused by a long-lived instance is the answer a
    fresh one gives."""
    zi, kept = ZoneInfo(tz), _open_days(tz)
    for change in _transitions(tz, ODD_ZONES[tz]):
        now = change - timedelta(days=1)
        while now < change + timedelta(days=1):
            today = now.astimezone(zi).date()
            for day in (today - timedelta(days=2), today - timedelta(days=1), today,
                        today + timedelta(days=1)):
                windows = _windows(kept, day, now)
                assert windows == _windows(_open_days(tz), day, now), (now, day)
                day_start = datetime.combine(day, datetime.min.time(), zi).astimezone(UTC)
                for enrolled_at in (day_start - timedelta(days=1), day_start,
                                    day_start + timedelta(hours=23, minutes=59),
                                    day_start + timedelta(hours=24, minutes=30),
                                    change - timedelta(minutes=30), change,
                                    change + timedelta(minutes=30)):
                    if _taken(windows, tz, enrolled_at):
                        assert _rules_pass(tz, enrolled_at, day, now), (now, day, enrolled_at)
                early = day_start - timedelta(days=1)
                if _rules_pass(tz, early, day, now):
                    assert _taken(windows, tz, early), (now, day)
            now += timedelta(minutes=13)
