"""HTTP tests for the documents, records-request and sharing screens and API (the role matrix is in
test_permission_matrix.py)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core import mail
from django.test import Client
from fhir.resources.R4B.bundle import Bundle
from fhir.resources.R4B.documentreference import DocumentReference

from plexus.core.audit import Actor
from plexus.core.models import AuditEvent
from plexus.records import files, sharing
from plexus.records.models import Document, DocumentShare, RecordsRequest, ShareAccess

from . import docs_helpers
from .conftest import NOW
from .docs_helpers import EXE, PDF, PNG, stored_files, upload

doc_storage = docs_helpers.doc_storage  # the fixture, for this module
pytestmark = pytest.mark.usefixtures("frozen", "doc_storage")
TODAY = NOW.date()


@pytest.fixture
def docs(admin_actor, patient):
    lab = files.document_store(actor=admin_actor, patient=patient, uploaded_file=upload(), doc_type="lab_result",
                               source="Quest", disciplines=["lac"], service_date=TODAY - timedelta(days=5))
    card = files.document_store(actor=admin_actor, patient=patient, uploaded_file=upload("c.png", PNG, "image/png"),
                                doc_type="insurance_card_front", source="patient portal")
    return {"lab": lab, "card": card}


# ----- documents tab -----------------------------------------------------------------------------


def test_documents_tab_grouped_and_minimum_necessary(client_for, patient, docs):
    resp = client_for("front_desk").get(f"/records/patients/{patient.pk}/documents/")
    html = resp.content.decode()
    assert resp.status_code == 200 and "Licensed acupuncturist" in html and "General" in html
    assert f'href="/records/documents/{docs["card"].pk}/"' in html
    assert f'href="/records/documents/{docs["lab"].pk}/"' not in html and "clinical" in html
    assert 'style="' not in html  # CSP: no inline styles
    doc_html = client_for("practitioner").get(f"/records/patients/{patient.pk}/documents/").content.decode()
    assert f'href="/records/documents/{docs["lab"].pk}/"' in doc_html


def test_upload_htmx_files_document(client_for, patient, doc_storage):
    c = client_for("front_desk")
    resp = c.post(f"/records/patients/{patient.pk}/documents/upload/",
                  {"file": upload("consent.pdf"), "doc_type": "consent", "source": "Signed at desk", "disciplines": ["dc"]},
                  HTTP_HX_REQUEST="true")
    assert resp.status_code == 200 and 'id="doc-filed"' in resp.content.decode()
    d = Document.objects.get()
    assert d.doc_type == "consent" and d.disciplines == ["dc"] and d.uploaded_by.username == "u_front_desk"


def test_upload_lying_bytes_shows_error_next_to_file(client_for, patient, doc_storage):
    resp = client_for("front_desk").post(
        f"/records/patients/{patient.pk}/documents/upload/",
        {"file": upload("lab.pdf", EXE), "doc_type": "lab_result", "source": "Fax"}, HTTP_HX_REQUEST="true")
    html = resp.content.decode()
    assert resp.status_code == 422 and 'data-field="file"' in html and "not an allowed type" in html
    assert not Document.objects.exists() and stored_files(doc_storage) == []
    resp = client_for("front_desk").post(f"/records/patients/{patient.pk}/documents/upload/",
                                         {"file": upload("lab.pdf", PNG), "doc_type": "lab_result", "source": "Fax"})
    assert resp.status_code == 422 and "image/png" in resp.content.decode()


def test_open_document_inline_and_audited(client_for, docs):
    resp = client_for("front_desk").get(f"/records/documents/{docs['card'].pk}/")
    assert resp.status_code == 200 and resp["Content-Type"] == "image/png" and resp.content == PNG
    assert resp["X-Content-Type-Options"] == "nosniff"
    assert client_for("front_desk").get(f"/records/documents/{docs['lab'].pk}/").status_code == 403
    resp = client_for("practitioner").get(f"/records/documents/{docs['lab'].pk}/?download=1")
    assert resp.status_code == 200 and resp["Content-Disposition"].startswith("attachment")
    assert AuditEvent.objects.filter(object_type="document", action="export", username="u_practitioner").exists()
    assert client_for("practitioner").get("/records/documents/999999/").status_code == 404


def test_fhir_views(client_for, patient, docs):
    c = client_for("virtual_assistant")
    resp = c.get(f"/records/documents/{docs['lab'].pk}/fhir/")
    assert resp.status_code == 200 and DocumentReference.model_validate_json(resp.content).id == f"document-{docs['lab'].pk}"
    resp = c.get(f"/records/patients/{patient.pk}/documents/fhir/")
    assert resp.status_code == 200 and len(Bundle.model_validate_json(resp.content).entry) == 2


def test_api_documents(client_for, patient, docs, doc_storage):
    c = client_for("front_desk")
    resp = c.post("/api/records/documents", {"patient_id": patient.pk, "doc_type": "photo_id", "source": "desk scan",
                                             "disciplines": ["md", "lac"], "file": upload("id.png", PNG, "image/png")})
    assert resp.status_code == 201, resp.content
    body = resp.json()
    assert body["disciplines"] == ["lac", "md"] and body["content_type"] == "image/png" and not body["is_clinical"]
    bad = c.post("/api/records/documents", {"patient_id": patient.pk, "doc_type": "lab_result", "source": "x",
                                            "file": upload("lab.pdf", PNG, "application/pdf")})
    assert bad.status_code == 422 and bad["Content-Type"] == "application/problem+json"
    assert bad.json()["errors"][0]["field"] == "file"
    listed = c.get(f"/api/records/documents?patient_id={patient.pk}").json()
    assert len(listed) == 3
    lab = next(d for d in listed if d["doc_type"] == "lab_result")
    assert lab["content_url"] is None  # front desk may not open clinical content
    assert c.get(f"/api/records/documents?patient_id={patient.pk}&discipline=lac&doc_type=lab_result").json()[0]["id"] == lab["id"]
    assert c.get(f"/api/records/documents/{lab['id']}").json()["sha256"] == docs["lab"].sha256
    assert c.get(f"/api/records/documents/{lab['id']}/content").status_code == 403
    assert client_for("practitioner").get(f"/api/records/documents/{lab['id']}/content").content == PDF
    assert c.patch(f"/api/records/documents/{lab['id']}", {"is_psychotherapy_note": True},
                   content_type="application/json").status_code == 403
    resp = client_for("practitioner").patch(f"/api/records/documents/{lab['id']}", {"is_psychotherapy_note": True},
                                            content_type="application/json")
    assert resp.status_code == 200 and resp.json()["is_psychotherapy_note"]
    DocumentReference.model_validate(c.get(f"/api/records/documents/{lab['id']}/fhir").json())
    assert len(Bundle.model_validate(c.get(f"/api/records/documents/fhir?patient_id={patient.pk}").json()).entry) == 3


# ----- records requests --------------------------------------------------------------------------


def test_request_screens_flow(client_for, patient, docs):
    c = client_for("front_desk")
    assert c.get(f"/records/requests/new/?patient_id={patient.pk}").status_code == 200
    resp = c.post("/records/requests/new/", {"patient_id": patient.pk, "requester_kind": "third_party",
                                              "requester_name": "Dr. Outside", "received_on": TODAY.isoformat()})
    assert resp.status_code == 422 and "authorisation" in resp.content.decode()
    resp = c.post("/records/requests/new/", {"patient_id": patient.pk, "requester_kind": "patient",
                                              "requester_name": "Maria Lopez", "requester_email": "maria@example.com",
                                              "received_on": (TODAY - timedelta(days=10)).isoformat()})
    assert resp.status_code == 302
    req = RecordsRequest.objects.get()
    assert req.due_on == TODAY + timedelta(days=20)
    assert c.get(f"/records/requests/{req.pk}/").status_code == 200
    assert c.post(f"/records/requests/{req.pk}/extend/", {"reason": "Records are in storage."}).status_code == 302
    assert len(mail.outbox) == 1
    resp = c.post(f"/records/requests/{req.pk}/extend/", {"reason": "Again"})
    assert resp.status_code == 409
    resp = c.post(f"/records/requests/{req.pk}/fulfil/", {"documents": [docs["lab"].pk], "method": "portal"})
    assert resp.status_code == 302
    req.refresh_from_db()
    assert req.status == "fulfilled" and list(req.documents_sent.all()) == [docs["lab"]]
    assert "Sent" in c.get(f"/records/requests/{req.pk}/").content.decode()


def test_fulfil_form_never_offers_psychotherapy_notes(client_for, patient, docs):
    docs["lab"].is_psychotherapy_note = True
    docs["lab"].save()
    c = client_for("admin")
    c.post("/records/requests/new/", {"patient_id": patient.pk, "requester_kind": "patient", "requester_name": "M",
                                       "received_on": TODAY.isoformat()})
    req = RecordsRequest.objects.get()
    html = c.get(f"/records/requests/{req.pk}/").content.decode()
    assert f'value="{docs["lab"].pk}"' not in html and f'value="{docs["card"].pk}"' in html
    resp = c.post(f"/records/requests/{req.pk}/fulfil/", {"documents": [docs["lab"].pk], "method": "portal"})
    assert resp.status_code == 422
    assert c.post(f"/records/requests/{req.pk}/deny/", {"reason": ""}).status_code == 422
    assert c.post(f"/records/requests/{req.pk}/deny/", {"reason": "Duplicate"}).status_code == 302


def test_tracker_overdue_first(client_for, admin_actor, patient):
    from plexus.records import access_requests as ar

    soon = ar.request_create(actor=admin_actor, patient=patient, requester_kind="patient", requester_name="Soon",
                             received_on=TODAY - timedelta(days=3))
    late = ar.request_create(actor=admin_actor, patient=patient, requester_kind="patient", requester_name="Late",
                             received_on=TODAY - timedelta(days=45))
    html = client_for("virtual_assistant").get("/records/requests/").content.decode()
    assert 'id="requests-overdue"' in html and html.index(f'data-request-id="{late.pk}"') < html.index(
        f'data-request-id="{soon.pk}"')
    api = client_for("virtual_assistant").get("/api/records/records-requests?overdue=true").json()
    assert [r["id"] for r in api] == [late.pk] and api[0]["overdue"]


def test_records_request_api(client_for, patient, docs):
    c = client_for("front_desk")
    resp = c.post("/api/records/records-requests", {"patient_id": patient.pk, "requester_kind": "third_party",
                                                    "requester_name": "Insurer", "received_on": TODAY.isoformat()},
                  content_type="application/json")
    assert resp.status_code == 422 and resp.json()["errors"][0]["field"] == "authorisation_id"
    release = files.document_store(actor=Actor(user=None),
                                   patient=patient, uploaded_file=upload(), doc_type="records_release", source="fax")
    resp = c.post("/api/records/records-requests", {"patient_id": patient.pk, "requester_kind": "third_party",
                                                    "requester_name": "Dr. Outside", "authorisation_id": release.pk,
                                                    "requester_email": "outside@example.org",
                                                    "received_on": TODAY.isoformat()}, content_type="application/json")
    assert resp.status_code == 201, resp.content
    rid = resp.json()["id"]
    assert resp.json()["due_on"] == (TODAY + timedelta(days=30)).isoformat()
    ext = c.post(f"/api/records/records-requests/{rid}/extend", {"reason": "Off-site archive"}, content_type="application/json")
    assert ext.status_code == 200 and ext.json()["extension_notice_method"] == "email"
    again = c.post(f"/api/records/records-requests/{rid}/extend", {"reason": "x"}, content_type="application/json")
    assert again.status_code == 409
    done = c.post(f"/api/records/records-requests/{rid}/fulfil", {"document_ids": [docs["card"].pk], "method": "email"},
                  content_type="application/json")
    assert done.status_code == 200 and done.json()["status"] == "fulfilled" and done.json()["documents_sent"] == [docs["card"].pk]
    assert c.get(f"/api/records/records-requests/{rid}").json()["delivery_method"] == "email"
    assert len(c.get("/api/records/records-requests?include_closed=true").json()) == 1


# ----- sharing -----------------------------------------------------------------------------------


def test_share_screens_and_public_link(client_for, patient, docs):
    doc = client_for("practitioner")
    assert doc.get(f"/records/patients/{patient.pk}/shares/").status_code == 200
    resp = doc.post(f"/records/patients/{patient.pk}/shares/", {
        "documents": [docs["lab"].pk, docs["card"].pk], "recipient_name": "Dr. Ada Park", "purpose": "Cardiology consult",
        "expires_in_days": 7, "passcode": "tulip-4821"})
    assert resp.status_code == 201
    s = DocumentShare.objects.get()
    path = sharing.share_path(s)
    assert path in resp.content.decode()
    anon = Client(HTTP_USER_AGENT="SpecialistBrowser/1.0", REMOTE_ADDR="198.51.100.4")
    assert "Passcode" in anon.get(path).content.decode()
    wrong = anon.post(path, {"passcode": "nope"})
    assert wrong.status_code == 401 and "4 attempt(s) left" in wrong.content.decode()
    assert anon.post(path, {"passcode": "tulip-4821"}).status_code == 302
    page = anon.get(path)
    assert page.status_code == 200 and "Cardiology consult" in page.content.decode()
    f = anon.get(f"{path}documents/{docs['lab'].pk}/")
    assert f.status_code == 200 and f.content == PDF and f["Cache-Control"] == "no-store"
    detail = doc.get(f"/records/shares/{s.pk}/").content.decode()
    assert "198.51.100.4" in detail and "SpecialistBrowser" in detail and "passcode_wrong" in detail
    assert doc.post(f"/records/shares/{s.pk}/revoke/").status_code == 302
    gone = anon.get(path)
    assert gone.status_code == 410 and 'data-reason="revoked"' in gone.content.decode()
    assert anon.get(f"{path}documents/{docs['lab'].pk}/").status_code == 410
    assert ShareAccess.objects.filter(share=s, outcome="revoked").count() == 2
    assert anon.get("/records/shared/not-a-token/").status_code == 404


def test_share_expired_page(client_for, admin_actor, patient, docs, frozen):
    s = sharing.share_create(actor=admin_actor, patient=patient, documents=[docs["card"]], recipient_name="Dr. P",
                             purpose="Consult", expires_in_days=1)
    frozen.shift(timedelta(days=1, minutes=1))
    resp = Client().get(sharing.share_path(s))
    assert resp.status_code == 410 and "expired" in resp.content.decode()


def test_share_api_and_letter(client_for, patient, docs):
    c = client_for("practitioner")
    letter = c.post("/api/records/referral-letters", {"patient_id": patient.pk, "recipient_name": "Dr. Ada Park",
                                                      "reason": "Palpitations"}, content_type="application/json")
    assert letter.status_code == 201 and letter.json()["doc_type"] == "letter"
    resp = c.post("/api/records/shares", {"patient_id": patient.pk, "document_ids": [docs["lab"].pk, letter.json()["id"]],
                                          "recipient_name": "Dr. Ada Park", "purpose": "Cardiology consult",
                                          "passcode": "tulip-4821"}, content_type="application/json")
    assert resp.status_code == 201 and resp.json()["url"].endswith(sharing.share_path(DocumentShare.objects.get()))
    sid = resp.json()["id"]
    assert c.get(f"/api/records/shares?patient_id={patient.pk}").json()[0]["has_passcode"]
    revoked = c.post(f"/api/records/shares/{sid}/revoke")
    assert revoked.status_code == 200 and revoked.json()["state"] == "revoked"
    assert c.get(f"/api/records/shares/{sid}").json()["url"] is None
    bad = c.post("/api/records/shares", {"patient_id": patient.pk, "document_ids": [999999], "recipient_name": "x",
                                         "purpose": "y"}, content_type="application/json")
    assert bad.status_code == 422
    desk = client_for("front_desk").post("/api/records/shares", {
        "patient_id": patient.pk, "document_ids": [docs["lab"].pk], "recipient_name": "x", "purpose": "y"},
        content_type="application/json")
    assert desk.status_code == 422 and "clinician" in desk.json()["detail"]


def test_referral_letter_view(client_for, patient):
    c = client_for("practitioner")
    resp = c.post(f"/records/patients/{patient.pk}/referral-letter/", {"recipient_name": "Dr. Ada Park", "reason": "Palpitations"})
    assert resp.status_code == 302 and Document.objects.get().doc_type == "letter"
    assert c.post(f"/records/patients/{patient.pk}/referral-letter/", {"recipient_name": ""}).status_code == 422
