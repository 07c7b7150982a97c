"""The participant, enrolment, export and protocol pages in a real browser: enrol and read
the code, record an anchor and see a diary entry on the curve, download an export and open
it (issue 15). Screenshots of the pages go under pytest's temporary directory, or to the
folder ``PAINDIARY_SCREENSHOTS`` names (``PAINDIARY_SCREENSHOTS=docs/screenshots``
refreshes the README's pictures), as in test_pages_browser.py."""

from __future__ import annotations

import csv
import io
import os
from pathlib import Path

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import ADMIN, ADMIN_PASSWORD, STUDY
from tests.conftest import MINIMAL_CROSSOVER

EXPORT_STUDY = "export-crossover"
WITH_ENDPOINTS = MINIMAL_CROSSOVER.replace("key: mini-crossover", f"key: {EXPORT_STUDY}") \
    .replace("title: Minimal crossover", "title: Export crossover") + """endpoints:
  - {key: auc_d1_7, kind: auc, from_day: 1, to_day: 7, ends: carry, min_coverage: 0.1}
  - {key: pain_d1, kind: timepoint, day: 0}
"""


@pytest.fixture
def shot(tmp_path):
    """Saves a full-page screenshot by name."""
    folder = Path(os.environ.get("PAINDIARY_SCREENSHOTS") or tmp_path)
    folder.mkdir(parents=True, exist_ok=True)
    return lambda page, name: page.screenshot(path=str(folder / f"{name}.png"),
                                              full_page=True)


def test_enrolling_shows_the_code_and_its_qr_code_and_the_code_activates(page, sign_in,
                                                                         seeded, api, shot):
    sign_in(page)
    page.goto(f"{seeded.url}/studies/{STUDY}/participants")
    page.get_by_role("link", name="Enrol a participant").click()
    page.get_by_label("Subject id").fill("S003")
    page.get_by_label("Site").select_option("PAR")
    page.get_by_label("Sequence").select_option("KP")
    page.get_by_role("button", name="Enrol").click()
    expect(page.get_by_role("heading", name="S003 is enrolled")).to_be_visible()
    code = page.get_by_test_id("activation-code").inner_text()
    assert len(code) == len("XXXX-XXXX-XXXX")
    qr = page.get_by_role("img", name="QR code of the activation link")
    expect(qr).to_be_visible()
    assert qr.bounding_box()["width"] >= 200  # large enough for a phone camera
    shot(page, "enrolment-code")
    api.activate(code)  # the code read from the page is the one that works


def test_a_recorded_anchor_and_a_diary_entry_appear_on_the_curve(page, sign_in, seeded, shot):
    sign_in(page)
    page.goto(f"{seeded.url}/studies/{STUDY}/participants/S001")
    expect(page.get_by_text("No diary entry yet.").first).to_be_visible()
    page.get_by_text("Record or plan an anchor event", exact=True).click()
    page.get_by_label("Period (crossover; blank otherwise)").fill("1")
    page.locator("#event-at").fill("2027-03-01T10:00")
    page.get_by_role("button", name="Save anchor").click()
    expect(page.get_by_role("status")).to_have_text("infusion recorded.")
    chart = page.locator("[data-chart=pain]")
    expect(chart.locator("canvas")).to_have_count(1)
    assert (chart.get_attribute("data-points"), chart.get_attribute("data-anchors")) == ("0",
                                                                                      "1")
    page.get_by_text("Enter a transcribed diary day", exact=True).click()
    page.get_by_label("Diary date", exact=True).fill("2027-03-01")
    page.get_by_label("Pain score (0-10)").fill("7")
    page.get_by_label("Source").select_option("paper")
    page.get_by_label("Reason (why staff enter it)").fill("paper diary brought to the visit")
    page.get_by_role("button", name="Save entry").click()
    expect(page.get_by_role("status")).to_have_text("Diary entry for 2027-03-01 saved.")
    chart = page.locator("[data-chart=pain]")
    expect(chart).to_have_attribute("data-points", "1")  # the entry is on the curve
    expect(chart.locator("canvas")).to_have_count(1)
    entries = page.locator("table.entries tbody tr")
    expect(entries).to_have_count(1)
    expect(entries.first).to_contain_text("paper diary brought to the visit")
    shot(page, "participant")


def test_a_refused_form_shows_its_message_beside_the_field(page, sign_in, seeded):
    sign_in(page)
    page.goto(f"{seeded.url}/studies/{STUDY}/participants/S001")
    page.get_by_text("Withdraw", exact=True).click()
    page.get_by_label("Reason for withdrawal").fill("   ")  # passes `required`, not the rule
    page.get_by_role("button", name="Withdraw the participant").click()
    expect(page.locator(".field-error")).to_have_text("Length must be between 1 and 1000.")
    expect(page.get_by_label("Reason for withdrawal")).to_have_attribute("aria-invalid", "true")


def test_an_export_runs_shows_progress_and_downloads_a_readable_file(page, sign_in, seeded,
                                                                     api, shot):
    admin = api.login(ADMIN, ADMIN_PASSWORD)
    api.create_study(admin, WITH_ENDPOINTS)
    api.unblind(admin, EXPORT_STUDY)
    api.enrol(admin, EXPORT_STUDY, subject_id="E001", site="PAR", sequence="KP")
    sign_in(page)
    page.goto(f"{seeded.url}/studies/{EXPORT_STUDY}/exports")
    page.get_by_label("Layout").select_option("wide")
    page.get_by_label("Format").select_option("csv")
    page.get_by_role("button", name="Start export").click()
    link = page.get_by_role("link", name=f"{EXPORT_STUDY}_wide.csv")
    expect(link).to_be_visible(timeout=30_000)  # htmx polled the row until it was done
    shot(page, "exports")
    with page.expect_download() as info:
        link.click()
    download = info.value
    assert download.suggested_filename == f"{EXPORT_STUDY}_wide.csv"
    rows = list(csv.DictReader(io.StringIO(Path(download.path()).read_text("utf-8"))))
    assert [(r["subject"], r["period"]) for r in rows] == [("E001", "1"), ("E001", "2")]
    page.reload()  # the job stays listed: the coordinator can come back for it
    expect(page.get_by_role("link", name=f"{EXPORT_STUDY}_wide.csv")).to_be_visible()


def test_the_protocol_page_shows_a_refused_upload_and_the_diff(page, sign_in, seeded,
                                                               tmp_path, shot):
    sign_in(page)
    page.goto(f"{seeded.url}/studies/{STUDY}/protocol")
    bad = tmp_path / "bad.yaml"
    bad.write_text(MINIMAL_CROSSOVER.replace("instrument: nrs_pain", "instrument: nrs_pian"))
    page.get_by_label("Protocol file (YAML)").set_input_files(str(bad))
    page.get_by_role("button", name="Check and upload").click()
    expect(page.locator("ul.issues li").first).to_contain_text("assessments[0].instrument")
    good = tmp_path / "good.yaml"
    good.write_text(MINIMAL_CROSSOVER.replace("close: P1D", "close: P2D"))
    page.get_by_label("Protocol file (YAML)").set_input_files(str(good))
    page.get_by_role("button", name="Check and upload").click()
    expect(page.get_by_role("status")).to_contain_text("Version 2 is now current.")
    expect(page.locator("table.changes")).to_contain_text("assessments[pain_d7].window.close")
    page.get_by_text("The files, line by line").click()
    shot(page, "protocol-diff")
