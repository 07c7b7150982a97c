"""The pinned tz database: a zone built before pinning must not keep the system's rules
(zoneinfo caches ZoneInfo instances per key), and the tests themselves run pinned."""

from __future__ import annotations

import shutil
import zoneinfo
from datetime import UTC, datetime
from importlib import resources

import tzdata

from diary.timezones import pin_tz_database, zone

WINTER = datetime(2027, 1, 15, 12, tzinfo=UTC)


def test_the_tests_run_under_the_pinned_database():
    # tests/conftest.py pins before any test module is imported (module-level zones too).
    assert zoneinfo.TZPATH == ()
    assert zone("Europe/Paris").utcoffset(WINTER).total_seconds() == 3600


def test_a_zone_made_before_pinning_does_not_keep_the_system_rules(tmp_path):
    """A "system" tz directory whose Europe/Paris holds Tokyo's rules (+09:00): a zone made
    from it before pinning must not survive the pin, neither through ``zone()`` nor through
    ``ZoneInfo(name)`` (zoneinfo's own cache)."""
    tokyo = resources.files(tzdata).joinpath("zoneinfo", "Asia", "Tokyo")
    (tmp_path / "Europe").mkdir()
    with resources.as_file(tokyo) as source:
        shutil.copy(source, tmp_path / "Europe" / "Paris")
    before = zoneinfo.TZPATH
    try:
        zoneinfo.ZoneInfo.clear_cache()
        zone.cache_clear()
        zoneinfo.reset_tzpath([str(tmp_path)])
        system = zone("Europe/Paris")
        assert system.utcoffset(WINTER).total_seconds() == 9 * 3600  # the "system" rules
        assert pin_tz_database() == tzdata.IANA_VERSION
        assert zone("Europe/Paris").utcoffset(WINTER).total_seconds() == 3600
        assert zoneinfo.ZoneInfo("Europe/Paris").utcoffset(WINTER).total_seconds() == 3600
    finally:
        zoneinfo.reset_tzpath(before)
        zoneinfo.ZoneInfo.clear_cache()
        zone.cache_clear()
