"""Front desk opens the forms list, filters it to one discipline and previews a form that uses
every item type (the shipped forms are loaded by migration 0002 on the test server)."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from plexus.testing.browser import logged_in_page

pytestmark = pytest.mark.browser


def test_forms_list_and_preview(plexus_server, browser, artifacts_dir):
    page, errors = logged_in_page(browser, plexus_server, "frontdesk")
    page.goto(f"{plexus_server}/records/forms/")
    rows = page.locator("#form-list tbody tr.px-form-row")
    rows.first.wait_for(timeout=10_000)
    assert rows.count() >= 10
    assert "Chiropractor" in page.locator("tr[data-slug='chiropractic-intake']").inner_text()
    page.screenshot(path=str(artifacts_dir / "records-forms-list.png"))

    page.select_option("#id_discipline", label="Massage therapist")  # htmx swaps the rows
    expect(rows).to_have_count(2, timeout=10_000)
    slugs = {rows.nth(i).get_attribute("data-slug") for i in range(rows.count())}
    assert slugs == {"general-health-history", "massage-screening"}

    page.select_option("#id_discipline", value="")
    expect(rows).to_have_count(10, timeout=10_000)
    page.click("tr[data-slug='general-health-history'] a")
    page.wait_for_url("**/records/forms/*/")
    assert page.inner_text("#form-title") == "General health history"
    for kind in ("text", "date", "choice", "multi", "scale", "boolean", "group"):
        assert page.locator(f"#form-preview .px-item[data-type='{kind}']").count() >= 1, kind
    assert page.locator("#form-preview .px-repeating").count() >= 1
    assert page.locator("#form-preview .px-followup").count() >= 1
    page.screenshot(path=str(artifacts_dir / "records-form-preview.png"), full_page=False)
    page.locator("[data-link-id='page-medications']").scroll_into_view_if_needed()
    page.screenshot(path=str(artifacts_dir / "records-form-preview-medications.png"))

    # A PHQ-9 filled through the API, then read on the response screen (scores at the top) and as PDF.
    token = next(c["value"] for c in page.context.cookies() if c["name"] == "csrftoken")
    headers = {"X-CSRFToken": token}
    api = f"{plexus_server}/api"
    patient_id = page.request.get(f"{api}/patients?q=Lopez Maria").json()["items"][0]["id"]
    phq9 = next(q for q in page.request.get(f"{api}/records/questionnaires?status=active").json() if q["slug"] == "phq-9")
    started = page.request.post(f"{api}/records/responses", headers=headers,
                                data={"patient_id": patient_id, "questionnaire_id": phq9["id"]})
    assert started.status == 201, started.text()
    rid = started.json()["id"]
    answers = {f"phq9-{n}": code for n, code in enumerate(["LA6570-1"] * 6 + ["LA6569-3"] * 2 + ["LA6569-3"], 1)}
    saved = page.request.put(f"{api}/records/responses/{rid}/pages/page-phq-9", headers=headers, data={"answers": answers})
    assert saved.status == 200, saved.text()
    done = page.request.post(f"{api}/records/responses/{rid}/complete", headers=headers)
    # The front desk entered the answers but does not read them back (minimum necessary).
    assert done.status == 200 and done.json()["content_hidden"] and done.json()["scores"] is None, done.text()
    assert page.request.get(f"{plexus_server}/records/responses/{rid}/").status == 403
    assert not errors, errors
    page.close()
    page, errors = logged_in_page(browser, plexus_server, "drchen")
    page.goto(f"{plexus_server}/records/responses/{rid}/")
    assert page.inner_text("#score-total") == "15" and page.inner_text("#score-band") == "Moderately severe"
    assert page.locator(".px-flag").count() == 1
    page.screenshot(path=str(artifacts_dir / "records-response.png"))
    pdf = page.request.get(f"{plexus_server}/records/responses/{rid}/pdf/")
    assert pdf.status == 200 and pdf.body().startswith(b"%PDF")
    (artifacts_dir / "records-response.pdf").write_bytes(pdf.body())
    assert not errors, errors
    page.close()
