"""Billing over HTTP: every endpoint and view, with the answers a person sees."""

from __future__ import annotations

import json

from django.core.files.uploadedfile import SimpleUploadedFile

from plexus.billing.models import CheckStatus, EligibilityCheck, UnmatchedResponse
from plexus.billing.services import x12_import
from plexus.billing.simulator import GENERAL_ONLY_BODY
from plexus.billing.tests.conftest import standards_answer
from plexus.core.models import AuditEvent


def _post_check(client, patient, **extra):
    body = {"patient_id": patient.pk, "coverage_id": patient.coverages.get().pk, "service_date": "2026-11-30",
            **extra}
    return client.post("/api/billing/eligibility/checks", data=json.dumps(body), content_type="application/json")


def _answered(client, patient, admin_actor, body=None):
    resp = _post_check(client, patient)
    check = EligibilityCheck.objects.get(pk=resp.json()["id"])
    x12_import(actor=admin_actor, text=standards_answer(check.request_x12, body))
    return check


def test_api_run_check_then_get_summary(patient, client_for, admin_actor):
    client = client_for("front_desk")
    resp = _post_check(client, patient)
    assert resp.status_code == 201
    body = resp.json()
    assert body["status"] == "sent" and body["payer_name"] == "Evergreen Health PPO"
    assert body["service_types"] == ["30", "33", "64", "BE", "MH", "98"] and body["benefits"] == []
    check = EligibilityCheck.objects.get(pk=body["id"])
    x12_import(actor=admin_actor, text=standards_answer(check.request_x12))
    detail = client.get(f"/api/billing/eligibility/checks/{check.pk}").json()
    assert detail["status"] == "answered" and detail["general_only"] == []
    acu = next(b for b in detail["benefits"] if b["service_type"] == "64")
    assert acu["coinsurance_percent"] == "20.00" and acu["visits_total"] == 12 and acu["status"] == "green"
    assert AuditEvent.objects.filter(object_type="patient.eligibility", patient_id=patient.pk).exists()


def test_api_general_only_is_flagged(patient, client_for, admin_actor):
    check = _answered(client_for("billing"), patient, admin_actor, GENERAL_ONLY_BODY)
    detail = client_for("billing").get(f"/api/billing/eligibility/checks/{check.pk}").json()
    assert detail["general_only"] == ["64", "BE"]


def test_api_validation_errors_are_problem_documents(patient, client_for):
    client = client_for("front_desk")
    resp = _post_check(client, patient, service_types=["BW"])
    assert resp.status_code == 422 and resp["Content-Type"] == "application/problem+json"
    assert resp.json()["errors"][0]["field"] == "service_types"
    resp = _post_check(client, patient, coverage_id=999999)
    assert resp.status_code == 422 and resp.json()["errors"][0]["field"] == "coverage_id"
    resp = client.post("/api/billing/eligibility/checks", data=json.dumps({"patient_id": 999999, "coverage_id": 1}),
                       content_type="application/json")
    assert resp.status_code == 404
    assert client.get("/api/billing/eligibility/checks/999999").status_code == 404
    assert not EligibilityCheck.objects.exists()


def test_api_list_filters_and_paginates(patient, client_for, admin_actor):
    client = client_for("virtual_assistant")
    for _ in range(3):
        _post_check(client, patient)
    _answered(client, patient, admin_actor)
    page = client.get("/api/billing/eligibility/checks?limit=2").json()
    assert page["count"] == 4 and len(page["items"]) == 2
    assert client.get("/api/billing/eligibility/checks?status=answered").json()["count"] == 1
    assert client.get(f"/api/billing/eligibility/checks?patient_id={patient.pk}&offset=3").json()["items"][0][
        "patient_name"] == "Maria Lopez"
    assert client.get("/api/billing/eligibility/checks?service_type=64").json()["count"] == 1


def test_api_upload_271_and_unmatched(patient, client_for):
    client = client_for("billing")
    check = EligibilityCheck.objects.get(pk=_post_check(client, patient).json()["id"])
    text = standards_answer(check.request_x12)
    resp = client.post("/api/billing/x12/import", {"file": SimpleUploadedFile("a.271", text.encode())})
    assert resp.status_code == 201 and resp.json()["counts"]["matched"] == 1
    stray = text.replace(check.trace_number, "STRAY1")
    resp = client.post("/api/billing/x12/import", {"file": SimpleUploadedFile("b.271", stray.encode())})
    assert resp.json()["counts"]["unmatched"] == 1
    page = client.get("/api/billing/eligibility/unmatched").json()
    assert page["count"] == 1 and page["items"][0]["trace_number"] == "STRAY1"
    assert page["items"][0]["source_name"] == "upload:b.271"
    bad = client.post("/api/billing/x12/import", {"file": SimpleUploadedFile("c.271", b"ISA*00*garbage~")})
    assert bad.status_code == 422 and bad.json()["errors"][0]["field"] == "file"
    assert UnmatchedResponse.objects.count() == 1


def test_view_eligibility_screen_runs_a_check(patient, client_for):
    client = client_for("front_desk")
    page = client.get("/billing/eligibility/")
    assert page.status_code == 200 and b"No checks yet" in page.content
    resp = client.post("/billing/eligibility/", {"chart_number": "p900001", "service_types": ["30", "64"],
                                                 "service_date": "2026-11-30"})
    assert resp.status_code == 200 and b"Sent, waiting for the answer" in resp.content
    assert EligibilityCheck.objects.get().service_types == ["30", "64"]
    resp = client.post("/billing/eligibility/", {"chart_number": "P123", "service_types": ["30"],
                                                 "service_date": "2026-11-30"})
    assert resp.status_code == 422 and b"No patient with this chart number" in resp.content
    resp = client.post("/billing/eligibility/", {"chart_number": "P900001", "service_types": ["30"],
                                                 "service_date": "2025-06-01"})
    assert resp.status_code == 422 and b"no coverage active" in resp.content
    assert EligibilityCheck.objects.count() == 1


def test_view_chart_panel_shows_lights_and_reasons(patient, client_for, admin_actor):
    client = client_for("billing")
    empty = client.get(f"/billing/eligibility/patients/{patient.pk}/")
    assert b"No eligibility answer yet" in empty.content
    check = _answered(client, patient, admin_actor)
    html = client.get(f"/billing/eligibility/patients/{patient.pk}/").content.decode()
    assert "Acupuncture: covered, 20% coinsurance, 12 visits per 90 days" in html
    assert "Massage: not covered — direct pay" in html and "benefit-red" in html and "benefit-green" in html
    assert "deductible $1,500 ($750 left)" in html and "style=" not in html
    detail = client.get(f"/billing/eligibility/{check.pk}/").content.decode()
    assert "EB*A*IND*64*****0.2****Y~" in detail and "EQ*64~" in detail
    tab = client.get(f"/patients/{patient.pk}/tab/billing/", HTTP_HX_REQUEST="true").content.decode()
    assert f'hx-get="/billing/eligibility/patients/{patient.pk}/"' in tab and 'hx-trigger="load"' in tab


def test_view_chart_panel_run_now_and_general_only(patient, client_for, admin_actor):
    client = client_for("front_desk")
    resp = client.post(f"/billing/eligibility/patients/{patient.pk}/")
    assert resp.status_code == 200 and EligibilityCheck.objects.get().status == CheckStatus.SENT
    check = EligibilityCheck.objects.get()
    x12_import(actor=admin_actor, text=standards_answer(check.request_x12, GENERAL_ONLY_BODY))
    html = client.get(f"/billing/eligibility/patients/{patient.pk}/").content.decode()
    assert "Payer answered for general coverage only for acupuncture, massage" in html
    assert client.get("/billing/eligibility/patients/999999/").status_code == 404
    assert client.get("/billing/eligibility/999999/").status_code == 404


def test_view_import_screen(patient, client_for, admin_actor):
    client = client_for("billing")
    check = EligibilityCheck.objects.get(pk=_post_check(client, patient).json()["id"])
    text = standards_answer(check.request_x12)
    resp = client.post("/billing/x12/import/", {"file": SimpleUploadedFile("a.271", text.encode())})
    assert resp.status_code == 200 and b"1 answers matched" in resp.content
    stray = text.replace(check.trace_number, "STRAY2")
    resp = client.post("/billing/x12/import/", {"file": SimpleUploadedFile("b.271", stray.encode())})
    assert b"STRAY2" in resp.content and b"No eligibility check with this trace number" in resp.content
    bad = client.post("/billing/x12/import/", {"file": SimpleUploadedFile("c.271", text[:-40].encode())})
    assert bad.status_code == 422 and b"Malformed X12, nothing was imported: segment" in bad.content
    assert client.get("/billing/x12/import/").status_code == 200


def test_nav_shows_eligibility_by_role(clinic, client_for):
    assert b'href="/billing/eligibility/"' in client_for("virtual_assistant").get("/patients/").content
    assert b'href="/billing/eligibility/"' not in client_for("practitioner").get("/patients/").content
