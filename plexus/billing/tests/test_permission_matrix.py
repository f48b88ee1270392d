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
]
VIEW_ROUTES = [
    ("get", "/billing/eligibility/", Perm.ELIGIBILITY_RUN, None),
    ("post", "/billing/eligibility/", Perm.ELIGIBILITY_RUN, {}),
    ("get", "/billing/eligibility/{check}/", Perm.ELIGIBILITY_RUN, None),
    ("get", "/billing/eligibility/patients/{patient}/", Perm.ELIGIBILITY_RUN, None),
    ("post", "/billing/eligibility/patients/{patient}/", Perm.ELIGIBILITY_RUN, {}),
    ("get", "/billing/x12/import/", Perm.BILLING_MANAGE, None),
    ("post", "/billing/x12/import/", Perm.BILLING_MANAGE, {}),
]


@pytest.fixture
def ctx(patient, users, admin_actor):
    from plexus.billing.services import eligibility_check_create
    from plexus.billing.tests.conftest import SERVICE_DATE

    check = eligibility_check_create(actor=admin_actor, patient=patient, coverage_id=patient.coverages.get().pk,
                                     service_types=["30"], service_date=SERVICE_DATE)
    return {"patient": patient.pk, "coverage": patient.coverages.get().pk, "check": check.pk}


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
    return client.post(url, body)


@pytest.mark.parametrize("role", Role.values)
@pytest.mark.parametrize(("method", "url", "perm", "body"), API_ROUTES, ids=[f"{m} {u}" for m, u, _, _ in API_ROUTES])
def test_api_role_matrix(client_for, ctx, role, method, url, perm, body):
    resp = _call(client_for(role), method, url, body, ctx, api=True)
    if role_has(role, perm):
        assert resp.status_code < 400, (resp.status_code, resp.content[:500])
    else:
        assert resp.status_code == 403, (resp.status_code, resp.content[:300])
        assert resp["Content-Type"] == "application/problem+json" and resp.json()["status"] == 403


@pytest.mark.parametrize("role", Role.values)
@pytest.mark.parametrize(("method", "url", "perm", "body"), VIEW_ROUTES, ids=[f"{m} {u}" for m, u, _, _ in VIEW_ROUTES])
def test_view_role_matrix(client_for, ctx, role, method, url, perm, body):
    resp = _call(client_for(role), method, url, body, ctx, api=False)
    if role_has(role, perm):
        assert resp.status_code in ((200, 302, 422) if method == "post" else (200, 302)), resp.status_code
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
    listed = {(m.upper(), u.replace("{check}", "{check_id}")) for m, u, _, _ in API_ROUTES}
    assert api_routes_tagged({"billing"}) == listed


def test_every_billing_view_is_listed():
    from plexus.billing.urls import urlpatterns

    listed = {u.split("/billing/")[1].replace("{check}", "<int:check_id>").replace("{patient}", "<int:patient_id>")
              for _, u, _, _ in VIEW_ROUTES}
    assert {str(p.pattern) for p in urlpatterns} == listed


def test_denied_role_is_audited(client_for, ctx):
    from plexus.core.models import AuditEvent

    client_for("practitioner").get(f"/billing/eligibility/patients/{ctx['patient']}/")
    assert AuditEvent.objects.filter(action="denied", role="practitioner").exists()
