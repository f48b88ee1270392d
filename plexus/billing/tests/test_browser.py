"""Browser test: billing opens Maria Lopez's chart, billing tab, and sees her benefits panel."""

import pytest

from plexus.testing.browser import logged_in_page

pytestmark = pytest.mark.browser


def test_billing_sees_marias_benefits_panel(plexus_server, browser, artifacts_dir):
    page, errors = logged_in_page(browser, plexus_server, "billing")
    assert "Eligibility" in page.inner_text("nav")

    page.goto(f"{plexus_server}/patients/?q=Lopez")
    page.locator("#results a", has_text="Lopez, Maria").click()
    page.locator("#chart-header").wait_for()
    page.click(".nav-tabs >> text=Billing")
    panel = page.locator("#eligibility-panel")
    panel.wait_for(timeout=10_000)  # loaded by htmx (hx-trigger="load")
    acu = panel.locator("tr[data-service-type='64']")
    assert "Acupuncture: covered, 20% coinsurance, 12 visits per calendar year (2 used, 10 left)" in acu.inner_text()
    assert "Covered" in acu.inner_text()
    massage = panel.locator("tr[data-service-type='BE']")
    assert "Massage: not covered — direct pay" in massage.inner_text() and "Not covered" in massage.inner_text()
    assert "Evergreen Health PPO" in panel.inner_text()
    page.screenshot(path=str(artifacts_dir / "chart-billing-eligibility.png"), full_page=True)

    page.click("#eligibility-panel >> text=details")
    page.locator("#response-x12").wait_for()
    assert "EB*A*IND*64*****.2****Y~" in page.inner_text("#response-x12") or "EB*A*IND*64" in page.inner_text(
        "#response-x12")
    page.screenshot(path=str(artifacts_dir / "eligibility-check-detail.png"), full_page=True)
    assert not errors, errors
    page.close()
