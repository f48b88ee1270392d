"""Wednesday of the scenario in a real browser: Dr. Chen records a medication change on Maria's
care-team tab; Li Wei sees it in the inbox and acknowledges it with a reply; Dr. Chen sees it
acknowledged; Sam Ortiz never does, and when the clock passes the SLA (the reconciler run with
an explicit clock against the server's database) the virtual assistant sees it escalated, without
its content, and later Dr. Chen, the lead physician, sees it escalated to her."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest

from plexus.testing.browser import logged_in_page
from plexus.testing.server import server_manage

pytestmark = pytest.mark.browser

SUMMARY = "Gabapentin increased to 600 mg at night"


def _open_maria_care_tab(page, base: str) -> None:
    page.goto(f"{base}/patients/?q=Lopez")
    page.locator("#results a", has_text="Lopez, Maria").click()
    page.wait_for_url("**/patients/*/")
    page.click("a.nav-link:has-text('Care team')")
    page.locator("#care-panel").wait_for(timeout=15_000)


def test_medication_change_acknowledged_and_escalated(plexus_server, browser, artifacts_dir):
    chen, chen_errors = logged_in_page(browser, plexus_server, "drchen")
    _open_maria_care_tab(chen, plexus_server)
    assert "Grace Chen" in chen.locator("#care-team").inner_text()
    chen.click("#care-new-update summary")
    chen.select_option("#cu-type", label="Medication changed")
    chen.fill("#cu-sum", SUMMARY)
    chen.fill("#cu-det", "Sleepiness likely for a week.")
    chen.click("#care-update-form button")
    chen.locator("#care-message").wait_for(timeout=10_000)
    message = chen.locator("#care-message").inner_text()
    assert "sent to" in message and "Wei Li" in message and "Sam Ortiz" in message
    chen.screenshot(path=str(artifacts_dir / "care-tab-recorded.png"), full_page=True)

    li, li_errors = logged_in_page(browser, plexus_server, "liwei")
    li.goto(f"{plexus_server}/care/inbox/")
    item = li.locator("#inbox-open article", has_text=SUMMARY)
    item.wait_for(timeout=10_000)
    li.screenshot(path=str(artifacts_dir / "care-inbox.png"), full_page=True)
    item.locator("input[name=reply]").fill("Will lower needle retention time.")
    item.locator("button[name=ack]").click()
    li.locator("text=Acknowledged. The author sees it now.").wait_for(timeout=10_000)
    li.reload()
    assert li.locator("#inbox-open article", has_text=SUMMARY).count() == 0

    chen.reload()
    chen.locator("#care-panel").wait_for(timeout=15_000)
    row = chen.locator("#care-updates article", has_text=SUMMARY)
    assert "✓ Wei Li" in row.inner_text() and "Will lower needle retention time." in row.inner_text()
    assert "Sam Ortiz" in row.inner_text() and "1 of 2 acknowledged" in row.inner_text()

    # The clock passes the routine SLA (2 business days) and then the lead-physician stage. The
    # server runs on the real clock, so the deadline is read back from it.
    patient_id = chen.url.rstrip("/").split("/")[-3]
    items = chen.request.get(f"{plexus_server}/api/care/patients/{patient_id}/updates").json()["items"]
    due = datetime.fromisoformat(next(i["due_at"] for i in items if i.get("summary") == SUMMARY))
    later = due + timedelta(minutes=1)
    out = server_manage(plexus_server, "reconcile", "care_escalations", "--now", later.isoformat())
    assert "care_escalations: " in out, out
    va, va_errors = logged_in_page(browser, plexus_server, "assistant")
    va.goto(f"{plexus_server}/care/escalations/")
    esc = va.locator("#escalations-table tr", has_text="Maria Lopez").filter(has_text="Medication changed")
    assert esc.count() >= 1 and "Sam Ortiz" in esc.first.inner_text(), out
    assert SUMMARY not in va.content()  # a virtual assistant chases it without seeing the content
    va.screenshot(path=str(artifacts_dir / "care-escalations.png"), full_page=True)

    server_manage(plexus_server, "reconcile", "care_escalations", "--now", (due + timedelta(days=4)).isoformat())
    chen.goto(f"{plexus_server}/care/inbox/")
    assert chen.locator("#inbox-escalated article", has_text=SUMMARY).count() == 1
    assert not (chen_errors or li_errors or va_errors), chen_errors + li_errors + va_errors
