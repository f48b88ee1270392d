"""Every role against every endpoint and view: allowed where the matrix grants the permission,
403 everywhere else; anonymous users get 401 (API) or a login redirect (UI)."""

from __future__ import annotations

import pytest

from plexus.core.models import Location, Role, User
from plexus.core.permissions import MATRIX, Perm, role_has
from plexus.testing.matrix import api_routes_tagged, send

# (method, url template, permission, JSON body or form data). {patient}, {location}, {token} are filled in.
API_ROUTES = [
    ("get", "/api/me", None, None),
    ("get", "/api/practice", Perm.PRACTICE_VIEW, None),
    ("put", "/api/practice", Perm.PRACTICE_MANAGE, "practice"),
    ("get", "/api/locations", Perm.PRACTICE_VIEW, None),
    ("post", "/api/locations", Perm.PRACTICE_MANAGE, "location"),
    ("get", "/api/rooms", Perm.PRACTICE_VIEW, None),
    ("post", "/api/rooms", Perm.PRACTICE_MANAGE, "room"),
    ("get", "/api/disciplines", Perm.PRACTICE_VIEW, None),
    ("post", "/api/disciplines", Perm.PRACTICE_MANAGE, "discipline"),
    ("get", "/api/practitioners", Perm.PRACTICE_VIEW, None),
    ("post", "/api/practitioners", Perm.PRACTICE_MANAGE, "practitioner"),
    ("get", "/api/services", Perm.PRACTICE_VIEW, None),
    ("post", "/api/services", Perm.PRACTICE_MANAGE, "service"),
    ("get", "/api/payers", Perm.PRACTICE_VIEW, None),
    ("post", "/api/payers", Perm.PRACTICE_MANAGE, "payer"),
    ("get", "/api/users", Perm.USERS_MANAGE, None),
    ("post", "/api/users", Perm.USERS_MANAGE, "user"),
    ("get", "/api/tokens", Perm.USERS_MANAGE, None),
    ("post", "/api/tokens", Perm.USERS_MANAGE, "token"),
    ("delete", "/api/tokens/{token}", Perm.USERS_MANAGE, None),
    ("get", "/api/audit", Perm.AUDIT_VIEW, None),
    ("get", "/api/patients?q=Lopez", Perm.PATIENT_VIEW, None),
    ("post", "/api/patients", Perm.PATIENT_EDIT, "patient"),
    ("get", "/api/patients/{patient}", Perm.PATIENT_VIEW, None),
    ("patch", "/api/patients/{patient}", Perm.PATIENT_EDIT, {"pronouns": "she/her"}),
    ("get", "/api/patients/{patient}/coverages", Perm.COVERAGE_VIEW, None),
    ("post", "/api/patients/{patient}/coverages", Perm.COVERAGE_EDIT, "coverage"),
    ("post", "/api/patients/{patient}/coverages/{coverage}/end", Perm.COVERAGE_EDIT, {"end_date": "2026-12-31"}),
    ("post", "/api/patients/import", Perm.PATIENT_IMPORT, "csv"),
]

VIEW_ROUTES = [
    ("get", "/", Perm.PATIENT_VIEW, None),
    ("get", "/patients/", Perm.PATIENT_VIEW, None),
    ("get", "/patients/?q=Lopez", Perm.PATIENT_VIEW, None),
    ("get", "/patients/{patient}/", Perm.PATIENT_VIEW, None),
    ("get", "/patients/{patient}/tab/overview/", Perm.PATIENT_VIEW, None),
    ("get", "/patients/new/", Perm.PATIENT_EDIT, None),
    ("get", "/patients/{patient}/edit/", Perm.PATIENT_EDIT, None),
    ("get", "/patients/{patient}/coverages/new/", Perm.COVERAGE_EDIT, None),
    ("get", "/patients/import/", Perm.PATIENT_IMPORT, None),
    ("get", "/setup/", Perm.PRACTICE_VIEW, None),
    ("get", "/setup/practitioners/", Perm.PRACTICE_VIEW, None),
    ("get", "/setup/practice/edit/", Perm.PRACTICE_MANAGE, None),
    ("get", "/setup/locations/new/", Perm.PRACTICE_MANAGE, None),
    ("get", "/setup/rooms/new/", Perm.PRACTICE_MANAGE, None),
    ("get", "/setup/payers/new/", Perm.PRACTICE_MANAGE, None),
    ("get", "/setup/practitioners/new/", Perm.PRACTICE_MANAGE, None),
    ("get", "/setup/services/new/", Perm.PRACTICE_MANAGE, None),
    ("get", "/setup/users/new/", Perm.USERS_MANAGE, None),
    ("get", "/audit/", Perm.AUDIT_VIEW, None),
    ("get", "/tokens/", Perm.USERS_MANAGE, None),
    ("post", "/tokens/{token}/revoke/", Perm.USERS_MANAGE, {}),
    ("post", "/patients/new/", Perm.PATIENT_EDIT, {}),
    ("post", "/patients/{patient}/edit/", Perm.PATIENT_EDIT, {}),
    ("post", "/patients/{patient}/coverages/new/", Perm.COVERAGE_EDIT, {}),
    ("post", "/patients/import/", Perm.PATIENT_IMPORT, {}),
    ("post", "/setup/practice/edit/", Perm.PRACTICE_MANAGE, {}),
    ("post", "/setup/locations/new/", Perm.PRACTICE_MANAGE, {}),
    ("post", "/setup/rooms/new/", Perm.PRACTICE_MANAGE, {}),
    ("post", "/setup/payers/new/", Perm.PRACTICE_MANAGE, {}),
    ("post", "/setup/practitioners/new/", Perm.PRACTICE_MANAGE, {}),
    ("post", "/setup/services/new/", Perm.PRACTICE_MANAGE, {}),
    ("post", "/setup/users/new/", Perm.USERS_MANAGE, {}),
    ("post", "/tokens/", Perm.USERS_MANAGE, {}),
]


def _bodies(ctx: dict, role: str) -> dict:
    n = abs(hash(role)) % 10_000
    return {
        "practice": {"legal_name": "Harmony", "tax_id": "93-1234567", "group_npi": "1234567893",
                     "address_line1": "1 Main", "city": "Portland", "state": "OR", "postal_code": "97204",
                     "phone": "5035550100"},
        "location": {"name": f"Annex {role}", "address_line1": "2 Main", "city": "Portland", "state": "OR",
                     "postal_code": "97204", "time_zone": "America/Los_Angeles"},
        "room": {"location_id": ctx["location"], "name": f"Room {role}", "room_type": "consult"},
        "discipline": {"code": f"d-{role}", "name": f"Discipline {role}"},
        "practitioner": {"first_name": "Test", "last_name": role, "discipline_id": ctx["md"], "credentials": "MD",
                         "npi": "1234567893", "taxonomy_code": "207Q00000X", "location_ids": [ctx["location"]]},
        "service": {"name": f"Service {role}", "duration_minutes": 30, "discipline_ids": [ctx["md"]],
                    "room_type": "consult", "procedure_code": "99213", "default_fee": "100.00",
                    "coverage_category": "insurance", "hsa_eligibility": "eligible"},
        "payer": {"name": f"Payer {role}", "payer_id": f"P{n}", "payer_type": "commercial"},
        "user": {"username": f"new_{role}", "role": "front_desk", "password": "a-long-password-1"},
        "token": {"name": "integration", "user_id": ctx["admin_id"]},
        "patient": {"legal_first_name": "New", "legal_last_name": role, "date_of_birth": "1990-01-01",
                    "sex_for_claims": "F"},
        "coverage": {"payer_id": ctx["payer"], "member_id": f"M{n}", "priority": 2, "effective_date": "2026-01-01"},
    }


@pytest.fixture
def ctx(clinic, users, patient):
    from plexus.core.models import Discipline, Payer
    from plexus.core.services import api_token_create

    token, _ = api_token_create(actor=__import__("plexus.core.audit", fromlist=["Actor"]).Actor(users["admin"]),
                                user=users["billing"], name="t")
    return {
        "patient": patient.pk, "coverage": patient.coverages.first().pk, "location": Location.objects.first().pk,
        "md": Discipline.objects.get(code="md").pk, "payer": Payer.objects.get(payer_id="SUMM2").pk,
        "token": token.pk, "admin_id": users["admin"].pk,
    }


def _call(client, method: str, url: str, body, role: str, ctx: dict, api: bool):
    url = url.format(**ctx)
    if body is None:
        return getattr(client, method)(url)
    if isinstance(body, str):
        body = _bodies(ctx, role)[body] if body != "csv" else None
    if body is None:  # CSV upload
        from django.core.files.uploadedfile import SimpleUploadedFile

        csv = f"legal_first_name,legal_last_name,date_of_birth,sex_for_claims\nAna,Import{role},1980-02-02,F\n"
        return client.post(url, {"file": SimpleUploadedFile("p.csv", csv.encode(), "text/csv")})
    return send(client, method, url, body, api=api)


@pytest.mark.parametrize("role", Role.values)
@pytest.mark.parametrize(("method", "url", "perm", "body"), API_ROUTES, ids=[f"{m} {u}" for m, u, _, _ in API_ROUTES])
def test_api_role_matrix(client_for, ctx, role, method, url, perm, body):
    resp = _call(client_for(role), method, url, body, role, ctx, api=True)
    allowed = perm is None or role_has(role, perm)
    if allowed:
        assert resp.status_code < 400, (resp.status_code, resp.content[:500])
    else:
        assert resp.status_code == 403, (resp.status_code, resp.content[:300])
        assert resp["Content-Type"] == "application/problem+json"
        assert resp.json()["status"] == 403


@pytest.mark.parametrize("role", Role.values)
@pytest.mark.parametrize(("method", "url", "perm", "body"), VIEW_ROUTES, ids=[f"{m} {u}" for m, u, _, _ in VIEW_ROUTES])
def test_view_role_matrix(client_for, ctx, role, method, url, perm, body):
    resp = _call(client_for(role), method, url, body, role, ctx, api=False)
    if role_has(role, perm):
        # An empty form posted by an allowed role is re-shown with its errors (422), never refused.
        assert resp.status_code in ((200, 302, 422) if method == "post" else (200, 302)), resp.status_code
    else:
        assert resp.status_code == 403


@pytest.mark.parametrize(("method", "url", "perm", "body"), API_ROUTES, ids=[f"{m} {u}" for m, u, _, _ in API_ROUTES])
def test_api_anonymous_gets_401(client, ctx, method, url, perm, body):
    resp = getattr(client, method)(url.format(**ctx))
    assert resp.status_code == 401
    assert resp.json()["title"] == "Authentication required"


@pytest.mark.parametrize(("method", "url", "perm", "body"), VIEW_ROUTES, ids=[f"{m} {u}" for m, u, _, _ in VIEW_ROUTES])
def test_view_anonymous_redirects_to_login(client, ctx, method, url, perm, body):
    resp = getattr(client, method)(url.format(**ctx))
    assert resp.status_code == 302 and resp["Location"].startswith("/login/")


OWN_TAGS = {"practice", "admin", "patients"}


def test_every_api_route_is_covered():
    """A new endpoint must be added to API_ROUTES (deny by default is only proven for listed routes)."""
    listed = {(m.upper(), u.split("?")[0].replace("{patient}", "{patient_id}").replace("{token}", "{token_id}")
               .replace("{coverage}", "{coverage_id}")) for m, u, _, _ in API_ROUTES}
    for method, path in api_routes_tagged(OWN_TAGS):  # other apps' routes: their own matrix tests
        assert (method, path) in listed, f"{method} {path} missing from API_ROUTES"


def test_virtual_assistant_cannot_see_clinical_content():
    assert not role_has(Role.VIRTUAL_ASSISTANT, Perm.CLINICAL_VIEW)
    assert role_has(Role.VIRTUAL_ASSISTANT, Perm.BALANCE_VIEW)
    assert role_has(Role.VIRTUAL_ASSISTANT, Perm.COVERAGE_VIEW)
    assert role_has(Role.VIRTUAL_ASSISTANT, Perm.SCHEDULE_VIEW)


def test_unknown_role_gets_nothing():
    assert all(not role_has("janitor", perm) for perm in MATRIX)
    assert not role_has("", Perm.PATIENT_VIEW)


def test_inactive_user_is_denied(db, users):
    from plexus.core.permissions import user_has

    user = User.objects.get(username="u_admin")
    user.is_active = False
    assert not user_has(user, Perm.PATIENT_VIEW)
