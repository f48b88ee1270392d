"""Every records route against every role: allowed where the matrix grants the permission, 403
(a problem document for the API) everywhere else."""

from __future__ import annotations

from pathlib import Path

import pytest

from plexus.core.models import Role
from plexus.core.permissions import Perm, role_has
from plexus.records import services
from plexus.testing.matrix import api_routes_tagged, send

from .conftest import phq

EXAMPLE = (Path(__file__).parent / "data" / "fhir-r4-questionnaire-cqf-example.json").read_text()

API_ROUTES = [
    ("get", "/api/records/questionnaires", Perm.FORMS_VIEW, None),
    ("post", "/api/records/questionnaires/fhir", Perm.FORMS_MANAGE, "import"),
    ("get", "/api/records/questionnaires/{questionnaire}", Perm.FORMS_VIEW, None),
    ("get", "/api/records/questionnaires/{questionnaire}/fhir", Perm.FORMS_VIEW, None),
    ("post", "/api/records/questionnaires/{draft}/publish", Perm.FORMS_MANAGE, {}),
    ("post", "/api/records/questionnaires/{questionnaire}/retire", Perm.FORMS_MANAGE, {}),
    ("get", "/api/records/responses?patient_id={patient}", Perm.FORMS_VIEW, None),
    ("post", "/api/records/responses", Perm.FORMS_VIEW, "start"),
    ("post", "/api/records/responses/fhir?patient_id={patient}", Perm.FORMS_VIEW, "response_import"),
    ("get", "/api/records/responses/{response}", Perm.CLINICAL_VIEW, None),
    ("put", "/api/records/responses/{response}/pages/page-phq-9", Perm.FORMS_VIEW, "page"),
    ("post", "/api/records/responses/{response}/complete", Perm.FORMS_VIEW, {}),
    ("get", "/api/records/responses/{completed}/fhir", Perm.CLINICAL_VIEW, None),
    ("get", "/api/records/responses/{completed}/pdf", Perm.CLINICAL_VIEW, None),
    # documents, records requests, external shares (api_documents.py)
    ("get", "/api/records/documents?patient_id={patient}", Perm.DOCUMENTS_VIEW, None),
    ("post", "/api/records/documents", Perm.DOCUMENTS_MANAGE, "upload"),
    ("get", "/api/records/documents/fhir?patient_id={patient}", Perm.DOCUMENTS_VIEW, None),
    ("get", "/api/records/documents/{document_id}", Perm.DOCUMENTS_VIEW, None),
    ("patch", "/api/records/documents/{document_id}", Perm.DOCUMENTS_MANAGE, {"source": "Rescanned at desk"}),
    ("get", "/api/records/documents/{document_id}/content", Perm.DOCUMENTS_VIEW, None),  # administrative (consent)
    ("get", "/api/records/documents/{lab}/content", Perm.CLINICAL_VIEW, None),  # clinical (lab result)
    ("get", "/api/records/documents/{document_id}/fhir", Perm.DOCUMENTS_VIEW, None),
    ("get", "/api/records/records-requests", Perm.DOCUMENTS_VIEW, None),
    ("post", "/api/records/records-requests", Perm.DOCUMENTS_MANAGE,
     lambda c: {"patient_id": c["patient"], "requester_kind": "patient", "requester_name": "Maria Lopez",
                "received_on": "2026-11-20"}),
    ("get", "/api/records/records-requests/{request_id}", Perm.DOCUMENTS_VIEW, None),
    ("post", "/api/records/records-requests/{request_id}/extend", Perm.DOCUMENTS_MANAGE, {"reason": "Archive off site"}),
    ("post", "/api/records/records-requests/{request_id}/fulfil", Perm.DOCUMENTS_MANAGE,
     lambda c: {"document_ids": [c["document_id"]], "method": "mail"}),
    ("post", "/api/records/records-requests/{request_id}/deny", Perm.DOCUMENTS_MANAGE, {"reason": "Duplicate"}),
    ("get", "/api/records/shares?patient_id={patient}", Perm.DOCUMENTS_VIEW, None),
    ("post", "/api/records/shares", Perm.DOCUMENTS_MANAGE,
     lambda c: {"patient_id": c["patient"], "document_ids": [c["document_id"]], "recipient_name": "Dr. Park",
                "purpose": "Consult"}),
    ("get", "/api/records/shares/{share_id}", Perm.DOCUMENTS_VIEW, None),
    ("post", "/api/records/shares/{share_id}/revoke", Perm.DOCUMENTS_MANAGE, {}),
    ("post", "/api/records/referral-letters", Perm.CLINICAL_VIEW,
     lambda c: {"patient_id": c["patient"], "recipient_name": "Dr. Park", "reason": "Palpitations"}),
    # intake packets and the review checklist (api_intake.py)
    ("get", "/api/records/intake", Perm.DOCUMENTS_VIEW, None),
    ("get", "/api/records/patients/{patient}/intake", Perm.DOCUMENTS_VIEW, None),
    ("post", "/api/records/patients/{patient}/intake", Perm.DOCUMENTS_MANAGE, {}),
    ("post", "/api/records/intake/{packet}/send", Perm.DOCUMENTS_MANAGE, {}),
    ("get", "/api/records/review", Perm.CLINICAL_VIEW, None),
    ("post", "/api/records/review/sign", Perm.CLINICAL_VIEW, {"item_kind": "gossip", "item_id": 1}),
]

VIEW_ROUTES = [
    ("get", "/records/forms/", Perm.FORMS_VIEW, None),
    ("get", "/records/forms/import/", Perm.FORMS_MANAGE, None),
    ("post", "/records/forms/import/", Perm.FORMS_MANAGE, {}),
    ("get", "/records/forms/{questionnaire}/", Perm.FORMS_VIEW, None),
    ("get", "/records/forms/{questionnaire}/fhir/", Perm.FORMS_VIEW, None),
    ("post", "/records/forms/{draft}/publish/", Perm.FORMS_MANAGE, {}),
    ("post", "/records/forms/{questionnaire}/retire/", Perm.FORMS_MANAGE, {}),
    ("get", "/records/patients/{patient}/forms/", Perm.FORMS_VIEW, None),
    ("get", "/records/responses/{completed}/", Perm.CLINICAL_VIEW, None),
    ("get", "/records/responses/{completed}/pdf/", Perm.CLINICAL_VIEW, None),
    # documents, records requests, external shares (views_documents.py)
    ("get", "/records/patients/{patient}/documents/", Perm.DOCUMENTS_VIEW, None),
    ("post", "/records/patients/{patient}/documents/upload/", Perm.DOCUMENTS_MANAGE, {}),
    ("get", "/records/patients/{patient}/documents/fhir/", Perm.DOCUMENTS_VIEW, None),
    ("get", "/records/documents/{document_id}/", Perm.DOCUMENTS_VIEW, None),  # administrative (consent)
    ("get", "/records/documents/{lab}/", Perm.CLINICAL_VIEW, None),  # clinical (lab result)
    ("get", "/records/documents/{document_id}/fhir/", Perm.DOCUMENTS_VIEW, None),
    ("get", "/records/patients/{patient}/shares/", Perm.DOCUMENTS_VIEW, None),
    ("post", "/records/patients/{patient}/shares/", Perm.DOCUMENTS_MANAGE, {}),
    ("post", "/records/patients/{patient}/referral-letter/", Perm.CLINICAL_VIEW, {}),
    ("get", "/records/shares/{share_id}/", Perm.DOCUMENTS_VIEW, None),
    ("post", "/records/shares/{share_id}/revoke/", Perm.DOCUMENTS_MANAGE, {}),
    ("get", "/records/requests/", Perm.DOCUMENTS_VIEW, None),
    ("get", "/records/requests/new/?patient_id={patient}", Perm.DOCUMENTS_MANAGE, None),
    ("post", "/records/requests/new/", Perm.DOCUMENTS_MANAGE, {}),
    ("get", "/records/requests/{request_id}/", Perm.DOCUMENTS_VIEW, None),
    ("post", "/records/requests/{request_id}/extend/", Perm.DOCUMENTS_MANAGE, {}),
    ("post", "/records/requests/{request_id}/fulfil/", Perm.DOCUMENTS_MANAGE, {}),
    ("post", "/records/requests/{request_id}/deny/", Perm.DOCUMENTS_MANAGE, {}),
    # intake packets, the review checklist, readiness (views_intake.py)
    ("get", "/records/intake/", Perm.DOCUMENTS_VIEW, None),
    ("post", "/records/intake/{packet}/send/", Perm.DOCUMENTS_MANAGE, {}),
    ("get", "/records/patients/{patient}/intake/", Perm.DOCUMENTS_VIEW, None),
    ("get", "/records/review/", Perm.CLINICAL_VIEW, None),
    ("post", "/records/review/sign/", Perm.CLINICAL_VIEW, {"item_kind": "gossip"}),
    ("get", "/records/readiness/", Perm.DOCUMENTS_VIEW, None),
]

# Public pages (no login; the signed link is the authority): tested in test_documents_http.py and
# test_browser_sharing.py.
PUBLIC_VIEWS = ["/records/shared/{}/", "/records/shared/{}/documents/{}/",
                # the intake portal (test_intake.py, test_browser_intake.py)
                "/records/portal/{}/", "/records/portal/{}/upload/", "/records/portal/{}/forms/{}/",
                "/records/portal/{}/forms/{}/{}/"]


@pytest.fixture
def ctx(frozen, admin_actor, users, forms, patient, tmp_path, monkeypatch):
    import json

    draft = services.questionnaire_import_fhir(actor=admin_actor, data=json.loads(EXAMPLE))
    r = services.response_start(actor=admin_actor, patient=patient, questionnaire=forms["phq-9"])
    done = services.response_start(actor=admin_actor, patient=patient, questionnaire=forms["phq-9"])
    done = services.response_save_page(actor=admin_actor, response=done, page="page-phq-9", answers=phq([1] * 9))
    services.response_complete(actor=admin_actor, response=done)
    from plexus.records import fhir
    from plexus.records.selectors import form_of

    qr = json.dumps(fhir.response_export(form_of(forms["phq-9"]), done))
    from django.core.files.storage import FileSystemStorage

    from plexus.records import access_requests, files, sharing
    from plexus.records.models import Document

    from .docs_helpers import upload

    monkeypatch.setattr(Document._meta.get_field("file"), "storage", FileSystemStorage(location=tmp_path))
    consent = files.document_store(actor=admin_actor, patient=patient, uploaded_file=upload(), doc_type="consent",
                                   source="front desk")
    lab = files.document_store(actor=admin_actor, patient=patient, uploaded_file=upload(), doc_type="lab_result",
                               source="Quest")
    req = access_requests.request_create(actor=admin_actor, patient=patient, requester_kind="patient",
                                         requester_name="Maria Lopez", received_on=consent.uploaded_at.date())
    share = sharing.share_create(actor=admin_actor, patient=patient, documents=[consent], recipient_name="Dr. Park",
                                 purpose="Consult")
    from django.utils import timezone

    from plexus.core.models import Practitioner, User
    from plexus.records.models import IntakePacket

    li = Practitioner.objects.get(last_name="Li")  # the practitioner test user has a practitioner record
    li.user = User.objects.get(username="u_practitioner")
    li.save(update_fields=["user"])
    packet = IntakePacket.objects.create(patient=patient, first_visit_at=timezone.now() + timezone.timedelta(days=2),
                                         created_at=timezone.now())
    return {"qr": qr, "questionnaire": forms["gad-7"].pk, "draft": draft.pk, "patient": patient.pk, "response": r.pk,
            "completed": done.pk, "phq9": forms["phq-9"].pk, "document_id": consent.pk, "lab": lab.pk,
            "request_id": req.pk, "share_id": share.pk, "packet": packet.pk}


def _call(client, method, url, body, ctx, api):
    url = url.format(**ctx)
    if body is None:
        return getattr(client, method)(url)
    if body == "import":
        return client.post(url, data=EXAMPLE, content_type="application/json")
    if body == "response_import":
        return client.post(url, data=ctx["qr"], content_type="application/json")
    if body == "start":
        body = {"patient_id": ctx["patient"], "questionnaire_id": ctx["phq9"]}
    if body == "page":
        body = {"answers": phq([0] * 9)}
    if body == "upload":
        from .docs_helpers import upload

        return client.post(url, {"patient_id": ctx["patient"], "doc_type": "consent", "source": "scan", "file": upload()})
    if callable(body):
        body = body(ctx)
    return send(client, method, url, body, api=api)


@pytest.mark.parametrize("role", Role.values)
@pytest.mark.parametrize(("method", "url", "perm", "body"), API_ROUTES, ids=[f"{m} {u}" for m, u, _, _ in API_ROUTES])
def test_api_role_matrix(client_for, ctx, role, method, url, perm, body):
    resp = _call(client_for(role), method, url, body, ctx, api=True)
    if role_has(role, perm):
        assert resp.status_code != 403 and resp.status_code < 500, (resp.status_code, resp.content[:300])
    else:
        assert resp.status_code == 403, (resp.status_code, resp.content[:300])
        assert resp["Content-Type"] == "application/problem+json" and resp.json()["status"] == 403


@pytest.mark.parametrize("role", Role.values)
@pytest.mark.parametrize(("method", "url", "perm", "body"), VIEW_ROUTES, ids=[f"{m} {u}" for m, u, _, _ in VIEW_ROUTES])
def test_view_role_matrix(client_for, ctx, role, method, url, perm, body):
    resp = _call(client_for(role), method, url, body, ctx, api=False)
    if role_has(role, perm):
        assert resp.status_code in (200, 302, 422), (resp.status_code, resp.content[:300])
    else:
        assert resp.status_code == 403


@pytest.mark.parametrize(("method", "url", "perm", "body"), API_ROUTES, ids=[u for _, u, _, _ in API_ROUTES])
def test_api_anonymous_gets_401(client, ctx, method, url, perm, body):
    assert getattr(client, method)(url.format(**ctx)).status_code == 401


@pytest.mark.parametrize(("method", "url", "perm", "body"), VIEW_ROUTES, ids=[u for _, u, _, _ in VIEW_ROUTES])
def test_view_anonymous_redirects_to_login(client, ctx, method, url, perm, body):
    resp = getattr(client, method)(url.format(**ctx))
    assert resp.status_code == 302 and resp["Location"].startswith("/login/")


def test_every_records_route_is_listed():
    names = {"{questionnaire}": "{questionnaire_id}", "{draft}": "{questionnaire_id}", "{response}": "{response_id}",
             "{completed}": "{response_id}", "page-phq-9": "{page}", "{packet}": "{packet_id}",
             "{patient}/intake": "{patient_id}/intake"}
    listed = set()
    for m, u, _, _ in API_ROUTES:
        path = u.split("?")[0]
        for short, long in names.items():
            path = path.replace(short, long)
        listed.add((m.upper(), path))
    routes = api_routes_tagged({"records"})
    assert routes and routes <= listed, routes - listed


def test_every_records_view_is_listed():
    import re

    from plexus.records.urls import urlpatterns

    listed = {re.sub(r"\{\w+\}", "{}", u.split("?")[0]) for _, u, _, _ in VIEW_ROUTES}
    listed |= set(PUBLIC_VIEWS)
    for p in urlpatterns:
        assert re.sub(r"<\w+:\w+>", "{}", f"/records/{p.pattern}") in listed, p.pattern
