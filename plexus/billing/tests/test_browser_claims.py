"""Browser test of the billing day: eligibility for the coming visits, charge review, an 837P batch,
the payer's 835 imported, and the patient's balance changing on the chart."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

import pytest

from plexus.billing.payer_sim import adjudicate
from plexus.testing.browser import logged_in_page

pytestmark = pytest.mark.browser


def _money(text: str) -> Decimal:
    return Decimal(text.strip().lstrip("$").replace(",", ""))


def test_billing_day_from_eligibility_to_balance(plexus_server, browser, artifacts_dir, tmp_path):
    page, errors = logged_in_page(browser, plexus_server, "billing")
    assert "Billing" in page.inner_text("nav")

    # 1. Eligibility for everyone booked in the next days (the reconciler, on demand).
    page.goto(f"{plexus_server}/billing/eligibility/")
    page.click("#check-upcoming")
    notice = page.locator("#upcoming-notice")
    notice.wait_for()
    assert "eligibility check" in notice.inner_text()

    # The day's schedule shows each visit's light with reasons; a block's panel shows its components.
    page.goto(f"{plexus_server}/schedule/?date=2026-11-30")
    panel = page.locator("#day-eligibility")
    panel.wait_for(timeout=10_000)
    assert panel.locator("tr[data-block]").count() > 0
    assert "Green" in panel.inner_text() or "Amber" in panel.inner_text()
    page.screenshot(path=str(artifacts_dir / "schedule-day-eligibility.png"), full_page=True)
    panel.locator("tr[data-block] a").first.click()
    page.locator("#block-coverage").wait_for(timeout=10_000)
    assert "Coverage" in page.inner_text("#block-coverage")

    # 2. Charge review: approve the first encounter waiting; its claim is scrubbed at once.
    page.goto(f"{plexus_server}/billing/charges/")
    page.screenshot(path=str(artifacts_dir / "billing-charge-review.png"), full_page=True)
    first = page.locator("#review [data-stream=insurance]").first
    first.locator("button", has_text="Approve charges").click()
    outcome = page.locator("#review [role=status]").first
    outcome.wait_for()
    assert "Charges approved" in outcome.inner_text()
    outcome.locator("a").click()  # to the new claim
    page.locator("#claim-status").wait_for()
    claim_number = page.inner_text("h1").removeprefix("Claim ").strip()
    assert page.inner_text("#claim-status") == "Ready", page.inner_text("#problems")
    page.click("#claim-patient")
    page.locator("#chart-header").wait_for()
    chart_url = page.url
    page.click(".nav-tabs >> text=Billing")
    page.locator("#account-panel").wait_for(timeout=10_000)
    due_before = _money(page.inner_text("#patient-due"))
    pending_before = _money(page.inner_text("#insurance-pending"))
    assert pending_before > 0

    # 3. Build the evening 837P batch and download it for the clearinghouse.
    page.goto(f"{plexus_server}/billing/claims/?status=ready")
    assert claim_number in page.inner_text("#claims-table")
    page.click("#build-batch")
    page.locator("#batch-x12").wait_for(state="attached")
    with page.expect_download() as download:
        page.click("#download")
    x12 = download.value.path().read_text()
    assert x12.startswith("ISA*") and f"CLM*{claim_number}*" in x12
    page.screenshot(path=str(artifacts_dir / "billing-batch.png"), full_page=True)

    # 4. The payer answers: import its 835 on the import screen.
    era = tmp_path / "payment.835"
    era.write_text(adjudicate(x12, created=datetime(2026, 11, 27, 12, 0), control_number=4242).remit_835)
    page.goto(f"{plexus_server}/billing/x12/import/")
    page.set_input_files("input[type=file]", str(era))
    page.click("form[enctype] button[type=submit]")
    result = page.locator("#import-result")
    result.wait_for()
    assert "835: 1 payments imported" in result.inner_text() and "0 unmatched" in result.inner_text()

    # 5. The chart shows what insurance paid and what the patient now owes.
    page.goto(chart_url)
    page.click(".nav-tabs >> text=Billing")
    page.locator("#account-panel").wait_for(timeout=10_000)
    due_after = _money(page.inner_text("#patient-due"))
    assert due_after > due_before
    assert _money(page.inner_text("#insurance-pending")) < pending_before
    assert "Insurance payment" in page.inner_text("#ledger")
    page.screenshot(path=str(artifacts_dir / "billing-account-after-835.png"), full_page=True)

    page.goto(f"{plexus_server}/billing/claims/?status=paid")
    assert claim_number in page.inner_text("#claims-table")
    assert not errors, errors
    page.close()
