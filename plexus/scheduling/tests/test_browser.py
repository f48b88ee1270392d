"""Front desk books a 3-component visit block, sees it on the calendar, cancels it, sees it freed."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from plexus.testing.browser import logged_in_page

pytestmark = pytest.mark.browser


def test_book_and_cancel_three_component_block(plexus_server, browser, artifacts_dir):
    page, errors = logged_in_page(browser, plexus_server, "frontdesk")
    page.goto(f"{plexus_server}/schedule/book/")
    page.fill("#patient_q", "Lopez")
    page.locator("#patient-select").wait_for(timeout=10_000)
    for i, label in enumerate(["Established visit, moderate complexity (99214) · 30 min",
                               "Acupuncture, initial 15 min (97810) · 30 min",
                               "Therapeutic massage 60 min (97124) · 60 min"]):
        page.select_option(f"select[name=service_{i}]", label=label)
    today = date.today()
    monday = today + timedelta(days=7 - today.weekday())
    page.fill("#from_date", monday.isoformat())
    page.select_option("#location_id", label="Portland Downtown")
    page.click("#find-times")
    page.locator("#options-table .px-option").first.wait_for(timeout=15_000)
    page.screenshot(path=str(artifacts_dir / "schedule-booking.png"))
    page.locator(".px-book").first.click()
    page.wait_for_url("**/schedule/?date=*", timeout=15_000)
    block_id = page.url.split("block=")[1]
    cards = page.locator(f".px-appt[data-block='{block_id}']")
    cards.first.wait_for()
    assert cards.count() == 3
    assert "1 of 3" in cards.nth(0).inner_text() or "1 of 3" in page.inner_text("#px-calendar")
    page.locator("#block-detail").wait_for(timeout=10_000)
    page.screenshot(path=str(artifacts_dir / "schedule-day.png"))
    page.fill("#cancel-form input[name=reason]", "Patient called")
    page.click("#cancel-form button")
    page.locator("#block-status", has_text="Cancelled").wait_for(timeout=10_000)
    page.locator(f".px-appt[data-block='{block_id}'][data-status='cancelled']").nth(2).wait_for(timeout=10_000)
    assert page.locator(f".px-appt[data-block='{block_id}'][data-status='cancelled']").count() == 3
    page.screenshot(path=str(artifacts_dir / "schedule-day-cancelled.png"))
    assert not errors, errors
    page.close()
