"""Which instruments an SMS can ask: short, free-to-use ones; never a licensed one (its
wording is the study's, for the app) nor the pictorial FPS-R."""

from __future__ import annotations

import pytest

from diary.sms.conversation import sms_capable
from scoring.instruments import get


@pytest.mark.parametrize(("instrument_id", "capable"), [
    ("nrs_pain", True), ("pgic", True),
    ("fps_r", False),       # one item, but licensed and answered with pictures
    ("eq5d5l", False), ("fdi_child", False), ("phq9", False),  # too many items
])
def test_only_short_free_instruments_are_asked_by_sms(instrument_id, capable):
    assert sms_capable(get(instrument_id)) is capable


def test_an_unknown_instrument_is_not_asked():
    assert sms_capable(None) is False
