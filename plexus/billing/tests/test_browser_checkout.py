"""Browser test of SCENARIOS.md's Thursday checkout: Maria buys a 5-massage package with her HSA card
(her physician's letter of medical necessity is on file), then checks out her three-part visit: the
E/M copay, the massage drawn from the package and a supplement on the HSA card; the ledger shows it
all and the superbill downloads."""

from __future__ import annotations

import pytest

from plexus.testing.browser import logged_in_page

pytestmark = pytest.mark.browser


def _open_billing_tab(page, base):
    page.goto(f"{base}/patients/?q=Lopez")
    page.locator("#results a", has_text="Lopez, Maria").click()
    page.locator("#chart-header").wait_for()
    page.click(".nav-tabs >> text=Billing")
    page.locator("#account-panel").wait_for(timeout=10_000)


def test_maria_hybrid_checkout(plexus_server, browser, artifacts_dir):
    page, errors = logged_in_page(browser, plexus_server, "frontdesk")
    _open_billing_tab(page, plexus_server)
    assert "97124" in page.inner_text("#letters")  # the letter of medical necessity
    page.select_option("#plan-select", label="5 massages (60 min) ($525.00)")
    page.click("#buy-plan")
    page.locator("#packages", has_text="5 sessions left").wait_for()
    page.locator("#invoices a").first.click()
    page.locator("#pay-form").wait_for()
    page.select_option("#id_method", "hsa")
    page.fill("#id_reference", "HSA-PKG-1")
    page.click("#pay")
    page.locator("#invoice-status", has_text="Paid").wait_for()

    page.goto(f"{plexus_server}/schedule/?date=2026-11-26")
    page.locator("#day-eligibility").wait_for(timeout=10_000)
    page.locator("#day-eligibility a", has_text="Maria Lopez").first.click()
    page.locator("#block-checkout").click()
    page.locator("#checkout-lines").wait_for()
    massage = page.locator("#checkout-lines tr[data-stream=direct] select")
    massage.select_option(label="Use 5 massages (60 min)")
    page.fill("#co-ref", "TERM-2611")
    page.fill("#co-item", "Magnesium glycinate")
    page.fill("#co-price", "24.00")
    page.select_option("#co-item-hsa", "eligible")
    page.select_option("#co-item-method", "hsa")
    page.screenshot(path=str(artifacts_dir / "checkout-hybrid.png"), full_page=True)
    page.click("#checkout-pay")
    done = page.locator("#checkout-done")
    done.wait_for()
    assert "copay $30.00" in done.inner_text() and "1 package session used" in done.inner_text()

    _open_billing_tab(page, plexus_server)
    ledger = page.inner_text("#ledger")
    assert "Copay" in ledger and "drawn from 5 massages" in ledger and "hsa" in ledger.lower()
    assert "4 sessions left" in page.inner_text("#packages")
    with page.expect_download() as superbill:
        page.click("#superbill-link")
    assert superbill.value.path().read_bytes().startswith(b"%PDF")
    page.screenshot(path=str(artifacts_dir / "account-after-checkout.png"), full_page=True)
    assert not errors, errors
    page.close()
