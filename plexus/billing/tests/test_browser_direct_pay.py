"""Browser test of direct pay: a massage approved as direct pay, invoiced with a supplement, an HSA/FSA
card refused beyond the eligible lines, paid, the receipt and the superbill downloaded."""

from __future__ import annotations

import pytest

from plexus.testing.browser import logged_in_page

pytestmark = pytest.mark.browser


def test_direct_pay_checkout(plexus_server, browser, artifacts_dir):
    page, errors = logged_in_page(browser, plexus_server, "billing")
    page.goto(f"{plexus_server}/billing/charges/")
    row = page.locator("#review [data-stream=direct]").first
    row.locator("button", has_text="Approve charges").click()
    done = page.locator("#review [role=status] .px-chart-link").first
    done.wait_for()
    done.click()
    page.locator("#chart-header").wait_for()
    page.click(".nav-tabs >> text=Billing")
    page.locator("#uninvoiced").wait_for(timeout=10_000)

    page.fill("#prod-desc", "Magnesium glycinate 120 ct")
    page.fill("#prod-price", "24.00")
    page.select_option("#prod-hsa", "eligible")
    page.click("#create-invoice")
    page.locator("#invoice-status").wait_for()
    assert page.inner_text("#invoice-status") == "Draft"
    page.click("#issue")
    page.locator("#pay-form").wait_for()
    due = page.inner_text("#invoice-due")

    page.fill("#id_amount", due.lstrip("$"))
    page.select_option("#id_method", "hsa")
    page.fill("#id_reference", "HSA-4411")
    page.click("#pay")
    error = page.locator("#invoice-error")
    error.wait_for()
    assert "HSA/FSA card can pay only eligible lines" in error.inner_text()
    page.screenshot(path=str(artifacts_dir / "invoice-hsa-refused.png"), full_page=True)

    page.fill("#id_amount", "24.00")
    page.select_option("#id_method", "hsa")
    page.fill("#id_reference", "HSA-4412")
    page.click("#pay")
    page.locator("#invoice-status", has_text="Partially paid").wait_for()
    page.select_option("#id_method", "card_external")
    page.fill("#id_reference", "TERM-0093")
    page.click("#pay")
    page.locator("#invoice-status", has_text="Paid").wait_for()
    assert page.inner_text("#invoice-due") == "$0.00"
    with page.expect_download() as receipt:
        page.click("#invoice-pdf")
    assert receipt.value.path().read_bytes().startswith(b"%PDF")
    page.screenshot(path=str(artifacts_dir / "invoice-paid.png"), full_page=True)

    page.click("main a[href^='/patients/']")
    page.locator("#chart-header").wait_for()
    page.click(".nav-tabs >> text=Billing")
    page.locator("#account-panel").wait_for(timeout=10_000)
    assert "HSA-4412" in page.inner_text("#ledger") and "TERM-0093" in page.inner_text("#ledger")
    with page.expect_download() as superbill:
        page.click("#superbill-link")
    assert superbill.value.path().read_bytes().startswith(b"%PDF")
    page.screenshot(path=str(artifacts_dir / "account-direct-pay.png"), full_page=True)
    # the refused HSA payment answers 422 (by design); nothing else may fail
    assert [e for e in errors if "status of 422" not in e] == [], errors
    page.close()
