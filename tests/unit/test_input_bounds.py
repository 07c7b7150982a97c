"""The pure bounds behind the API's refusals of hostile values (issue 12), at their edges."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest

from diary.medication import IntakeError, normalise_intake
from diary.timezones import EARLIEST, LATEST, geographic_zone, utc_instant

PLUS_14, MINUS_12 = timezone(timedelta(hours=14)), timezone(timedelta(hours=-12))
US = timedelta(microseconds=1)


@pytest.mark.parametrize("value", [
    EARLIEST, LATEST,
    datetime(1900, 1, 1, 14, tzinfo=PLUS_14),          # EARLIEST written in +14:00
    datetime(2999, 12, 31, 11, 59, 59, 999999, tzinfo=MINUS_12),  # LATEST in -12:00
])
def test_the_first_and_last_accepted_instants_in_any_offset(value):
    assert utc_instant(value) == value and utc_instant(value).tzinfo is UTC


@pytest.mark.parametrize("value", [
    EARLIEST - US, LATEST + US,
    datetime(9999, 12, 31, 23, 59, 59, tzinfo=MINUS_12),  # overflows astimezone(UTC)
    datetime(1, 1, 1, tzinfo=PLUS_14),                     # underflows it
    datetime(1, 1, 1, tzinfo=MINUS_12), datetime(9999, 12, 31, tzinfo=PLUS_14),
])
def test_instants_outside_the_range_are_refused_without_overflowing(value):
    with pytest.raises(ValueError, match="from 1900-01-01T00:00:00Z to 2999-12-31T23:59:59Z"):
        utc_instant(value)


@pytest.mark.parametrize(("dose", "stored"), [
    ("123456789", None),        # 9 digits: the plausibility rule answers, not the digit rule
    ("0.000001", "0.000001"), ("7.5000000000", "7.5"), ("  12.5 ", "12.5"),
])
def test_doses_up_to_9_digits_before_and_6_after_the_point_reach_the_other_rules(dose,
                                                                                  stored):
    if stored is None:
        with pytest.raises(IntakeError, match="above the largest plausible single dose"):
            normalise_intake("oxycodone", dose, "mg", "oral")
    else:
        assert f"{normalise_intake('oxycodone', dose, 'mg', 'oral').dose:f}" == stored


def test_a_six_decimal_microgram_dose_still_fits_its_column_in_milligrams():
    # mcg -> mg adds 3 decimals: 999999.999999 mcg is 999.999999999 mg (15 characters);
    # the largest plausible dose is far below, so the stored text stays short.
    amount = normalise_intake("fentanyl", "0.000001", "mcg", "intravenous").dose
    assert len(f"{amount:f}") <= 32


@pytest.mark.parametrize("name", ["UTC", "Europe/Paris", "America/Argentina/Buenos_Aires",
                                  "Asia/Calcutta", "Antarctica/Troll"])
def test_geographic_names_and_utc_are_zones(name):
    assert geographic_zone(name).key == name


@pytest.mark.parametrize(("name", "says"), [
    ("Factory", "Area/Location"), ("EST5EDT", "Area/Location"), ("Etc/UTC", "Area/Location"),
    ("US/Eastern", "Area/Location"), ("utc", "Area/Location"), ("Europe/", "unknown"),
    ("Europe/Atlantis", "unknown"), ("Europe/Paris\n", "unknown"), (None, "Area/Location"),
])
def test_names_that_say_nowhere_are_refused_with_the_rule(name, says):
    with pytest.raises(ValueError, match=says):
        geographic_zone(name)
