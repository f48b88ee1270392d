"""Browser test: the front desk opens a visit block, previews its consolidated reminder, sends it
now and finds it in the message log. (The block is booked through the API first so the test does
not depend on which demo visits are still ahead of today.)"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest

from plexus.testing.browser import logged_in_page

pytestmark = pytest.mark.browser


def _book_visit(page, base: str) -> int:
    csrf = next(c["value"] for c in page.context.cookies() if c["name"] == "csrftoken")
    api = page.request
    headers = {"X-CSRFToken": csrf, "Referer": base + "/"}
    services = {s["name"]: s["id"] for s in api.get(f"{base}/api/services").json()}
    maria = api.get(f"{base}/api/patients?q=Lopez Maria").json()["items"][0]["id"]
    today = date.today()
    monday = today + timedelta(days=7 - today.weekday())
    start = datetime.combine(monday, time(0), tzinfo=ZoneInfo("America/Los_Angeles"))
    comps = [{"service_id": services["Established visit, moderate complexity (99214)"]},
             {"service_id": services["Acupuncture, initial 15 min (97810)"]}]
    found = api.post(f"{base}/api/scheduling/search", headers=headers,
                     data={"components": comps, "range_start": start.isoformat(), "patient_id": maria}).json()
    option = found["items"][0]
    booked = api.post(f"{base}/api/scheduling/blocks", headers=headers,
                      data={"patient_id": maria, "components": option["components"]})
    assert booked.status == 201, booked.text()
    return booked.json()["id"]


def test_preview_send_and_find_reminder_in_log(plexus_server, browser, artifacts_dir):
    page, errors = logged_in_page(browser, plexus_server, "frontdesk")
    block_id = _book_visit(page, plexus_server)

    page.goto(f"{plexus_server}/schedule/blocks/{block_id}/")
    panel = page.locator("#block-reminders")
    panel.wait_for(timeout=10_000)  # loaded by htmx
    sms = panel.locator(".px-draft[data-channel='sms']")
    assert "Reply C to confirm, X to cancel" in sms.inner_text()
    assert "Acupuncture" not in sms.inner_text()  # minimum necessary: no services in a text
    email = panel.locator(".px-draft[data-channel='email']")
    assert "Acupuncture, initial 15 min with" in email.inner_text()
    assert "Acupuncture: wear loose" in email.inner_text()
    page.screenshot(path=str(artifacts_dir / "reminder-preview.png"), full_page=True)

    page.click("#send-reminder-now")
    page.locator("#reminder-sent").wait_for(timeout=10_000)
    assert "to +15035550142" in page.inner_text("#reminder-sent")  # Maria prefers texts
    page.screenshot(path=str(artifacts_dir / "reminder-sent.png"), full_page=True)

    page.click("nav >> text=Messages")
    page.locator("#message-log").wait_for()
    page.select_option("#id_channel", "sms")
    page.locator("#message-log tbody tr[data-message]").first.wait_for(timeout=10_000)
    row = page.locator("#message-log tbody tr[data-message]").first
    assert "Maria Lopez" in row.inner_text() and "Reminder" in row.inner_text()
    assert any(s in row.inner_text() for s in ("Sent", "Queued"))  # queued only inside quiet hours
    page.screenshot(path=str(artifacts_dir / "message-log.png"), full_page=True)
    assert not errors, errors
    page.close()
