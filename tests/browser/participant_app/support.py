"""What the participant app's browser tests share: the study they run, the phone, and the
steps every test takes (issue 19)."""

from __future__ import annotations

STUDY = "app-study"
# A 7-day window for the PGIC, the daily side-effect checklist and the daily diary, all
# open on the frozen clock's day (2027-03-01, 18:00 in Paris) after an infusion on 02-25.
APP_STUDY = """
key: app-study
title: Ketamine infusion and daily pain
timezone: Europe/Paris
design: parallel
sites: [PAR]
languages: [en, fr, nl, es]
arms: [{key: A}, {key: B}]
anchors: [{key: infusion, max_count: 1}]
daily_diary: {anchor: infusion, from_day: -7, to_day: 35,
              late_entry: {days_after: 1, until: "12:00"}}
assessments:
  - {key: pgic_d7, instrument: pgic, anchor: infusion, offset: P7D,
     window: {open: -P7D, close: P7D}}
  - {key: psqi_d7, instrument: psqi, anchor: infusion, offset: P7D,
     window: {open: -P7D, close: P7D}, label: Sleep}
  - {key: se_daily, form: side_effects, anchor: infusion, offset: P0D,
     repeat: {every: P1D, count: 20}, window: {open: P0D, close: P0D}}
side_effects: [nausea, vomiting, dizziness]
"""
PHONE = {"viewport": {"width": 390, "height": 844}, "is_mobile": True, "has_touch": True,
         "device_scale_factor": 2, "timezone_id": "Europe/Paris"}


def no_sideways_scroll(page) -> None:
    overflow = page.evaluate(
        "document.documentElement.scrollWidth - document.documentElement.clientWidth")
    assert overflow <= 0, f"the page scrolls sideways by {overflow}px on a phone"


def activate_by_typing(page, url: str, code: str) -> None:
    page.goto(url + "/app/")
    page.get_by_label("Activation code").fill(code)
    page.get_by_role("button", name="Start").click()
    page.locator("main[data-ready=today]").wait_for()


def token_of(page) -> str:
    return page.evaluate("localStorage.getItem('paindiary.token')")


def mine(api, token: str, path: str) -> dict:
    r = api.c.get("/api/v1/me/" + path, headers=api.bearer(token))
    assert r.status_code == 200, r.json
    return r.json
