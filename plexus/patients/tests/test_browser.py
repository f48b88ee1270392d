"""Browser test: the front desk logs in, finds a patient and opens the chart (headless Chromium)."""

import pytest

from plexus.testing.browser import logged_in_page

pytestmark = pytest.mark.browser


def test_front_desk_finds_patient_and_opens_chart(plexus_server, browser, artifacts_dir):
    page, errors = logged_in_page(browser, plexus_server, "frontdesk")
    assert "Front desk" in page.inner_text("nav")
    assert "Audit log" not in page.inner_text("nav")  # navigation follows the role

    page.click("text=Patients")
    page.click("h1")  # move focus off the (autofocused) search box
    page.keyboard.press("/")  # the search shortcut focuses it again
    assert page.evaluate("document.activeElement.id") == "patient-search-q"
    page.keyboard.type("lopez mar")
    link = page.locator("#results a", has_text="Lopez, Maria")
    link.wait_for(timeout=10_000)  # htmx live search, no full reload
    assert page.url.endswith("q=lopez+mar") or "q=lopez" in page.url
    link.click()

    header = page.locator("#chart-header")
    header.wait_for()
    assert "Maria Lopez" in header.inner_text() and "HSA/FSA" in header.inner_text()
    coverage = page.inner_text("#coverage-table")
    assert "Evergreen Health PPO" in coverage and "EVG8842001" in coverage and "Active" in coverage
    page.click("text=Billing")  # htmx tab switch, then the eligibility panel loads by htmx
    page.locator("#chart-tab", has_text="Eligibility").wait_for()
    assert "active" in page.get_attribute(".nav-tabs a:has-text('Billing')", "class")
    page.click("text=Overview")
    page.locator("#coverage-table").wait_for()
    page.screenshot(path=str(artifacts_dir / "chart-front-desk.png"), full_page=True)
    assert not errors, errors
    page.close()


def test_virtual_assistant_sees_no_clinical_tabs(plexus_server, browser):
    page, _ = logged_in_page(browser, plexus_server, "assistant")
    page.goto(f"{plexus_server}/patients/?q=Lopez")
    page.locator("#results a", has_text="Lopez, Maria").click()
    tabs = page.inner_text(".nav-tabs")
    assert "Billing" in tabs and "Documents" in tabs
    page.click("a.nav-link:has-text('Care team')")  # status of care-team updates, never their content
    page.locator("#care-panel").wait_for(timeout=15_000)
    assert "gabapentin" not in page.inner_text("#care-panel").lower()
    assert "Content visible to clinicians on the care team" in page.inner_text("#care-panel")
    page.goto(f"{plexus_server}/audit/")
    assert "Not allowed for your role" in page.inner_text("main")
    page.close()
