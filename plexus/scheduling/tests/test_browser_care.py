"""Front desk creates a referral, previews a 6-week series with one week on a closure, books the free
weeks plus the offered alternative, and sees the sessions booked on the referral.

The server is a real process on the real clock, so dates here are relative to today's (like
test_browser.py); the closure that makes one week conflict is created and removed through the API."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from plexus.testing.browser import logged_in_page

pytestmark = pytest.mark.browser


def test_referral_to_series_with_alternative(plexus_server, browser, artifacts_dir):
    page, errors = logged_in_page(browser, plexus_server, "frontdesk")
    page.goto(f"{plexus_server}/schedule/referrals/new/")
    page.fill("#patient_q", "Lopez")
    page.locator("#patient-select").wait_for(timeout=10_000)
    page.select_option("#from_practitioner_id", label="Grace Chen, MD")
    page.select_option("#to_discipline_id", label="Licensed acupuncturist")
    page.select_option("#to_practitioner_id", label="Wei Li, LAc (Licensed acupuncturist)")
    page.select_option("#service_ids", label="Acupuncture, initial 15 min (97810)")
    page.fill("#sessions_wanted", "6")
    page.fill("#icd10_codes", "M54.50")
    page.fill("#reason", "Chronic low back pain")
    page.click("#create-referral")
    page.wait_for_url("**/schedule/referrals/*/")
    referral_url = page.url

    today = date.today()
    tuesday = today + timedelta(days=(1 - today.weekday()) % 7 + 7)
    closed = tuesday + timedelta(weeks=2)
    token = next(c["value"] for c in page.context.cookies() if c["name"] == "csrftoken")
    resp = page.request.post(f"{plexus_server}/api/scheduling/closures", headers={"X-CSRFToken": token},
                             data={"start_date": closed.isoformat(), "end_date": closed.isoformat(),
                                   "reason": "Staff training"})
    assert resp.status == 201, resp.text()
    closure_id = resp.json()["id"]
    try:
        page.click("#book-series")
        page.wait_for_url("**/schedule/series/new/?referral=*")
        page.fill("#first_date", tuesday.isoformat())
        page.fill("#first_time", "16:00")
        page.select_option("#location_id", label="Portland Downtown")
        page.click("#preview-series")
        page.locator("#series-table").wait_for(timeout=15_000)
        rows = page.locator("#series-table tr.px-occ")
        assert rows.count() == 6
        conflict = page.locator("#series-table tr.px-occ[data-index='2']")
        assert "px-occ-conflict" in conflict.get_attribute("class")
        assert "Staff training" in conflict.inner_text()
        assert conflict.locator("input.px-use-alt").is_checked()
        page.screenshot(path=str(artifacts_dir / "series-preview.png"))
        expected = page.locator("#series-table tr.px-occ-free").count() + page.locator("input.px-use-alt").count()
        page.click("#book-free")
        page.wait_for_url(referral_url, timeout=15_000)
        assert page.locator("#referral-visits tbody tr").count() == expected
        assert f"{expected} booked" in page.inner_text("#referral-progress")
        page.screenshot(path=str(artifacts_dir / "referral-sessions.png"))
    finally:
        page.request.delete(f"{plexus_server}/api/scheduling/closures/{closure_id}", headers={"X-CSRFToken": token})
    assert not errors, errors
    page.close()
