"""HTTP tests for the charges, claims, remittance and account endpoints and screens."""

from __future__ import annotations

import json
from decimal import Decimal

from django.core.files.uploadedfile import SimpleUploadedFile

from plexus.billing.claims import batch_build
from plexus.billing.models import Claim, ClaimStatus, Encounter, LedgerEntry
from plexus.billing.payer_sim import adjudicate
from plexus.billing.tests.test_claims import ACU, LBP, NOW, _claim_for, _coverage

JSON = "application/json"


def test_api_encounter_approve_batch_and_download(client_for, completed_visit):
    api = client_for("billing")
    appt = completed_visit(ACU, "Li", minutes=60)
    resp = api.post("/api/billing/encounters", json.dumps({
        "appointment_id": appt.pk, "diagnoses": ["M54.50"], "coverage_id": _coverage(appt.patient).pk}),
        content_type=JSON)
    assert resp.status_code == 201, resp.content
    enc = resp.json()
    assert [c["procedure_code"] for c in enc["charges"]] == ["97810", "97811"]
    assert api.get("/api/billing/charges/review").json()[0]["id"] == enc["id"]
    resp = api.post(f"/api/billing/encounters/{enc['id']}/approve")
    assert resp.status_code == 200 and resp.json()["status"] == "ready"
    claim_id = resp.json()["id"]
    resp = api.post("/api/billing/batches", json.dumps({}), content_type=JSON)
    assert resp.status_code == 201 and resp.json()["claim_count"] == 1
    batch_id = resp.json()["id"]
    resp = api.get(f"/api/billing/batches/{batch_id}/x12")
    assert resp.status_code == 200 and resp.content.startswith(b"ISA*") and b"CLM*PLX" in resp.content
    detail = api.get(f"/api/billing/claims/{claim_id}").json()
    assert detail["status"] == "submitted" and "CLM*" in detail["x12"] and detail["events"]
    page = api.get("/api/billing/claims?status=submitted").json()
    assert page["count"] == 1 and page["items"][0]["id"] == claim_id
    assert api.get("/api/billing/batches").json()["count"] == 1
    assert api.get(f"/api/billing/batches/{batch_id}").json()["exported_at"]


def test_api_bad_encounter_is_a_problem_document_naming_the_field(client_for, completed_visit):
    appt = completed_visit(ACU, "Li")
    resp = client_for("billing").post("/api/billing/encounters", json.dumps({
        "appointment_id": appt.pk, "diagnoses": ["NOTACODE1"]}), content_type=JSON)
    assert resp.status_code == 422 and resp["Content-Type"] == "application/problem+json"
    assert resp.json()["errors"][0]["field"] == "diagnoses[0]"
    assert not Encounter.objects.exists()


def test_api_remittance_ledger_denials_aging(client_for, billing_actor, completed_visit):
    claim = _claim_for(billing_actor, completed_visit)
    batch = batch_build(actor=billing_actor)
    answers = adjudicate(batch.x12, created=NOW, control_number=3)
    api = client_for("billing")
    resp = api.post("/api/billing/x12/import", {"file": SimpleUploadedFile("era.835", answers.remit_835.encode())})
    assert resp.status_code == 201, resp.content
    assert resp.json()["kind"] == "835" and resp.json()["counts"]["matched"] == 1
    ledger = api.get(f"/api/billing/patients/{claim.patient_id}/ledger").json()
    assert Decimal(ledger["patient_due"]) == Decimal("36.00") and Decimal(ledger["insurance_pending"]) == 0
    resp = api.post(f"/api/billing/patients/{claim.patient_id}/payments", json.dumps(
        {"amount": "36.00", "method": "card_external", "reference": "T-991"}), content_type=JSON)
    assert resp.status_code == 201
    assert Decimal(api.get(f"/api/billing/patients/{claim.patient_id}/ledger").json()["patient_due"]) == 0
    resp = api.post(f"/api/billing/patients/{claim.patient_id}/payments", json.dumps(
        {"amount": "0", "method": "bitcoin", "reference": "x"}), content_type=JSON)
    assert resp.status_code == 422 and {e["field"] for e in resp.json()["errors"]} == {"amount", "method"}
    assert api.get("/api/billing/denials").json()["count"] == 0
    assert api.get("/api/billing/remittances/unmatched").json()["count"] == 0
    rows = api.get("/api/billing/ar-aging?as_of=2026-11-27").json()
    assert {r["account"] for r in rows} == {"insurance", "patient"}


def test_api_transition_and_scrub(client_for, billing_actor, completed_visit):
    claim = _claim_for(billing_actor, completed_visit)
    api = client_for("billing")
    resp = api.post(f"/api/billing/claims/{claim.pk}/transition", json.dumps({"to": "closed"}), content_type=JSON)
    assert resp.status_code == 409 and resp.json()["errors"][0]["field"] == "status"
    assert api.post(f"/api/billing/claims/{claim.pk}/scrub").json()["status"] == "ready"


def test_charge_review_screen_approve_with_htmx(client_for, billing_actor, completed_visit):
    from plexus.billing.charges import EncounterInput, encounter_record

    appt = completed_visit(ACU, "Li", minutes=45)
    enc = encounter_record(actor=billing_actor, data=EncounterInput(appt.pk, LBP, _coverage(appt.patient).pk))
    completed_visit(ACU, "Li", hour=14)  # a visit still to code
    client = client_for("billing")
    page = client.get("/billing/charges/")
    assert page.status_code == 200 and b"Approve charges" in page.content and b"Record encounter" in page.content
    resp = client.post(f"/billing/encounters/{enc.pk}/approve/", HTTP_HX_REQUEST="true")
    assert resp.status_code == 200 and b"is ready" in resp.content
    resp = client.post(f"/billing/encounters/{enc.pk}/approve/", HTTP_HX_REQUEST="true")
    assert resp.status_code == 409


def test_encounter_form_screen(client_for, completed_visit):
    appt = completed_visit(ACU, "Li", minutes=30)
    client = client_for("billing")
    assert client.get(f"/billing/encounters/new/{appt.pk}/").status_code == 200
    bad = client.post(f"/billing/encounters/new/{appt.pk}/", {"diagnoses": "XYZ", "minutes": 30,
                                                               "place_of_service": "11", "coverage": ""})
    assert bad.status_code == 422 and b"ICD-10" in bad.content and not Encounter.objects.exists()
    ok = client.post(f"/billing/encounters/new/{appt.pk}/", {"diagnoses": "M54.50, G89.29", "minutes": 30,
                                                              "place_of_service": "11",
                                                              "coverage": _coverage(appt.patient).pk,
                                                              "improving": "unknown"})
    assert ok.status_code == 302 and Encounter.objects.get().diagnoses == ["M5450", "G8929"]
    assert client.get("/billing/encounters/new/999999/").status_code == 404


def test_claims_screens_build_batch_detail_and_download(client_for, billing_actor, completed_visit):
    claim = _claim_for(billing_actor, completed_visit)
    client = client_for("billing")
    page = client.get("/billing/claims/?status=ready")
    assert page.status_code == 200 and claim.patient_control_number.encode() in page.content
    resp = client.post("/billing/claims/")
    assert resp.status_code == 302
    batch_url = resp["Location"]
    detail = client.get(batch_url)
    assert detail.status_code == 200 and b"CLM*" in detail.content
    download = client.get(batch_url + "?download=1")
    assert download["Content-Disposition"].startswith("attachment") and download.content.startswith(b"ISA*")
    assert client.post("/billing/claims/").status_code == 409  # nothing ready any more
    page = client.get(f"/billing/claims/{claim.pk}/")
    assert page.status_code == 200 and b"Submitted" in page.content and b"CLM*" in page.content
    assert client.get("/billing/claims/999999/").status_code == 404


def test_claim_detail_transition_errors_change_nothing(client_for, billing_actor, completed_visit):
    claim = _claim_for(billing_actor, completed_visit)
    client = client_for("billing")
    resp = client.post(f"/billing/claims/{claim.pk}/", {"to": "appealed"})
    assert resp.status_code == 409 and Claim.objects.get(pk=claim.pk).status == ClaimStatus.READY
    assert client.post(f"/billing/claims/{claim.pk}/", {"to": "scrub"}).status_code == 302


def test_denials_aging_and_account_screens(client_for, billing_actor, completed_visit):
    claim = _claim_for(billing_actor, completed_visit)
    client = client_for("billing")
    assert client.get("/billing/denials/").status_code == 200
    aging = client.get("/billing/aging/")
    assert aging.status_code == 200 and b"225.00" in aging.content
    panel = client.get(f"/billing/patients/{claim.patient_id}/account/")
    assert panel.status_code == 200 and b"Insurance pending" in panel.content and b"225.00" in panel.content
    bad = client.post(f"/billing/patients/{claim.patient_id}/account/", {"amount": "5", "method": "cash",
                                                                         "reference": ""})
    assert bad.status_code == 422 and LedgerEntry.objects.filter(kind="patient_payment").count() == 0
    ok = client.post(f"/billing/patients/{claim.patient_id}/account/", {"amount": "5", "method": "cash",
                                                                        "reference": "R1"})
    assert ok.status_code == 200 and LedgerEntry.objects.filter(kind="patient_payment").count() == 1
    front = client_for("front_desk")
    assert front.get(f"/billing/patients/{claim.patient_id}/account/").status_code == 200
    assert front.post(f"/billing/patients/{claim.patient_id}/account/", {"amount": "5", "method": "cash",
                                                                         "reference": "R2"}).status_code == 403


def test_unmatched_835_resolved_on_the_screen_and_by_api(client_for, billing_actor, completed_visit):
    from plexus.billing.models import RemittanceClaim
    from plexus.billing.services import x12_import

    claim = _claim_for(billing_actor, completed_visit)
    batch = batch_build(actor=billing_actor)
    text = adjudicate(batch.x12, created=NOW, control_number=5).remit_835.replace(
        f"CLP*{claim.patient_control_number}*", "CLP*TYPO1*")
    x12_import(actor=billing_actor, text=text, source_name="era.835")
    rc = RemittanceClaim.objects.get()
    client = client_for("billing")
    page = client.get("/billing/denials/")
    assert b"TYPO1" in page.content
    bad = client.post("/billing/denials/", {"remittance_claim": rc.pk, "action": "match",
                                            "patient_control_number": "NOPE"})
    assert bad.status_code == 422 and b"No submitted claim" in bad.content
    api = client.post(f"/api/billing/remittances/unmatched/{rc.pk}/match",
                      json.dumps({"patient_control_number": claim.patient_control_number}), content_type=JSON)
    assert api.status_code == 200 and api.json()["claim_id"] == claim.pk
    assert client.post(f"/api/billing/remittances/unmatched/{rc.pk}/dismiss", json.dumps({"note": "x"}),
                       content_type=JSON).status_code == 404
    assert Claim.objects.get(pk=claim.pk).status == ClaimStatus.PAID


def test_payments_report_and_aging_drill_down(client_for, billing_actor, completed_visit):
    from plexus.billing import ledger as ledger_services

    claim = _claim_for(billing_actor, completed_visit)
    batch = batch_build(actor=billing_actor)
    from plexus.billing.services import x12_import

    x12_import(actor=billing_actor, text=adjudicate(batch.x12, created=NOW, control_number=6).remit_835,
               source_name="era.835")
    ledger_services.patient_payment_record(actor=billing_actor, patient_id=claim.patient_id, amount=Decimal("20.00"),
                                           method="cash", reference="C-5")
    client = client_for("billing")
    page = client.get("/billing/payments/?start=2026-11-01&end=2026-11-30")
    assert page.status_code == 200
    assert b"835 / EFT" in page.content and b"$144.00" in page.content and b"$164.00" in page.content
    drill = client.get("/billing/aging/?account=patient&bucket=b0_30")
    assert drill.status_code == 200 and b"Maria Lopez" in drill.content and b"$16.00" in drill.content
    assert client_for("front_desk").get("/billing/payments/").status_code == 403
