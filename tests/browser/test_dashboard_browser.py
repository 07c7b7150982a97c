"""The dashboard in a real browser: signing in, acknowledging an alert, and what a viewer
and a site-limited coordinator can (not) do (issue 15)."""

from __future__ import annotations

from playwright.sync_api import expect

from tests.browser.conftest import COORDINATOR_PAR, STUDY, VIEWER


def test_signing_in_leads_to_the_studies_and_the_study_page(page, sign_in, seeded):
    sign_in(page)
    page.get_by_role("link", name="Minimal crossover").click()
    page.wait_for_url(f"{seeded.url}/studies/{STUDY}")
    by_site = page.get_by_role("table").first
    assert by_site.get_by_role("rowheader", name="PAR").is_visible()
    assert by_site.get_by_role("rowheader", name="LYO").is_visible()
    page.locator(".chart canvas").first.wait_for()  # uPlot drew the completion trend


def test_a_wrong_password_keeps_the_sign_in_page_with_a_message(page, seeded):
    page.goto(seeded.url + "/sign-in")
    page.get_by_label("Email").fill("admin@site.org")
    page.get_by_label("Password").fill("not the password")
    page.get_by_role("button", name="Sign in").click()
    assert page.get_by_role("alert").inner_text() == "Wrong email or password."
    page.goto(seeded.url + "/studies")
    assert page.url.startswith(seeded.url + "/sign-in")


def test_acknowledging_an_alert_updates_its_row_in_place(page, sign_in, seeded):
    sign_in(page)
    page.goto(f"{seeded.url}/studies/{STUDY}/alerts")
    row = page.locator("table.alerts tbody tr", has_text="S001")
    row.get_by_role("button", name="Acknowledge").click()
    # The row is swapped in place (htmx): the button gives way to the time, 17:00 UTC on
    # the frozen clock shown in the study's zone (Paris).
    expect(row.get_by_role("button")).to_have_count(0)
    expect(row.locator("td").nth(4)).to_have_text("2027-03-01 18:00")
    page.goto(f"{seeded.url}/studies/{STUDY}/alerts")  # acknowledged: no longer open
    assert page.get_by_text("No open alert.").is_visible()


def test_acknowledging_an_alert_already_acknowledged_elsewhere_says_so(page, sign_in,
                                                                      seeded):
    sign_in(page)
    page.goto(f"{seeded.url}/studies/{STUDY}/alerts")
    other = page.context.new_page()  # a second tab, acknowledging first
    other.goto(f"{seeded.url}/studies/{STUDY}/alerts")
    other.get_by_role("button", name="Acknowledge").first.click()
    expect(other.get_by_role("button", name="Acknowledge")).to_have_count(0)
    page.expected_errors.append("Response Status Error Code 409")  # htmx logs what it shows
    page.get_by_role("button", name="Acknowledge").first.click()
    expect(page.locator("#flash")).to_contain_text("acknowledged at 2027-03-01 17:00 UTC")


def test_a_viewer_finds_no_write_control(page, sign_in, seeded):
    sign_in(page, VIEWER)
    for path in ("", "/participants", "/participants/S001", "/alerts", "/reminders"):
        page.goto(f"{seeded.url}/studies/{STUDY}{path}")
        # Forms that change something post; the viewer's pages have none but sign-out.
        posting = page.locator("form[method=post]:not(.signout), [hx-post], [hx-put], "
                               "[hx-patch], [hx-delete]")
        assert posting.count() == 0, path
    assert page.get_by_text("read only").is_visible()


def test_a_coordinator_of_one_site_cannot_reach_another_sites_participant(page, sign_in,
                                                                          seeded):
    sign_in(page, COORDINATOR_PAR)
    page.goto(f"{seeded.url}/studies/{STUDY}/participants")
    assert page.get_by_role("link", name="S001").is_visible()
    assert page.get_by_role("link", name="S002").count() == 0
    response = page.goto(f"{seeded.url}/studies/{STUDY}/participants/S002")
    assert response.status == 404
    assert page.get_by_role("heading", name="Not found").is_visible()
    own = page.goto(f"{seeded.url}/studies/{STUDY}/participants/S001")
    assert own.status == 200


def test_blinded_staff_see_no_allocation(page, sign_in, seeded):
    sign_in(page, COORDINATOR_PAR)
    page.goto(f"{seeded.url}/studies/{STUDY}/participants/S001")
    assert page.get_by_text("Allocation").count() == 0
    assert page.get_by_text("KP").count() == 0
