"""The dashboard's message catalog template holds every text the pages and views show:
``web/translations/messages.pot`` is what translators start from (README, "Translating
the dashboard"), so a text added without re-extracting would stay English everywhere."""

from __future__ import annotations

from pathlib import Path

from babel.messages.extract import extract_from_dir
from babel.messages.pofile import read_po

ROOT = Path(__file__).resolve().parents[2]
KEYWORDS = {"_": None, "gettext": None, "_l": None, "lazy_gettext": None}
METHODS = [("web/participant/**", "ignore"),  # the participant app has its own catalogs
           ("web/**.py", "python"), ("web/templates/**.html", "jinja2"),
           ("simulation/templates/**.html", "jinja2")]  # the simulation report (issue 21)


def _extracted() -> set[str]:
    found = set()
    for *_, message, _comments, _context in extract_from_dir(
            str(ROOT), METHODS, keywords=KEYWORDS):
        found.add(message if isinstance(message, str) else message[0])
    return found


def test_the_catalog_template_holds_every_dashboard_text():
    with open(ROOT / "web" / "translations" / "messages.pot", "rb") as f:
        catalog = {m.id for m in read_po(f) if m.id}
    extracted = _extracted()
    assert len(extracted) > 80  # the extraction did find the pages' texts
    missing, stale = sorted(extracted - catalog), sorted(catalog - extracted)
    assert (missing, stale) == ([], []), (
        "re-extract: pybabel extract -F babel.cfg -k _l -k lazy_gettext --no-location "
        "--sort-output -o web/translations/messages.pot .")
