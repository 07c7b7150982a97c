"""The participant's app (issue 19) on a phone-sized headless Chromium: activation by the
QR link and by typing the code, today's pain, answers given offline and sent once when
the network returns, the other forms, history, the language switch, installability
(manifest and service worker), and axe-core on each screen. Screenshots go to the folder
``PAINDIARY_SCREENSHOTS`` names (``docs/screenshots`` refreshes the README's), else to
pytest's temporary directory."""

from __future__ import annotations

import os
import re
from datetime import datetime
from pathlib import Path

import pytest

from tests.browser.conftest import ADMIN, ADMIN_PASSWORD

AXE = Path(__file__).parent / "vendor" / "axe.min.js"
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


@pytest.fixture
def shots(tmp_path) -> Path:
    folder = Path(os.environ.get("PAINDIARY_SCREENSHOTS") or tmp_path)
    folder.mkdir(parents=True, exist_ok=True)
    return folder


@pytest.fixture
def study(api, live_server):
    """The study, an administrator, and a way to enrol participants (their codes)."""
    admin = api.create_admin(ADMIN, ADMIN_PASSWORD)
    api.create_study(admin, APP_STUDY)

    def enrol(subject: str, language: str = "en") -> str:
        code = api.enrol(admin, STUDY, subject_id=subject, site="PAR", arm="A",
                         language=language)["activation_code"]
        r = api.event(admin, STUDY, subject, type="infusion",
                      occurred_at="2027-02-25T08:00:00+00:00")
        assert r.status_code == 201, r.json
        return code

    live_server.enrol = enrol
    return live_server


@pytest.fixture
def phone(browser):
    """A phone-sized page; like the dashboard's ``page`` fixture, a script error, a CSP
    refusal or a missing asset fails the test. axe is injected by the test, so the
    policy is bypassed in this context (the app's own tests check the header)."""
    context = browser.new_context(locale="en-GB", bypass_csp=True, **PHONE)
    page = context.new_page()
    page.set_default_timeout(10_000)
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.on("console", lambda m: errors.append(m.text) if m.type == "error"
            and not m.text.startswith("Failed to load resource") else None)
    page.on("response", lambda r: errors.append(f"{r.status} {r.url}")
            if r.status >= 400 and r.request.resource_type not in ("document", "fetch", "xhr")
            else None)
    yield page
    context.close()
    assert errors == [], errors


def axe_serious(page) -> list:
    page.add_script_tag(path=str(AXE))
    result = page.evaluate("axe.run(document, {resultTypes: ['violations']})")
    return [(v["id"], v["impact"], [n["target"] for n in v["nodes"]][:3])
            for v in result["violations"] if v["impact"] in ("serious", "critical")]


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


def test_the_qr_link_activates_the_phone_and_todays_pain_takes_one_tap_and_a_confirmation(
        study, api, phone, shots):
    code = study.enrol("S001")
    phone.goto(f"{study.url}/app/activate?code={code}")
    assert phone.get_by_label("Activation code").input_value() == code  # filled in
    assert axe_serious(phone) == []
    phone.screenshot(path=shots / "app-activate-phone.png")
    phone.get_by_role("button", name="Start").click()
    phone.locator("main[data-ready=today]").wait_for()
    assert phone.url.endswith("/app/#today")  # the code left the address bar
    assert token_of(phone)
    no_sideways_scroll(phone)
    assert axe_serious(phone) == []
    phone.screenshot(path=shots / "app-today-phone.png", full_page=True)

    pain = phone.get_by_role("group", name=re.compile("^Pain on"))
    pain.get_by_text("6", exact=True).click()  # the tap
    assert phone.get_by_text("Your pain: 6 out of 10. Save it?").is_visible()
    assert mine(api, token_of(phone), "diary-entries")["total"] == 0  # not before confirming
    box = pain.locator("xpath=..").locator(".option label").first.bounding_box()
    assert box["height"] >= 48 and box["width"] >= 44  # a touch target
    phone.screenshot(path=shots / "app-pain-confirm-phone.png")
    phone.get_by_role("button", name="Save").click()
    phone.get_by_text("Saved: pain 6 on").wait_for()
    # Reflow (WCAG 1.4.10): at 320 CSS pixels, as a 1280 px screen at 400 %, nothing
    # scrolls sideways.
    phone.set_viewport_size({"width": 320, "height": 640})
    no_sideways_scroll(phone)
    phone.set_viewport_size(PHONE["viewport"])
    assert phone.get_by_text("Today's pain is recorded: 6 out of 10.").is_visible()

    entries = mine(api, token_of(phone), "diary-entries")["items"]
    assert [(e["diary_date"], e["score"], e["channel"]) for e in entries] == \
        [("2027-03-01", 6, "app")]
    assert entries[0]["device_time"] is not None


def test_a_correction_asks_for_a_reason(study, api, phone):
    activate_by_typing(phone, study.url, study.enrol("S001"))
    phone.get_by_role("group", name=re.compile("^Pain on")).get_by_text("3", exact=True).click()
    phone.get_by_role("button", name="Save").click()
    phone.get_by_role("button", name="Correct this day").click()
    phone.get_by_role("group", name=re.compile("^Pain on")).get_by_text("5", exact=True).click()
    assert phone.get_by_text("This day already has a score (3).").is_visible()
    phone.get_by_role("button", name="Save").click()
    assert phone.get_by_role("alert").filter(
        has_text="Please say why you are changing this answer.").is_visible()
    phone.get_by_label("Why are you changing this answer?").fill("I tapped the wrong number")
    phone.get_by_role("button", name="Save").click()
    phone.get_by_text("Today's pain is recorded: 5 out of 10.").wait_for()
    rows = mine(api, token_of(phone), "diary-entries")["items"]
    assert sorted((e["version"], e["score"], e["is_current"], e["reason"]) for e in rows) == \
        [(1, 3, False, None), (2, 5, True, "I tapped the wrong number")]


def test_a_past_day_still_open_can_be_filled_in_and_a_closed_one_is_refused_with_why(
        study, api, phone, clock):
    from zoneinfo import ZoneInfo

    clock.set(datetime(2027, 2, 25, 10, tzinfo=ZoneInfo("Europe/Paris")))
    code = study.enrol("S001")
    # Days later, before noon: yesterday is still open (late_entry: 1 day, 12:00).
    clock.set(datetime(2027, 3, 2, 10, tzinfo=ZoneInfo("Europe/Paris")))
    activate_by_typing(phone, study.url, code)
    phone.get_by_text("Fill in another day").click()
    assert phone.get_by_label("Day", exact=True).input_value() == "2027-03-01"
    phone.get_by_role("button", name="Choose this day").click()
    phone.get_by_role("group", name="Pain on Monday, March 1").get_by_text("5", exact=True).click()
    phone.get_by_role("button", name="Save").click()
    phone.get_by_text("Saved: pain 5 on Monday, March 1.").wait_for()

    phone.get_by_text("Fill in another day").click()
    phone.get_by_label("Day", exact=True).fill("2027-02-27")
    phone.get_by_role("button", name="Choose this day").click()
    phone.get_by_role("group", name="Pain on Saturday, February 27").get_by_text(
        "2", exact=True).click()
    phone.get_by_role("button", name="Save").click()
    refusal = phone.get_by_role("alert").filter(has_text="did not accept this")
    refusal.wait_for()
    assert "too late" in refusal.inner_text()
    status = phone.locator("#status")
    assert status.get_by_text("Pain 2 on Saturday, February 27").is_visible()
    status.get_by_role("button", name="Remove").click()
    phone.locator("#status .refused").wait_for(state="detached")
    rows = mine(api, token_of(phone), "diary-entries")["items"]
    assert [(e["diary_date"], e["score"]) for e in rows] == [("2027-03-01", 5)]


def test_answers_given_offline_wait_on_the_phone_and_are_stored_once_when_back_online(
        study, api, phone, shots):
    activate_by_typing(phone, study.url, study.enrol("S001"))
    phone.wait_for_function("navigator.serviceWorker.controller !== null")
    token = token_of(phone)
    context = phone.context
    context.set_offline(True)
    phone.get_by_role("group", name=re.compile("^Pain on")).get_by_text("4", exact=True).click()
    phone.get_by_role("button", name="Save").click()
    phone.get_by_text("Kept on this phone: pain 4 on").wait_for()
    phone.get_by_role("button", name="Answer: Patient Global Impression of Change").click()
    phone.get_by_text("Much improved", exact=True).click()
    phone.get_by_role("button", name="Send my answers").click()
    status = phone.locator("#status")
    status.get_by_text("2 answers are waiting to be sent.").wait_for()
    assert status.get_by_text("You are offline.").is_visible()
    assert status.get_by_text("Pain 4 on Monday, March 1").is_visible()
    assert status.get_by_text("Questionnaire: Patient Global Impression of Change").is_visible()

    # Still offline, the phone opens the app again: the service worker serves it, and the
    # queue (IndexedDB) is still there.
    phone.reload()
    phone.locator("main[data-ready=today]").wait_for()
    status.get_by_text("2 answers are waiting to be sent.").wait_for()
    assert phone.get_by_text("Today's pain, 4 out of 10, is kept on this phone until it "
                             "can be sent.").is_visible()
    assert axe_serious(phone) == []
    phone.screenshot(path=shots / "app-offline-phone.png")
    assert mine(api, token, "diary-entries")["total"] == 0

    context.set_offline(False)  # the "online" event sends the queue
    phone.locator("#status[data-waiting='0']").wait_for(state="attached")
    assert [(e["score"], e["diary_date"]) for e in mine(api, token, "diary-entries")["items"]] \
        == [(4, "2027-03-01")]
    responses = mine(api, token, "questionnaire-responses")["items"]
    assert [(r["instrument"], r["answers"]) for r in responses] == [("pgic", {"pgic": 2})]
    assert phone.evaluate("PainApp.store.all('outbox')") == []


def test_answers_already_sent_can_be_changed_with_a_reason(study, api, phone):
    activate_by_typing(phone, study.url, study.enrol("S001"))
    phone.get_by_role("button", name="Answer: Patient Global Impression of Change").click()
    phone.get_by_text("Much improved", exact=True).click()
    phone.get_by_role("button", name="Send my answers").click()
    phone.get_by_text("Answered. Thank you.").wait_for()
    window = phone.locator("article", has_text="Patient Global Impression of Change")
    window.get_by_role("button", name="Change my answers").click()
    assert window.get_by_label("Much improved", exact=True).is_checked()  # starts from it
    window.get_by_text("No change", exact=True).click()
    window.get_by_role("button", name="Send my answers").click()
    assert window.get_by_role("alert").filter(
        has_text="Please say why you are changing this answer.").is_visible()
    window.get_by_label("Why are you changing this answer?").fill("I misread the question")
    window.get_by_role("button", name="Send my answers").click()
    # The page is drawn again once the answer is handled (the earlier "Answered" notice
    # stays until then): the form has gone.
    phone.locator("form.questionnaire").wait_for(state="detached")
    phone.get_by_text("Answered. Thank you.").wait_for()

    effects = phone.locator("section", has=phone.get_by_role("heading", name="Side effects today"))
    effects.get_by_role("button", name="None of these").click()
    effects.get_by_role("button", name="Send side effects").click()
    phone.get_by_text("Side effects sent for today. Thank you.").wait_for()
    effects.get_by_role("button", name="Change today's answers").click()
    effects.get_by_role("group", name="Nausea").get_by_text("Mild").click()
    effects.get_by_label("Why are you changing this answer?").fill("It started later")
    effects.get_by_role("button", name="Send side effects").click()
    phone.locator("form.side-effects").wait_for(state="detached")
    phone.get_by_text("Side effects sent for today. Thank you.").wait_for()

    token = token_of(phone)
    responses = mine(api, token, "questionnaire-responses")["items"]
    assert sorted((r["version"], r["answers"]["pgic"], r["is_current"], r["reason"])
                  for r in responses) == [(1, 2, False, None),
                                          (2, 4, True, "I misread the question")]
    reports = mine(api, token, "side-effects")["items"]
    assert sorted((r["version"], r["answers"]["nausea"], r["reason"]) for r in reports) == \
        [(1, 0, None), (2, 1, "It started later")]


def test_a_questionnaire_with_times_of_day_and_minutes(study, api, phone, shots):
    """PSQI: bedtime and rise time are times of day (sent as minutes after midnight),
    minutes to fall asleep and of sleep are whole numbers within bounds."""
    activate_by_typing(phone, study.url, study.enrol("S001"))
    phone.get_by_role("button", name=re.compile("^Answer: .*Sleep")).click()
    form = phone.locator("form.questionnaire")
    for group in form.locator("fieldset").all():
        group.locator(".option label").first.click()
    times = form.locator("input[type=time]")
    assert times.count() == 2
    times.nth(0).fill("23:30")
    times.nth(1).fill("06:45")
    numbers = form.locator("input[type=number]")
    assert numbers.count() == 2
    numbers.nth(0).fill("15")
    numbers.nth(1).fill("7.5")  # hours, not minutes: refused on the phone
    assert phone.get_by_text("A whole number from 0 to 1440 (in minutes)").count() == 2
    form.get_by_role("button", name="Send my answers").click()
    assert form.get_by_role("alert").filter(has_text="Please check the numbers").is_visible()
    numbers.nth(1).fill("390")
    assert axe_serious(phone) == []
    form.evaluate("f => f.closest('article').scrollIntoView()")
    phone.screenshot(path=shots / "app-questionnaire-phone.png")
    form.get_by_role("button", name="Send my answers").click()
    phone.get_by_text("Answered. Thank you.").wait_for()
    response = mine(api, token_of(phone), "questionnaire-responses")["items"][0]
    assert response["instrument"] == "psqi"
    assert (response["answers"]["psqi_1"], response["answers"]["psqi_3"],
            response["answers"]["psqi_2"], response["answers"]["psqi_4"]) == \
        (23 * 60 + 30, 6 * 60 + 45, 15, 390)


def test_an_answer_whose_reply_was_lost_is_sent_again_and_stored_once(study, api, browser):
    """The server stored the score but the phone never heard back: the retry with the same
    client id gets the original (200), and the queue empties. Routing needs the service
    worker out of the way (Playwright routes only the page's own requests)."""
    context = browser.new_context(service_workers="block", bypass_csp=True, **PHONE)
    page = context.new_page()
    page.set_default_timeout(10_000)
    try:
        activate_by_typing(page, study.url, study.enrol("S001"))
        lost = []

        def lose_the_reply(route):
            if route.request.method == "POST" and not lost:
                lost.append(route.fetch().status)  # it reaches the server...
                route.abort("connectionreset")     # ...and the reply is lost
            else:
                route.continue_()

        page.route("**/api/v1/me/diary-entries", lose_the_reply)
        page.get_by_role("group", name=re.compile("^Pain on")).get_by_text("7", exact=True).click()
        page.get_by_role("button", name="Save").click()
        page.get_by_text("Kept on this phone: pain 7 on").wait_for()
        assert lost == [201]
        page.locator("#status").get_by_role("button", name="Send now").click()
        page.locator("#status[data-waiting='0']").wait_for(state="attached")
        rows = mine(api, token_of(page), "diary-entries")["items"]
        assert [(e["score"], e["version"]) for e in rows] == [(7, 1)]
    finally:
        context.close()


def test_the_side_effect_checklist_and_a_rescue_dose_are_recorded(study, api, phone, shots):
    activate_by_typing(phone, study.url, study.enrol("S001"))
    effects = phone.locator("section", has=phone.get_by_role("heading", name="Side effects today"))
    effects.get_by_role("button", name="None of these").click()
    effects.get_by_role("group", name="Dizziness").get_by_text("Moderate").click()
    effects.get_by_role("button", name="Send side effects").click()
    phone.get_by_text("Side effects sent for today. Thank you.").wait_for()

    phone.get_by_label("Medicine").fill("morphine")
    phone.get_by_label("How it was taken").select_option("oral")
    phone.get_by_label("Dose", exact=True).fill("7,5")
    phone.get_by_label("Unit").select_option("mg")
    phone.get_by_label("When you took it").fill("2027-03-01T14:30")
    phone.get_by_label("Extra dose for breakthrough pain (rescue)").check()
    assert axe_serious(phone) == []
    phone.screenshot(path=shots / "app-medication-phone.png", full_page=True)
    phone.get_by_role("button", name="Add this medicine").click()
    phone.get_by_text("Medicine added: morphine 7.5 mg.").wait_for()

    token = token_of(phone)
    reports = mine(api, token, "side-effects")["items"]
    assert [(r["diary_date"], r["answers"]) for r in reports] == \
        [("2027-03-01", {"nausea": 0, "vomiting": 0, "dizziness": 2})]
    intake = mine(api, token, "medications")["items"][0]
    assert (intake["drug"], str(intake["dose"]), intake["unit"], intake["route"],
            intake["rescue"]) == ("morphine", "7.5", "mg", "oral", True)


def test_history_shows_the_participants_own_pain_curve(study, api, phone, clock, shots):
    from zoneinfo import ZoneInfo

    paris = ZoneInfo("Europe/Paris")
    clock.set(datetime(2027, 2, 25, 10, tzinfo=paris))  # enrolled on the infusion's day
    token = api.activate(study.enrol("S001"))
    scores = [5, 6, 4, 7, 3]
    for day, score in zip(range(25, 29), scores, strict=False):
        evening = datetime(2027, 2, day, 20, tzinfo=paris)
        clock.set(evening)
        assert api.entry(token, evening.date().isoformat(), score,
                         device_time=evening.isoformat()).status_code == 201
    clock.set(datetime(2027, 3, 1, 18, tzinfo=paris))
    phone.goto(study.url + "/app/")
    phone.evaluate("t => localStorage.setItem('paindiary.token', t)", token)
    phone.goto(study.url + "/app/#history")
    phone.locator("main[data-ready=history]").wait_for()
    chart = phone.get_by_role("img", name="Daily pain, 0 to 10, by date")
    assert chart.get_attribute("data-points") == "4"
    assert chart.locator("canvas").count() == 1
    phone.get_by_text("Show as a table").click()
    assert phone.locator("table tbody tr").count() == 4
    no_sideways_scroll(phone)
    assert axe_serious(phone) == []
    phone.screenshot(path=shots / "app-history-phone.png", full_page=True)


def test_the_app_speaks_the_participants_language_and_switches(study, api, phone, shots):
    activate_by_typing(phone, study.url, study.enrol("S001", language="fr"))
    assert phone.locator("html").get_attribute("lang") == "fr"
    assert phone.get_by_role("heading", name="Quelle a été l'intensité de votre douleur "
                                             "aujourd'hui ?").is_visible()
    phone.screenshot(path=shots / "app-today-fr-phone.png", full_page=True)
    phone.get_by_role("link", name="Réglages").click()
    phone.locator("main[data-ready=settings]").wait_for()
    phone.get_by_label("Langue").select_option("nl")
    phone.get_by_role("link", name="Vandaag").wait_for()
    assert phone.locator("html").get_attribute("lang") == "nl"
    assert phone.get_by_label("Taal").input_value() == "nl"
    # The participant's language on the server follows (reminders and SMS replies too).
    token = token_of(phone)
    for _ in range(50):  # the PUT runs beside the redraw
        if api.c.get("/api/v1/me", headers=api.bearer(token)).json["language"] == "nl":
            break
        phone.wait_for_timeout(100)
    assert api.c.get("/api/v1/me", headers=api.bearer(token)).json["language"] == "nl"
    assert axe_serious(phone) == []
    phone.screenshot(path=shots / "app-settings-nl-phone.png")
    phone.get_by_role("link", name="Vandaag").click()
    phone.get_by_role("heading", name="Hoe erg was uw pijn vandaag?").wait_for()
    assert phone.title() == "Pijndagboek"
    phone.reload()  # the choice is kept on the phone
    phone.get_by_role("heading", name="Hoe erg was uw pijn vandaag?").wait_for()
    phone.get_by_role("link", name="Instellingen").click()
    phone.get_by_label("Taal").select_option("es")
    phone.get_by_role("link", name="Hoy").click()
    phone.get_by_role("heading", name="¿Qué intensidad tuvo su dolor hoy?").wait_for()
    phone.screenshot(path=shots / "app-today-es-phone.png", full_page=True)


def test_the_participant_sets_the_evening_reminder_time(study, api, phone, shots):
    activate_by_typing(phone, study.url, study.enrol("S001"))
    phone.get_by_role("link", name="Settings").click()
    phone.locator("main[data-ready=settings]").wait_for()
    reminder = phone.get_by_label("Evening reminder")
    assert reminder.input_value() == "20:00"  # the study's time
    reminder.fill("21:15")
    phone.get_by_role("button", name="Save the reminder time").click()
    phone.get_by_text("Reminder time saved: 21:15.").wait_for()
    assert axe_serious(phone) == []
    phone.screenshot(path=shots / "app-settings-phone.png")
    me = api.c.get("/api/v1/me", headers=api.bearer(token_of(phone))).json
    assert (me["reminder_time"], me["reminder_time_chosen"]) == ("21:15", True)


def test_the_app_is_installable_manifest_and_service_worker(study, phone):
    phone.goto(study.url + "/app/")
    href = phone.locator("link[rel=manifest]").get_attribute("href")
    r = phone.request.get(study.url + href)
    assert r.ok and r.headers["content-type"].startswith("application/manifest+json")
    manifest = r.json()
    assert manifest["name"] == "Pain diary" and manifest["short_name"]
    assert manifest["start_url"] == "/app/" and manifest["scope"] == "/app/"
    assert manifest["display"] == "standalone"
    sizes = {i["sizes"] for i in manifest["icons"] if i.get("purpose", "any") == "any"}
    assert {"192x192", "512x512"} <= sizes
    for icon in manifest["icons"]:
        got = phone.request.get(study.url + icon["src"])
        assert got.ok and got.headers["content-type"] == icon["type"] == "image/png"
        width, height = (int(x) for x in icon["sizes"].split("x"))
        png = got.body()
        assert png[:8] == b"\x89PNG\r\n\x1a\n"
        assert (int.from_bytes(png[16:20]), int.from_bytes(png[20:24])) == (width, height)

    scope = phone.evaluate("navigator.serviceWorker.ready.then(r => r.scope)")
    assert scope == study.url + "/app/"
    phone.wait_for_function("navigator.serviceWorker.controller !== null")
    assert phone.evaluate("navigator.serviceWorker.controller.scriptURL") == \
        study.url + "/app/sw.js"
    cached = phone.evaluate("""async () => {
        const keys = await caches.keys();
        const cache = await caches.open(keys.find(k => k.startsWith('paindiary-app-')));
        return (await cache.keys()).map(r => new URL(r.url).pathname);
    }""")
    assert "/app/" in cached and "/app/static/js/app.js" in cached
    assert not [u for u in cached if u.startswith("/api/")]  # health data is never cached

    # Chromium's own verdict: the manifest parses without errors and nothing but the
    # test's private window stops installing the app (a manifest with "display":
    # "browser" fails here with manifest-display-not-supported).
    cdp = phone.context.new_cdp_session(phone)
    parsed = cdp.send("Page.getAppManifest")
    assert parsed["errors"] == [] and parsed["url"] == study.url + href
    errors = cdp.send("Page.getInstallabilityErrors")["installabilityErrors"]
    # Playwright's contexts are incognito ones, where Chromium installs nothing.
    assert [e["errorId"] for e in errors if e["errorId"] != "in-incognito"] == []
