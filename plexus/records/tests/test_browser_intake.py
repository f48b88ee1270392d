"""A new patient fills the intake packet on a phone-size screen: wrong date of birth first, then
the right one; stops halfway and comes back with the same link; finishes every form. Then the
acupuncturist signs the new intake off on the review checklist and the visit shows ready.

The server runs on the real clock, so the booking is made through the API for the next days."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from plexus.testing.browser import logged_in_page

pytestmark = pytest.mark.browser

PHONE = {"width": 375, "height": 740}
DOB = "1981-03-02"


def _csrf(page) -> dict:
    return {"X-CSRFToken": next(c["value"] for c in page.context.cookies() if c["name"] == "csrftoken")}


def _book_new_patient(page, base: str) -> tuple[int, str, date]:
    """Create a new patient, book an acupuncture visit with Li Wei, send the packet; return
    (patient id, portal path, visit date)."""
    h = _csrf(page)
    r = page.request.post(f"{base}/api/patients", headers=h, data={
        "legal_first_name": "Rosa", "legal_last_name": "Intake", "date_of_birth": DOB, "sex_for_claims": "F",
        "email": "rosa.intake@example.com", "consent_email": True, "preferred_channel": "email"})
    assert r.status == 201, r.text()
    patient_id = r.json()["id"]
    pracs = page.request.get(f"{base}/api/practitioners").json()
    li = next(p for p in (pracs["items"] if isinstance(pracs, dict) else pracs) if p["last_name"] == "Li")
    services = page.request.get(f"{base}/api/services").json()
    acu = next(s for s in (services["items"] if isinstance(services, dict) else services)
               if s["procedure_code"] == "97810")
    start = (datetime.now(UTC) + timedelta(days=1)).replace(hour=0, minute=0, second=0, microsecond=0)
    found = page.request.post(f"{base}/api/scheduling/search", headers=h, data={
        "components": [{"service_id": acu["id"], "practitioner_id": li["id"]}], "range_start": start.isoformat(),
        "range_end": (start + timedelta(days=10)).isoformat(), "patient_id": patient_id, "limit": 1})
    assert found.status == 200, found.text()
    option = found.json()["items"][0]
    comp = option["components"][0]
    booked = page.request.post(f"{base}/api/scheduling/blocks", headers=h, data={
        "patient_id": patient_id, "location_id": option["location_id"],
        "components": [{"service_id": comp["service_id"], "practitioner_id": comp["practitioner_id"],
                        "room_id": comp["room_id"], "start": comp["start"]}]})
    assert booked.status == 201, booked.text()
    sent = page.request.post(f"{base}/api/records/patients/{patient_id}/intake", headers=h)
    assert sent.status == 200 and sent.json()["status"] == "sent", sent.text()
    messages = page.request.get(f"{base}/api/messaging/messages?patient_id={patient_id}").json()["items"]
    link = next(m["body"] for m in messages if m["kind"] == "intake")
    path = re.search(r"(/records/portal/[^/\s]+/)", link).group(1)
    local = datetime.fromisoformat(comp["start"]).astimezone(ZoneInfo("America/Los_Angeles"))  # Li works in Portland
    return patient_id, path, local.date()


def _fill_current_page(page) -> None:
    """Answer what the page asks: "No" to yes/no, the first option of choices, the low end of
    scales and numbers, a date, and "none" in text boxes."""
    form = page.locator("#page-form")
    for group in form.locator("fieldset:has(input[type=radio])").all():
        radios = group.locator("input[type=radio]")
        values = radios.evaluate_all("els => els.map(e => e.value)")
        pick = values.index("no") if "no" in values else 0
        if not group.locator("input[type=radio]:checked").count():
            radios.nth(pick).check()
    for group in form.locator("fieldset:has(input[type=checkbox])").all():
        if not group.locator("input[type=checkbox]:checked").count():
            group.locator("input[type=checkbox]").first.check()
    for box in form.locator("input.form-control:not([type=date]):not([type=hidden])").all():
        if not box.input_value():
            placeholder = box.get_attribute("placeholder") or ""
            numeric = box.get_attribute("inputmode") == "numeric"
            box.fill(placeholder.split("–")[0] if placeholder else ("1" if numeric else "none"))
    for box in form.locator("input[type=date]").all():
        if not box.input_value():
            box.fill("2020-01-01")


def _finish_form(page) -> None:
    for _ in range(40):
        _fill_current_page(page)
        page.click("#save-next")
        page.wait_for_load_state()
        if page.locator("#packet-forms").count():
            return
        assert not page.locator("#form-error").count(), page.inner_text("main")
    raise AssertionError("the form did not finish")


def test_phone_intake_stop_come_back_finish_then_review(plexus_server, browser, artifacts_dir):
    desk, desk_errors = logged_in_page(browser, plexus_server, "frontdesk")
    patient_id, path, visit_day = _book_new_patient(desk, plexus_server)
    desk.close()

    phone = browser.new_page(viewport=PHONE)
    phone.goto(plexus_server + path)
    phone.fill("#dob", "1990-01-01")
    phone.click("#dob-form button")
    assert "4 tries left" in phone.inner_text("#dob-error")
    phone.fill("#dob", DOB)
    phone.click("#dob-form button")
    phone.locator("#packet-forms").wait_for()
    titles = phone.inner_text("#packet-forms")
    assert "General health history" in titles and "Acupuncture intake" in titles
    assert phone.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]  # no sideways scrolling
    phone.locator("#packet-forms li", has_text="Acupuncture intake").locator("a").click()
    phone.locator("#page-form").wait_for()
    _fill_current_page(phone)
    phone.screenshot(path=str(artifacts_dir / "portal-phone-form.png"), full_page=True)
    phone.click("#save-later")
    assert "Saved. You can close this page" in phone.inner_text("main")
    phone.context.close()

    # Later, on the same phone: the same link, the date of birth again, and it resumes.
    phone = browser.new_page(viewport=PHONE)
    phone.goto(plexus_server + path)
    phone.fill("#dob", DOB)
    phone.click("#dob-form button")
    row = phone.locator("#packet-forms li", has_text="Acupuncture intake")
    assert "1 of" in row.inner_text() and "pages saved" in row.inner_text()
    row.locator("a", has_text="Continue").click()
    assert "Page 2 of" in phone.inner_text("#page-progress")
    _finish_form(phone)
    while phone.locator("#packet-forms a.btn").count():
        phone.locator("#packet-forms a.btn").first.click()
        _finish_form(phone)
    assert "All done" in phone.inner_text("main")
    phone.screenshot(path=str(artifacts_dir / "portal-phone-done.png"), full_page=True)
    phone.context.close()

    li, li_errors = logged_in_page(browser, plexus_server, "liwei")
    li.goto(f"{plexus_server}/records/review/?date={visit_day.isoformat()}")
    visit = li.locator("#review-table tr", has_text="Rosa Intake")
    assert "to review" in visit.inner_text() and "Acupuncture intake" in visit.inner_text()
    while visit.locator("button", has_text="Sign off").count():
        visit.locator("button", has_text="Sign off").first.click()
        li.wait_for_load_state()
        visit = li.locator("#review-table tr", has_text="Rosa Intake")
    assert "Ready" in visit.inner_text()
    li.screenshot(path=str(artifacts_dir / "review-checklist.png"), full_page=True)
    assert not (desk_errors or li_errors), desk_errors + li_errors
    assert patient_id
