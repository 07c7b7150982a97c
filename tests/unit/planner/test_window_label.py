"""A window's reminder names what opens (issue 19): the assessment's label, else the
instrument's display name, never its id ("now open: bpi_sf" told the participant nothing)."""

from __future__ import annotations

from types import SimpleNamespace

from notifications.planning.messages import render_text
from notifications.planning.rules import _label


def _ctx(label):
    assessment = SimpleNamespace(label=label)
    return SimpleNamespace(protocol=SimpleNamespace(assessment=lambda key: assessment))


def test_without_a_label_the_instrument_is_named_not_its_id():
    window = SimpleNamespace(assessment="bpi_d7", instrument="bpi_sf")
    label = _label(_ctx(None), window)
    assert label == "Brief Pain Inventory (short form)"
    body = render_text("window_open", (("label", label), ("until", "2027-03-05")), "fr")
    # "by" a whole day is "au plus tard le" (the last day counts), not "avant le"
    assert body == ("Questionnaire de l'étude ouvert: Questionnaire concis sur les douleurs "
                    "(forme courte). Merci de le remplir au plus tard le ven 5 mars.")


def test_the_assessments_label_wins():
    window = SimpleNamespace(assessment="pgic_d35", instrument="pgic")
    assert _label(_ctx("PGIC day 35"), window) == "PGIC day 35"
