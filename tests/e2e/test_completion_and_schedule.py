"""Diary completion in the participant list, and each participant's schedule of windows."""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

STUDY = "mini-crossover"
PARIS, CHICAGO = ZoneInfo("Europe/Paris"), ZoneInfo("America/Chicago")
S001 = f"/api/v1/studies/{STUDY}/participants/S001"


def _relogin(api) -> str:
    """Staff tokens last 12 h: tests that move the clock by days log in again."""
    return api.login("admin@site.org", "correct horse battery")


# --- diary completion in the participant list ------------------------------------------------

def _log(api, token, day: int, tz, score=5):
    """Log 2027-03-<day> at 20:00 local time on that day."""
    api.app.extensions["paindiary"].clock.set(datetime(2027, 3, day, 20, tzinfo=tz))
    r = api.entry(token, f"2027-03-{day:02d}", score,
                  device_time=datetime(2027, 3, day, 20, tzinfo=tz).isoformat())
    assert r.status_code == 201, r.json


def test_the_participant_list_shows_diary_completion_up_to_yesterday(api, crossover, clock):
    # Everyone enrolled 1 March 17:00 UTC and had infusion 1 at 08:00 UTC that morning:
    # day 0 is 1 March in Paris (09:00) and in Chicago (02:00 CST). Diary days -7..35 are
    # 22 February..5 April, of which only those from enrolment (1 March) on are owed.
    tokens = {}
    for subject, site, tz in (("S001", "PAR", "Europe/Paris"),
                              ("S002", "LYO", "America/Chicago"),
                              ("S003", "PAR", "Europe/Paris")):
        code = api.enrol(crossover, STUDY, subject_id=subject, site=site, sequence="KP",
                         timezone=tz)["activation_code"]
        tokens[subject] = api.activate(code)
        assert api.event(crossover, STUDY, subject, type="infusion", period=1,
                         occurred_at="2027-03-01T08:00:00+00:00").status_code == 201
    for day in (1, 2, 4):
        _log(api, tokens["S001"], day, PARIS)
    for day in (1, 2, 3, 4):
        _log(api, tokens["S002"], day, CHICAGO)
    _log(api, tokens["S003"], 1, PARIS)
    clock.set(datetime(2027, 3, 3, 13, tzinfo=PARIS))
    assert api.c.post(f"/api/v1/studies/{STUDY}/participants/S003/withdrawal",
                      headers=api.bearer(_relogin(api)),
                      json={"reason": "moved away"}).status_code == 200
    # Now: 6 March 03:00 UTC, which is 04:00 on 6 March in Paris, 21:00 on 5 March in Chicago.
    clock.set(datetime(2027, 3, 6, 3, 0, tzinfo=UTC))
    today = api.entry(tokens["S001"], "2027-03-06", 2, device_time="2027-03-06T04:00:00+01:00")
    assert today.status_code == 201

    listing = api.c.get(f"/api/v1/studies/{STUDY}/participants",
                        headers=api.bearer(_relogin(api))).json
    completion = {p["subject_id"]: p["completion"] for p in listing["items"]}
    assert completion == {
        # owed 1..5 March = 5 days; logged 1, 2, 4: 3/5; today (6 March) logged too
        "S001": {"expected_days": 5, "completed_days": 3, "rate": 3 / 5, "percent": 60.0,
                 "today_done": True},
        # Chicago's today is 5 March: owed 1..4 March = 4 days, all logged: 4/4
        "S002": {"expected_days": 4, "completed_days": 4, "rate": 4 / 4, "percent": 100.0,
                 "today_done": False},
        # withdrawn on 3 March (13:00 Paris), a day that still counts: owed 1..3 = 3; 1/3
        "S003": {"expected_days": 3, "completed_days": 1, "rate": 0.3333, "percent": 33.3,
                 "today_done": False},
    }


def test_a_corrected_day_counts_once(api, s001, clock):
    api.event(s001["admin"], STUDY, "S001", type="infusion", period=1,
              occurred_at="2027-03-01T08:00:00+00:00")
    _log(api, s001["token"], 1, PARIS, score=6)
    assert api.entry(s001["token"], "2027-03-01", 4, reason="typo").status_code == 201
    clock.set(datetime(2027, 3, 2, 20, tzinfo=PARIS))
    listing = api.c.get(f"/api/v1/studies/{STUDY}/participants",
                        headers=api.bearer(_relogin(api))).json
    # owed: 1 March only (today is 2 March); two versions of it, one day completed
    assert listing["items"][0]["completion"] == {"expected_days": 1, "completed_days": 1,
                                                 "rate": 1.0, "percent": 100.0,
                                                 "today_done": False}


# --- the schedule ----------------------------------------------------------------------------

def test_the_schedule_lists_windows_and_diary_spans_in_the_participants_zone(api, s001):
    api.event(s001["admin"], STUDY, "S001", type="infusion", period=1,
              occurred_at="2027-03-01T08:00:00+00:00")
    api.unblind(s001["admin"], STUDY)  # blinded staff see TRT-n (tests/e2e/test_blinding.py)
    schedule = api.c.get(S001 + "/schedule", headers=api.bearer(s001["admin"])).json
    [window] = schedule["windows"]
    # Day 0 is 1 March (09:00 in Paris); day 7 is 8 March, +- 1 day: 7 March 00:00 to
    # 10 March 00:00 Paris time (UTC+1), i.e. 23:00 UTC the evening before.
    assert {k: window[k] for k in ("assessment", "instrument", "anchor", "occurrence", "period",
                                   "treatment", "target_day", "opens_at", "closes_at",
                                   "opens_local", "closes_local")} == {
        "assessment": "pain_d7", "instrument": "nrs_pain", "anchor": "infusion",
        "occurrence": 0, "period": 1, "treatment": "K", "target_day": 7,
        "opens_at": "2027-03-06T23:00:00+00:00", "closes_at": "2027-03-09T23:00:00+00:00",
        "opens_local": "2027-03-07 00:00:00+01:00", "closes_local": "2027-03-10 00:00:00+01:00",
    }
    [span] = schedule["diary_spans"]
    # days -7..35 around 1 March are 22 February..5 April; owed only from enrolment (1 March)
    assert (span["anchor_date"], span["first"], span["last"], span["treatment"]) == (
        "2027-03-01", "2027-03-01", "2027-04-05", "K")


def test_window_ids_are_stable_across_calls_and_protocol_upgrades_keeping_the_key(
        api, s001, crossover_source):
    api.event(s001["admin"], STUDY, "S001", type="infusion", period=1,
              occurred_at="2027-03-01T08:00:00+00:00")
    h = api.bearer(s001["admin"])
    first = api.c.get(S001 + "/schedule", headers=h).json["windows"]
    assert api.c.get(S001 + "/schedule", headers=h).json["windows"] == first

    wider = crossover_source.replace("window: {open: -P1D, close: P1D}",
                                     "window: {open: -P2D, close: P2D}")
    assert api.upload(s001["admin"], wider,
                      url=f"/api/v1/studies/{STUDY}/versions").status_code == 201
    [upgraded] = api.c.get(S001 + "/schedule", headers=h).json["windows"]
    assert upgraded["id"] == first[0]["id"]
    # 8 March -2 days = 6 March 00:00 Paris; +2 days = 10 March, closing 11 March 00:00
    assert (upgraded["opens_at"], upgraded["closes_at"]) == ("2027-03-05T23:00:00+00:00",
                                                             "2027-03-10T23:00:00+00:00")

    renamed = wider.replace("key: pain_d7", "key: pain_day7")
    assert api.upload(s001["admin"], renamed,
                      url=f"/api/v1/studies/{STUDY}/versions").status_code == 201
    [other] = api.c.get(S001 + "/schedule", headers=h).json["windows"]
    assert other["assessment"] == "pain_day7" and other["id"] != first[0]["id"]


def test_after_a_withdrawal_the_tasks_show_withdrawn_and_no_open_window(api, s001, clock):
    api.event(s001["admin"], STUDY, "S001", type="infusion", period=1,
              occurred_at="2027-03-01T08:00:00+00:00")
    clock.set(datetime(2027, 3, 7, 12, tzinfo=UTC))  # inside the day-7 window
    me = api.bearer(s001["token"])
    before = api.c.get("/api/v1/me/tasks", headers=me).json
    assert [w["assessment"] for w in before["open_windows"]] == ["pain_d7"]
    assert before["withdrawn"] is False and before["diary"]["due"] is True
    r = api.c.post(S001 + "/withdrawal", headers=api.bearer(_relogin(api)),
                   json={"reason": "adverse event"})
    assert r.status_code == 200
    after = api.c.get("/api/v1/me/tasks", headers=me).json
    assert (after["withdrawn"], after["open_windows"], after["diary"]) == (True, [], None)
    assert api.c.get("/api/v1/me", headers=me).json["withdrawn_at"] == "2027-03-07T12:00:00+00:00"
