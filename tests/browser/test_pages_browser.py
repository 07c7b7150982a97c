"""The main pages at laptop and tablet widths: no page-wide horizontal scrolling (wide
tables scroll in their own box), no serious or critical axe-core finding, and a
screenshot of each (under pytest's temporary directory, or in the folder
``PAINDIARY_SCREENSHOTS`` names: ``PAINDIARY_SCREENSHOTS=docs/screenshots``
refreshes the README's pictures)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from tests.browser.conftest import ADMIN, STUDY, axe_serious

PAGES = {
    "studies": "/studies",
    "study-overview": f"/studies/{STUDY}",
    "participants": f"/studies/{STUDY}/participants",
    "participant": f"/studies/{STUDY}/participants/S004",
    "alerts": f"/studies/{STUDY}/alerts",
    "reminders": f"/studies/{STUDY}/reminders",
    "enrol": f"/studies/{STUDY}/enrol",
    "exports": f"/studies/{STUDY}/exports",
    "protocol": f"/studies/{STUDY}/protocol",
}
SIZES = {"laptop": (1280, 800), "tablet": (768, 1024)}


@pytest.fixture
def shots(tmp_path) -> Path:
    return Path(os.environ.get("PAINDIARY_SCREENSHOTS") or tmp_path)


@pytest.mark.parametrize("size", list(SIZES))
def test_the_main_pages_fit_the_screen_and_pass_axe(browser, showcase, size, shots):
    width, height = SIZES[size]
    # axe is injected as a script of the test, which the pages' policy (script-src 'self')
    # would refuse: this context alone bypasses it.
    context = browser.new_context(viewport={"width": width, "height": height},
                                  locale="en-GB", bypass_csp=True)
    page = context.new_page()
    page.goto(showcase.url + "/sign-in")
    page.screenshot(path=shots / f"sign-in-{size}.png") if size == "laptop" else None
    page.get_by_label("Email").fill(ADMIN)
    page.get_by_label("Password").fill("correct horse battery")
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(showcase.url + "/studies")
    try:
        for name, path in PAGES.items():
            response = page.goto(showcase.url + path)
            assert response.status == 200, path
            if name == "study-overview":
                page.locator(".chart canvas").first.wait_for()
            overflow = page.evaluate(
                "document.documentElement.scrollWidth - document.documentElement.clientWidth")
            assert overflow <= 0, f"{path} scrolls sideways by {overflow}px at {width}px"
            serious = axe_serious(page)
            assert serious == [], f"{path}: {serious}"
            page.screenshot(path=shots / f"{name}-{size}.png", full_page=True)
    finally:
        context.close()
