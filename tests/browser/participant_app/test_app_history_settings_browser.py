"""The participant's app (issue 19) on a phone-sized headless Chromium, beyond today: the
pain history, the language switch, the reminder time, and installability (manifest and
service worker), with axe-core on each screen."""

from __future__ import annotations

from datetime import datetime

from tests.browser.conftest import axe_serious
from tests.browser.participant_app.support import (
    activate_by_typing,
    no_sideways_scroll,
    token_of,
)


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
