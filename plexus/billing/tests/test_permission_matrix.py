"""Every billing route for every role: allowed -> not 403, denied -> 403 (problem document for the
API); anonymous -> 401 or the login page. Follows plexus/core/tests/test_permission_matrix.py."""

from __future__ import annotations

import json

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from plexus.billing.models import EligibilityCheck
from plexus.core.models import Role
from plexus.core.permissions import Perm, role_has
from plexus.testing.matrix import api_routes_tagged

API_ROUTES = [
    ("post", "/api/billing/eligibility/checks", Perm.ELIGIBILITY_RUN, "check"),
    ("get", "/api/billing/eligibility/checks", Perm.ELIGIBILITY_RUN, None),
    ("get", "/api/billing/eligibility/checks/{check}", Perm.ELIGIBILITY_RUN, None),
    ("get", "/api/billing/eligibility/unmatched", Perm.BILLING_MANAGE, None),
    ("post", "/api/billing/x12/import", Perm.BILLING_MANAGE, "file"),
    ("get", "/api/billing/charges/review", Perm.BILLING_MANAGE, None),
    ("post", "/api/billing/encounters", Perm.BILLING_MANAGE, "encounter"),
    ("post", "/api/billing/encounters/{encounter}/approve", Perm.BILLING_MANAGE, {}),
    ("post", "/api/billing/charges/{charge}/void", Perm.BILLING_MANAGE, {"reason": "coded in error"}),
    ("get", "/api/billing/claims", Perm.BILLING_MANAGE, None),
    ("get", "/api/billing/claims/{claim}", Perm.BILLING_MANAGE, None),
    ("post", "/api/billing/claims/{claim}/scrub", Perm.BILLING_MANAGE, {}),
    ("post", "/api/billing/claims/{claim}/transition", Perm.BILLING_MANAGE, {"to": "closed"}),
    ("post", "/api/billing/batches", Perm.BILLING_MANAGE, {}),
    ("get", "/api/billing/batches", Perm.BILLING_MANAGE, None),
    ("get", "/api/billing/batches/{batch}", Perm.BILLING_MANAGE, None),
    ("get", "/api/billing/batches/{batch}/x12", Perm.BILLING_MANAGE, None),
    ("get", "/api/billing/remittances/unmatched", Perm.BILLING_MANAGE, None),
    ("get", "/api/billing/denials", Perm.BILLING_MANAGE, None),
    ("get", "/api/billing/patients/{patient}/ledger", Perm.BALANCE_VIEW, None),
    ("post", "/api/billing/patients/{patient}/payments", Perm.BILLING_MANAGE,
     {"amount": "5.00", "method": "cash", "reference": "R-1"}),
    ("get", "/api/billing/ar-aging", Perm.BILLING_MANAGE, None),
    ("get", "/api/billing/blocks/{block}/coverage", Perm.ELIGIBILITY_RUN, None),
    ("get", "/api/billing/eligibility/day?location_id={location}", Perm.ELIGIBILITY_RUN, None),
    ("post", "/api/billing/waivers", Perm.ELIGIBILITY_RUN, "waiver"),
    ("post", "/api/billing/remittances/unmatched/{rc}/match", Perm.BILLING_MANAGE, {"patient_control_number": "X"}),
    ("post", "/api/billing/remittances/unmatched/{rc}/dismiss", Perm.BILLING_MANAGE, {"note": "not ours"}),
    ("post", "/api/billing/patients/{patient}/invoices", Perm.BALANCE_VIEW,
     {"products": [{"description": "Omega-3", "unit_price": "30.00"}]}),
    ("get", "/api/billing/invoices/{invoice}", Perm.BALANCE_VIEW, None),
    ("post", "/api/billing/invoices/{invoice}/issue", Perm.BALANCE_VIEW, {}),
    ("post", "/api/billing/invoices/{invoice}/payments", Perm.BALANCE_VIEW,
     {"amount": "1.00", "method": "cash", "reference": "M-1"}),
    ("post", "/api/billing/invoices/{invoice}/void", Perm.BILLING_MANAGE, {"reason": "entered twice"}),
    ("post", "/api/billing/invoices/{invoice}/refunds", Perm.BILLING_MANAGE,
     {"amount": "1.00", "method": "cash", "reference": "RF-1", "reason": "not given"}),
    ("get", "/api/billing/invoices/{invoice}/pdf", Perm.BALANCE_VIEW, None),
    ("post", "/api/billing/patients/{patient}/letters", Perm.BALANCE_VIEW, "letter"),
    ("get", "/api/billing/patients/{patient}/superbill", Perm.BALANCE_VIEW, None),
    ("get", "/api/billing/package-plans", Perm.BALANCE_VIEW, None),
    ("get", "/api/billing/patients/{patient}/packages", Perm.BALANCE_VIEW, None),
    ("post", "/api/billing/patients/{patient}/packages", Perm.BALANCE_VIEW, "plan"),
    ("post", "/api/billing/packages/{purchase}/draw", Perm.BALANCE_VIEW, {"charge_id": 0}),
    ("post", "/api/billing/packages/{purchase}/refund", Perm.BALANCE_VIEW, {"reference": "R-1"}),
    ("post", "/api/billing/packages/{purchase}/membership", Perm.BALANCE_VIEW, {"action": "cancel"}),
    ("get", "/api/billing/patients/{patient}/statement", Perm.BALANCE_VIEW, None),
]
VIEW_ROUTES = [
    ("get", "/billing/eligibility/", Perm.ELIGIBILITY_RUN, None),
    ("post", "/billing/eligibility/", Perm.ELIGIBILITY_RUN, {}),
    ("get", "/billing/eligibility/{check}/", Perm.ELIGIBILITY_RUN, None),
    ("get", "/billing/eligibility/patients/{patient}/", Perm.ELIGIBILITY_RUN, None),
    ("post", "/billing/eligibility/patients/{patient}/", Perm.ELIGIBILITY_RUN, {}),
    ("get", "/billing/x12/import/", Perm.BILLING_MANAGE, None),
    ("post", "/billing/x12/import/", Perm.BILLING_MANAGE, {}),
    ("post", "/billing/eligibility/upcoming/", Perm.ELIGIBILITY_RUN, {}),
    ("get", "/billing/charges/", Perm.BILLING_MANAGE, None),
    ("get", "/billing/encounters/new/{appointment}/", Perm.BILLING_MANAGE, None),
    ("post", "/billing/encounters/new/{appointment}/", Perm.BILLING_MANAGE, {}),
    ("post", "/billing/encounters/{encounter}/approve/", Perm.BILLING_MANAGE, {}),
    ("get", "/billing/claims/", Perm.BILLING_MANAGE, None),
    ("post", "/billing/claims/", Perm.BILLING_MANAGE, {}),
    ("get", "/billing/claims/{claim}/", Perm.BILLING_MANAGE, None),
    ("post", "/billing/claims/{claim}/", Perm.BILLING_MANAGE, {"to": "scrub"}),
    ("get", "/billing/batches/{batch}/", Perm.BILLING_MANAGE, None),
    ("get", "/billing/denials/", Perm.BILLING_MANAGE, None),
    ("post", "/billing/denials/", Perm.BILLING_MANAGE, {}),
    ("get", "/billing/aging/", Perm.BILLING_MANAGE, None),
    ("get", "/billing/payments/", Perm.BILLING_MANAGE, None),
    ("get", "/billing/patients/{patient}/account/", Perm.BALANCE_VIEW, None),
    ("get", "/billing/eligibility/day/", Perm.ELIGIBILITY_RUN, None),
    ("get", "/billing/blocks/{block}/coverage/", Perm.ELIGIBILITY_RUN, None),
    ("post", "/billing/blocks/{block}/coverage/", Perm.ELIGIBILITY_RUN, {}),
    ("post", "/billing/patients/{patient}/invoices/new/", Perm.BALANCE_VIEW, {"description": "Omega-3",
                                                                             "unit_price": "30", "quantity": "1",
                                                                             "tax_rate": "0",
                                                                             "hsa_eligibility": "eligible"}),
    ("get", "/billing/invoices/{invoice}/", Perm.BALANCE_VIEW, None),
    ("post", "/billing/invoices/{invoice}/", Perm.BALANCE_VIEW, {"action": "issue"}),
    ("post", "/billing/patients/{patient}/letters/new/", Perm.BALANCE_VIEW, {}),
    ("get", "/billing/patients/{patient}/superbill/", Perm.BALANCE_VIEW, None),
    ("post", "/billing/patients/{patient}/packages/", Perm.BALANCE_VIEW, {"action": "buy", "plan_id": "0"}),
    ("get", "/billing/patients/{patient}/statement/", Perm.BALANCE_VIEW, None),
    ("get", "/billing/checkout/{block}/", Perm.BALANCE_VIEW, None),
    ("post", "/billing/checkout/{block}/", Perm.BALANCE_VIEW, {"method": "cash", "reference": "R-9"}),
]


@pytest.fixture
def ctx(patient, users, admin_actor, completed_visit):
    from plexus.billing.charges import EncounterInput, encounter_approve, encounter_record
    from plexus.billing.claims import batch_build
    from plexus.billing.services import eligibility_check_create
    from plexus.billing.tests.conftest import SERVICE_DATE

    cov = patient.coverages.get().pk
    check = eligibility_check_create(actor=admin_actor, patient=patient, coverage_id=cov,
                                     service_types=["30"], service_date=SERVICE_DATE)
    acu = "Acupuncture, initial 15 min (97810)"
    billed = encounter_record(actor=admin_actor, data=EncounterInput(completed_visit(acu, "Li").pk, ("M54.50",), cov))
    claim = encounter_approve(actor=admin_actor, encounter=billed)
    batch = batch_build(actor=admin_actor)
    claim2 = encounter_approve(actor=admin_actor, encounter=encounter_record(
        actor=admin_actor, data=EncounterInput(completed_visit(acu, "Li", hour=11).pk, ("M54.50",), cov)))
    pending = encounter_record(actor=admin_actor, data=EncounterInput(completed_visit(acu, "Li", hour=13).pk,
                                                                     ("M54.50",), cov))
    return {"patient": patient.pk, "coverage": cov, "check": check.pk, "claim": claim2.pk or claim.pk,
            "batch": batch.pk, "encounter": pending.pk, "charge": pending.charges.first().pk,
            "appointment": completed_visit(acu, "Li", hour=15).pk,
            "block": pending.appointment.block_id, "location": pending.appointment.location_id, "rc": _stray(batch),
            "invoice": _draft_invoice(patient, admin_actor), "purchase": _purchase(patient, admin_actor)}


def _purchase(patient, actor) -> int:
    from plexus.billing.demo_claims import ensure_plans
    from plexus.billing.models import PackagePlan
    from plexus.billing.packages import purchase

    ensure_plans()
    return purchase(actor=actor, patient=patient, plan=PackagePlan.objects.get(name="5 massages (60 min)")).pk


def _draft_invoice(patient, actor) -> int:
    from decimal import Decimal

    from plexus.billing.invoices import ProductLine, invoice_create

    return invoice_create(actor=actor, patient=patient, products=[ProductLine("Omega-3", Decimal("30.00"))]).pk


def _stray(batch) -> int:
    """An unmatched 835 claim payment (its CLP01 names no claim of ours)."""
    from datetime import datetime

    from plexus.billing.models import RemittanceClaim
    from plexus.billing.payer_sim import adjudicate
    from plexus.billing.services import x12_import
    from plexus.core.audit import Actor

    text = adjudicate(batch.x12, created=datetime(2026, 11, 27, 12), control_number=77).remit_835
    x12_import(actor=Actor.system(), text=text.replace("CLP*PLX", "CLP*ZZZ"), source_name="stray.835")
    return RemittanceClaim.objects.get(claim__isnull=True).pk


def _call(client, method, url, body, ctx, api):
    url = url.format(**ctx)
    if body is None:
        return getattr(client, method)(url)
    if body == "check":
        data = {"patient_id": ctx["patient"], "coverage_id": ctx["coverage"], "service_date": "2026-11-30"}
        return client.post(url, data=json.dumps(data), content_type="application/json")
    if body == "file":
        check = EligibilityCheck.objects.get(pk=ctx["check"])
        from plexus.billing.tests.conftest import standards_answer

        if not check.request_x12:  # an allowed role's file must be a real answer
            from plexus.billing.services import eligibility_checks_send
            from plexus.core.audit import Actor

            check = eligibility_checks_send(actor=Actor.system(), checks=[check])[0]
        return client.post(url, {"file": SimpleUploadedFile("a.271", standards_answer(check.request_x12).encode())})
    if body == "waiver":
        data = {"appointment_id": ctx["appointment"], "reason": "limit", "estimated_cost": "10.00",
                "signed_name": "Maria Lopez"}
        return client.post(url, data=json.dumps(data), content_type="application/json")
    if body == "plan":
        from plexus.billing.models import PackagePlan

        data = {"plan_id": PackagePlan.objects.first().pk}
        return client.post(url, data=json.dumps(data), content_type="application/json")
    if body == "letter":
        from plexus.core.models import Practitioner

        data = {"practitioner_id": Practitioner.objects.get(last_name="Chen").pk, "diagnoses": ["M54.50"],
                "procedure_codes": ["97124"], "frequency": "weekly", "valid_from": "2026-11-01",
                "valid_to": "2027-01-31"}
        return client.post(url, data=json.dumps(data), content_type="application/json")
    if body == "encounter":
        data = {"appointment_id": ctx["appointment"], "diagnoses": ["M54.50"], "coverage_id": ctx["coverage"]}
        return client.post(url, data=json.dumps(data), content_type="application/json")
    if api:
        return client.post(url, data=json.dumps(body), content_type="application/json")
    return client.post(url, body)


@pytest.mark.parametrize("role", Role.values)
@pytest.mark.parametrize(("method", "url", "perm", "body"), API_ROUTES, ids=[f"{m} {u}" for m, u, _, _ in API_ROUTES])
def test_api_role_matrix(client_for, ctx, role, method, url, perm, body):
    resp = _call(client_for(role), method, url, body, ctx, api=True)
    if role_has(role, perm) and method == "post":  # allowed: whatever the business answer, never 401/403
        assert resp.status_code not in (401, 403, 404, 500), (resp.status_code, resp.content[:500])
    elif role_has(role, perm):
        assert resp.status_code < 400, (resp.status_code, resp.content[:500])
    else:
        assert resp.status_code == 403, (resp.status_code, resp.content[:300])
        assert resp["Content-Type"] == "application/problem+json" and resp.json()["status"] == 403


@pytest.mark.parametrize("role", Role.values)
@pytest.mark.parametrize(("method", "url", "perm", "body"), VIEW_ROUTES, ids=[f"{m} {u}" for m, u, _, _ in VIEW_ROUTES])
def test_view_role_matrix(client_for, ctx, role, method, url, perm, body):
    resp = _call(client_for(role), method, url, body, ctx, api=False)
    if role_has(role, perm):
        assert resp.status_code in ((200, 302, 409, 422) if method == "post" else (200, 302)), resp.status_code
    else:
        assert resp.status_code == 403


@pytest.mark.parametrize(("method", "url", "perm", "body"), API_ROUTES, ids=[f"{m} {u}" for m, u, _, _ in API_ROUTES])
def test_api_anonymous_gets_401(client, ctx, method, url, perm, body):
    resp = getattr(client, method)(url.format(**ctx))
    assert resp.status_code == 401


@pytest.mark.parametrize(("method", "url", "perm", "body"), VIEW_ROUTES, ids=[f"{m} {u}" for m, u, _, _ in VIEW_ROUTES])
def test_view_anonymous_redirects_to_login(client, ctx, method, url, perm, body):
    resp = getattr(client, method)(url.format(**ctx))
    assert resp.status_code == 302 and resp["Location"].startswith("/login/")


def test_every_billing_api_route_is_listed():
    names = {"{check}": "{check_id}", "{encounter}": "{encounter_id}", "{charge}": "{charge_id}",
             "{claim}": "{claim_id}", "{batch}": "{batch_id}", "{patient}": "{patient_id}", "{block}": "{block_id}",
             "?location_id={location}": "", "{rc}": "{rc_id}",
             "{invoice}": "{invoice_id}", "{purchase}": "{purchase_id}"}
    listed = set()
    for m, u, _, _ in API_ROUTES:
        for k, v in names.items():
            u = u.replace(k, v)
        listed.add((m.upper(), u))
    assert api_routes_tagged({"billing"}) == listed


def test_every_billing_view_is_listed():
    from plexus.billing.urls import urlpatterns

    names = {"{check}": "<int:check_id>", "{patient}": "<int:patient_id>", "{claim}": "<int:claim_id>",
             "{batch}": "<int:batch_id>", "{encounter}": "<int:encounter_id>", "{appointment}": "<int:appointment_id>",
             "{block}": "<int:block_id>", "{invoice}": "<int:invoice_id>"}
    listed = set()
    for _, u, _, _ in VIEW_ROUTES:
        u = u.split("/billing/")[1]
        for k, v in names.items():
            u = u.replace(k, v)
        listed.add(u)
    listed.add("pay/<str:token>/")  # the patient's pay-by-link page: public and signed (test_paylink.py)
    assert {str(p.pattern) for p in urlpatterns} == listed


def test_denied_role_is_audited(client_for, ctx):
    from plexus.core.models import AuditEvent

    client_for("practitioner").get(f"/billing/eligibility/patients/{ctx['patient']}/")
    assert AuditEvent.objects.filter(action="denied", role="practitioner").exists()
