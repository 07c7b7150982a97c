"""The participant catalogs (issue 19): the language chosen, dates, a window's label in
Spanish, fallbacks; pure, no database."""

from __future__ import annotations

from datetime import date
from types import SimpleNamespace

import pytest

from diary.i18n import LANGUAGES, day_label, language_for, translate
from diary.i18n.update import update
from diary.sms import replies
from diary.sms.segments import gsm7_length, segments
from notifications.planning.messages import render_text
from notifications.planning.rules import _label

FRI = date(2027, 3, 5)


@pytest.mark.parametrize("participant, study, chosen", [
    ("fr", ("nl", "en"), "fr"),
    ("fr-BE", (), "fr"),
    ("de", ("nl", "en"), "nl"),  # no German catalog: the study's first we have
    ("de", ("de",), "en"),  # none at all: English
    (None, ("es",), "es"),
    ("", (), "en"),
])
def test_the_language_is_the_participants_then_the_studys_then_english(participant, study,
                                                                         chosen):
    assert language_for(participant, study) == chosen


def test_dates_are_babels_short_forms_without_dots():
    assert [day_label(FRI, lang) for lang in LANGUAGES] == [
        "Fri 5 Mar", "ven 5 mars", "vr 5 mrt", "vie 5 mar"]
    assert day_label(date(2027, 8, 7), "fr") == "sam 7 août"


def test_a_spanish_window_names_the_instrument_in_spanish():
    window = SimpleNamespace(assessment="pgic_d35", instrument="pgic")
    ctx = SimpleNamespace(protocol=SimpleNamespace(assessment=lambda key: None))
    label = _label(ctx, window)
    assert label == "Patient Global Impression of Change"
    body = render_text("window_open", (("label", label), ("until", "2027-03-05")), "es")
    # "Impresión" would need UCS-2 and two segments: the GSM-7 spelling ("é" is GSM-7)
    assert body == ("Cuestionario del estudio abierto: Impresion Global de Cambio del "
                    "Paciente. Complételo hasta el vie 5 mar.")
    assert segments(body) == 1 and gsm7_length(body) is not None


def test_a_short_spanish_reply_keeps_its_accents():
    assert replies.answer_range(0, 10, lang="es") == ("Responda con un número entero del 0 "
                                                      "al 10.")


@pytest.mark.parametrize("lang", ["xx", "de", "", "EN"])
def test_an_unknown_language_falls_back_to_english(lang):
    assert render_text("diary", (), lang) == (
        "Pain diary: how was your pain today (0-10)? Reply with a number, e.g. 6")
    assert replies.recorded(6, FRI, lang=lang) == "Thanks, pain 6 recorded for Fri 5 Mar."
    assert translate(lang, "Much worse") == "Much worse"


def test_help_in_dutch_lists_the_studys_commands():
    assert replies.help_text(medication=True, questionnaires=False, lang="nl") == (
        "Pijndagboek: sms uw pijn 0-10 (ergste), bijv. 6. Medicijn: MED naam dosis, bijv. "
        "MED oxycodone 5mg. STOP: geen sms'jes meer.")  # the team line would not fit


def test_french_replies():
    assert replies.too_late(FRI, __import__("datetime").datetime(2027, 3, 6, 12, 0),
                            lang="fr") == (
        "Trop tard pour le ven 5 mars: la saisie a fermé le sam 6 mars à 12:00. Votre journal "
        "est terminé, rien n'a été noté.")
    assert replies.no_diary_today(FRI, lang="fr") == (
        "Pas de journal aujourd'hui; votre prochain jour de journal est le ven 5 mars. Rien "
        "n'a été noté.")


def test_the_committed_catalogs_are_complete_and_compiled(capsys):
    """``python -m diary.i18n.update --check``: nothing untranslated, nothing stale."""
    assert update(check=True) == 0, capsys.readouterr().out


def test_the_tick_renders_in_the_participants_language_and_alerts_in_the_studys():
    from notifications.tick import body_language

    item = SimpleNamespace(language="es", protocol=SimpleNamespace(languages=("fr", "en")))
    assert body_language(item, "participant") == "es"
    assert body_language(item, "coordinator") == "fr"
    assert body_language(SimpleNamespace(language="de", protocol=SimpleNamespace(
        languages=("de",))), "participant") == "en"
