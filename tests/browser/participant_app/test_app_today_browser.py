"""The participant's app (issue 19) on a phone-sized headless Chromium, the day's work:
activation by the QR link and by typing the code, today's pain, corrections, a past day,
answers given offline and sent once when the network returns, a lost reply, the
questionnaires and the side-effect checklist, with axe-core on each screen. Screenshots go
to the folder ``PAINDIARY_SCREENSHOTS`` names (``docs/screenshots`` refreshes the
README's), else to pytest's temporary directory."""

from __future__ import annotations

import re
from datetime import datetime

from tests.browser.conftest import axe_serious
from tests.browser.participant_app.support import (
    PHONE,
    activate_by_typing,
    mine,
    no_sideways_scroll,
    token_of,
)


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


def test_a_medication_intake_is_corrected_with_a_reason(study, api, phone, shots):
    """The intake just noted is listed; "Correct" reopens it filled in, a reason is
    required, and the correction is stored as its next version."""
    activate_by_typing(phone, study.url, study.enrol("S001"))
    phone.get_by_label("Medicine").fill("morphine")
    phone.get_by_label("How it was taken").select_option("oral")
    phone.get_by_label("Dose", exact=True).fill("10")
    phone.get_by_label("Unit").select_option("mg")
    phone.get_by_label("When you took it").fill("2027-03-01T14:30")
    phone.get_by_role("button", name="Add this medicine").click()
    phone.get_by_text("Medicine added: morphine 10 mg.").wait_for()

    phone.get_by_role("button", name=re.compile("^Correct morphine 10 mg")).click()
    assert phone.get_by_label("Dose", exact=True).input_value() == "10"
    assert phone.get_by_label("Medicine").input_value() == "morphine"
    phone.get_by_label("Dose", exact=True).fill("5")
    phone.get_by_role("button", name="Save the correction").click()
    phone.get_by_text("Please say why you are changing this answer.").wait_for()
    phone.get_by_label("Why are you changing this answer?").fill("took half a tablet")
    assert axe_serious(phone) == []
    phone.screenshot(path=shots / "app-medication-correction-phone.png", full_page=True)
    phone.get_by_role("button", name="Save the correction").click()
    phone.get_by_text("Medicine corrected: morphine 5 mg.").wait_for()

    items = mine(api, token_of(phone), "medications")["items"]
    assert [(i["dose"], i["version"], i["is_current"], i["reason"]) for i in items] == [
        ("5", 2, True, "took half a tablet"), ("10", 1, False, None)]
    assert items[0]["series_id"] == items[1]["id"] == items[0]["supersedes_id"]
