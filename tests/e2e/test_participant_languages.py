"""Participants read their texts in their language (issue 19): reminders and SMS replies
in French, HELP in Dutch, a language a coordinator changes, the app's task titles and
questionnaire labels; a language without a catalog falls back to the study's, then
English."""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest

from diary.audit_crosscheck import cross_check
from tests.e2e.reminder_support import REMINDING_CROSSOVER, STUDY, Harness
from tests.e2e.sms_support import PHONE, text_in

PARIS = ZoneInfo("Europe/Paris")
BASE = f"/api/v1/studies/{STUDY}/participants"
# A window without a label: its messages name the instrument (translated), never its id.
UNLABELLED = """  - {key: nrs_d2, instrument: nrs_pain, anchor: infusion, offset: P2D,
     window: {open: PT0S, close: P1D}}
reminders:"""


def paris(*args) -> datetime:
    return datetime(*args, tzinfo=PARIS).astimezone(UTC)


def _study(api, admin, languages: str, language: str | None, extra: str = "") -> str:
    source = REMINDING_CROSSOVER.replace("sites: [PAR, LYO]",
                                         f"sites: [PAR, LYO]\nlanguages: {languages}") + extra
    api.create_study(admin, source.replace("reminders:", UNLABELLED, 1))
    extra = {"language": language} if language else {}
    code = api.enrol(admin, STUDY, subject_id="S001", site="PAR", sequence="KP", phone=PHONE,
                     **extra)["activation_code"]
    assert api.event(admin, STUDY, "S001", type="infusion", period=1,
                     occurred_at="2027-03-01T08:00:00+00:00").status_code == 201
    return code


def _staff(api):
    return api.bearer(api.login("admin@site.org", "correct horse battery"))


@pytest.fixture
def harness(app, twilio_transport):
    return Harness(app, twilio_transport)


def test_a_french_participant_gets_french_reminders_and_replies(api, admin, clock, harness):
    _study(api, admin, "[fr, en]", "fr")
    harness.tick(paris(2027, 3, 2, 20, 1))
    diary = harness.outbox(kind="diary")
    assert [m.body for m in diary] == [
        "Journal de la douleur: quelle était votre douleur aujourd'hui (0-10)? Répondez par "
        "un nombre, p. ex. 6"]
    harness.tick(paris(2027, 3, 3, 8, 30))
    opened = harness.outbox(kind="window_open")
    assert [m.body for m in opened] == [
        "Questionnaire de l'étude ouvert: Échelle numérique de la douleur (EN 0-10). Merci "
        "de le remplir au plus tard le jeu 4 mars."]
    clock.set(paris(2027, 3, 3, 21, 0))
    assert text_in(api.c, "6")[1] == "Merci, douleur 6 notée pour mer 3 mars."
    assert text_in(api.c, "7")[1] == ("Vous avez déjà envoyé une douleur de 6 pour mer 3 mars. "
                                      "Répondez OUI pour la changer en 7, ou NON pour garder 6.")
    assert text_in(api.c, "oui")[1] == "Modifié: douleur 7 notée pour mer 3 mars (avant 6)."
    assert text_in(api.c, "12")[1].startswith("Merci de répondre par un nombre entier")
    assert text_in(api.c, "STOP")[1].startswith("Vous ne recevrez plus de SMS")
    # OUI answers a question; only the carriers' YES (or START) opts back in
    assert text_in(api.c, "oui")[1].startswith("Il n'y a rien à confirmer.")
    assert text_in(api.c, "START")[1].startswith("Les SMS du journal de la douleur sont")


def test_help_in_dutch(api, admin, clock):
    _study(api, admin, "[nl, en]", None)  # no language given: the study's first
    clock.set(paris(2027, 3, 2, 21, 0))
    for word in ("HULP", "help"):
        assert text_in(api.c, word)[1] == (
            "Pijndagboek: sms uw pijn 0-10 (ergste), bijv. 6. Q: een vragenlijst "
            "beantwoorden. STOP: geen sms'jes meer. Vragen? Neem contact op met uw "
            "studieteam.")


def test_a_coordinator_changes_the_language_and_a_wrong_one_is_refused(api, admin, clock):
    _study(api, admin, "[en, es]", None)
    clock.set(paris(2027, 3, 2, 21, 0))
    assert text_in(api.c, "5")[1] == "Thanks, pain 5 recorded for Tue 2 Mar."
    r = api.c.put(f"{BASE}/S001/language", headers=_staff(api), json={"language": "es"})
    assert r.status_code == 200 and r.json["language"] == "es", r.json
    assert text_in(api.c, "5")[1] == "Gracias, dolor 5 registrado para el mar 2 mar."
    for value in ("de", "", None, 3):
        r = api.c.put(f"{BASE}/S001/language", headers=_staff(api), json={"language": value})
        assert r.status_code == 422 and "language" in str(r.json), r.json
    assert "en, es" in str(api.c.put(f"{BASE}/S001/language", headers=_staff(api),
                                     json={"language": "de"}).json)
    with api.app.extensions["paindiary"].session_factory() as s:  # audited: tables agree
        assert cross_check(s).problems == []


WORDING = """instrument_texts:
  dn4:
    fr: {dn4_1: "Brûlure ?", dn4_1.1: "Oui", dn4_1.0: "Non"}
"""


def test_the_app_shows_titles_and_labels_in_the_participants_language(api, admin, clock):
    code = _study(api, admin, "[fr, en]", "fr", WORDING)
    me = api.bearer(api.activate(code))
    clock.set(paris(2027, 3, 3, 8, 30))
    tasks = api.c.get("/api/v1/me/tasks", headers=me).json
    assert [w["title"] for w in tasks["open_windows"]] == [
        "Échelle numérique de la douleur (EN 0-10)"]
    es = api.c.get("/api/v1/me/tasks?lang=es", headers=me).json
    assert [w["title"] for w in es["open_windows"]] == ["Escala Numérica del Dolor (NRS-11)"]
    pgic = api.c.get("/api/v1/me/instruments/pgic", headers=me).json
    assert pgic["language"] == "fr"
    assert pgic["name"] == "Impression globale de changement du patient"
    assert pgic["items"][0]["options"][0] == {"code": 1, "label": "Très nettement amélioré"}
    en = api.c.get("/api/v1/me/instruments/pgic?lang=en", headers=me).json
    assert en["language"] == "en" and en["items"][0]["options"][0]["label"] == "Very much improved"
    dn4 = api.c.get("/api/v1/me/instruments/dn4", headers=me).json  # the study's wording
    assert dn4["language"] == "fr" and dn4["items"][0]["text"] == "Brûlure ?"
    assert dn4["items"][0]["options"] == [{"code": 0, "label": "Non"},
                                          {"code": 1, "label": "Oui"}]
    assert dn4["items"][1]["text"] == "DN4 item 2"  # not worded: the neutral label
    r = api.c.put("/api/v1/me/language", headers=me, json={"language": "en"})
    assert r.status_code == 200 and r.json["language"] == "en"


def test_an_unknown_language_falls_back_to_the_studys_then_english(api, admin, clock):
    _study(api, admin, "[de, fr]", "de")  # no German catalog: the study's French
    clock.set(paris(2027, 3, 2, 21, 0))
    assert text_in(api.c, "5")[1] == "Merci, douleur 5 notée pour mar 2 mars."
