"""A specialist opens a shared link in a real browser: Dr. Chen files a lab result on Maria's
documents tab (htmx upload), shares it with an outside cardiologist with a passcode; the
specialist (no Plexus account) enters the passcode and sees the document; after Dr. Chen revokes
the link, the same link is refused (410) and the attempt shows in the access log."""

from __future__ import annotations

from urllib.parse import urlparse

import pytest
from playwright.sync_api import expect

from plexus.testing.browser import logged_in_page

pytestmark = pytest.mark.browser

PDF = b"%PDF-1.4\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF\n"  # synthetic


def test_specialist_opens_shared_link_then_revoked(plexus_server, browser, artifacts_dir):
    chen, chen_errors = logged_in_page(browser, plexus_server, "drchen")
    pid = chen.request.get(f"{plexus_server}/api/patients?q=Lopez Maria").json()["items"][0]["id"]
    chen.goto(f"{plexus_server}/records/patients/{pid}/documents/")
    chen.set_input_files("#id_file", files=[{"name": "lipid-panel.pdf", "mimeType": "application/pdf", "buffer": PDF}])
    chen.select_option("#id_doc_type", value="lab_result")
    chen.fill("#id_source", "Quest Diagnostics")
    chen.select_option("#id_disciplines", value="md")
    chen.click("#doc-upload button[type=submit]")  # htmx swaps the panel
    chen.locator("#doc-filed").wait_for(timeout=10_000)
    row = chen.locator("section[data-discipline='md'] tr.px-doc-row[data-doc-type='lab_result']")
    expect(row).to_have_count(1)
    chen.screenshot(path=str(artifacts_dir / "records-documents-tab.png"))

    chen.click("a.nav-link:has-text('Shared links')")
    chen.wait_for_url("**/shares/")
    chen.locator("#share-form input[name=documents]").first.check()
    chen.fill("#id_recipient_name", "Dr. Ada Park, Cardiology")
    chen.fill("#id_purpose", "Cardiology consult: exertional palpitations")
    chen.fill("#id_passcode", "tulip-4821")
    chen.click("#share-create")
    link = chen.locator("#share-new-link").inner_text()
    path = urlparse(link).path
    assert path.startswith("/records/shared/")

    specialist_ctx = browser.new_context(viewport={"width": 1280, "height": 800})
    spec = specialist_ctx.new_page()
    spec_errors: list[str] = []
    spec.on("console", lambda m: spec_errors.append(m.text) if m.type == "error" else None)
    spec.goto(plexus_server + path)
    spec.fill("#passcode", "wrong-code")
    spec.click("#shared-submit")
    expect(spec.locator("#shared-error")).to_contain_text("attempt(s) left")
    spec.fill("#passcode", "tulip-4821")
    spec.click("#shared-submit")
    docs = spec.locator("#shared-documents li")
    expect(docs).to_have_count(1)
    assert "Lab result" in docs.first.inner_text() and "Quest Diagnostics" in docs.first.inner_text()
    spec.screenshot(path=str(artifacts_dir / "records-shared-link.png"))
    href = docs.first.locator("a").get_attribute("href")
    got = spec.request.get(plexus_server + href)
    assert got.status == 200 and got.body() == PDF

    chen.click("#share-list a:has-text('Dr. Ada Park')")
    chen.wait_for_url("**/records/shares/*/")
    log = chen.locator("#share-accesses").inner_text()
    assert "opened" in log and "passcode_wrong" in log and "file" in log
    chen.click("#share-revoke")
    expect(chen.locator("#share-state")).to_have_text("Revoked")
    chen.screenshot(path=str(artifacts_dir / "records-share-detail-revoked.png"))

    resp = spec.goto(plexus_server + path)
    assert resp.status == 410
    expect(spec.locator("#shared-refused")).to_contain_text("withdrawn")
    spec.screenshot(path=str(artifacts_dir / "records-shared-link-revoked.png"))
    assert spec.request.get(plexus_server + href).status == 410
    chen.reload()
    assert "revoked" in chen.locator("#share-accesses").inner_text()
    assert not chen_errors, chen_errors
    # Only the expected refusals: the wrong passcode (401) and the revoked link (410).
    assert not [e for e in spec_errors if "401" not in e and "410" not in e], spec_errors
    specialist_ctx.close()
    chen.close()
