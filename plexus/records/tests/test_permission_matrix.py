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
]


@pytest.fixture
def ctx(admin_actor, forms, patient):
    import json

    draft = services.questionnaire_import_fhir(actor=admin_actor, data=json.loads(EXAMPLE))
    r = services.response_start(actor=admin_actor, patient=patient, questionnaire=forms["phq-9"])
    done = services.response_start(actor=admin_actor, patient=patient, questionnaire=forms["phq-9"])
    done = services.response_save_page(actor=admin_actor, response=done, page="page-phq-9", answers=phq([1] * 9))
    services.response_complete(actor=admin_actor, response=done)
    from plexus.records import fhir
    from plexus.records.selectors import form_of

    qr = json.dumps(fhir.response_export(form_of(forms["phq-9"]), done))
    return {"qr": qr, "questionnaire": forms["gad-7"].pk, "draft": draft.pk, "patient": patient.pk, "response": r.pk,
            "completed": done.pk, "phq9": forms["phq-9"].pk}


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
             "{completed}": "{response_id}", "page-phq-9": "{page}"}
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
    for p in urlpatterns:
        assert re.sub(r"<\w+:\w+>", "{}", f"/records/{p.pattern}") in listed, p.pattern
