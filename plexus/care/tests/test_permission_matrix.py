"""Every care route against every role: allowed where the matrix grants the permission, 403 (a
problem document for the API, the "not allowed" page for screens) everywhere else. The
practitioner test user is Li Wei, on Maria's care team, so allowed calls are really allowed."""

from __future__ import annotations

from datetime import UTC, datetime, time

import pytest

from plexus.care import checkins, updates
from plexus.care import team as team_services
from plexus.care.models import ConsultKind, ConsultNote, EventType, TeamRole
from plexus.core.audit import Actor
from plexus.core.models import Practitioner, Role
from plexus.core.permissions import Perm, role_has
from plexus.scheduling.models import WorkingHours
from plexus.testing.matrix import api_routes_tagged, send

API_ROUTES = [
    ("get", "/api/care/patients/{patient}/team", Perm.CARE_VIEW, None),
    ("post", "/api/care/patients/{patient}/team", Perm.CARE_TEAM_EDIT, "member"),
    ("delete", "/api/care/patients/{patient}/team/{feld}", Perm.CARE_TEAM_EDIT, None),
    ("get", "/api/care/patients/{patient}/plan", Perm.CARE_VIEW, None),
    ("post", "/api/care/patients/{patient}/plan", Perm.CARE_UPDATE,
     {"goals": [{"discipline": "lac", "goal": "Sleep", "interventions": []}]}),
    ("get", "/api/care/patients/{patient}/updates", Perm.CARE_VIEW, None),
    ("post", "/api/care/patients/{patient}/updates", Perm.CARE_UPDATE,
     {"event_type": "red_flag", "summary": "Dizzy after session"}),
    ("get", "/api/care/updates/{update}", Perm.CARE_VIEW, None),
    ("patch", "/api/care/updates/{own_update}", Perm.CARE_UPDATE, {"summary": "fixed"}),
    ("post", "/api/care/updates/{update}/corrections", Perm.CARE_UPDATE, {"summary": "corrected"}),
    ("post", "/api/care/updates/{ack_update}/acknowledge", Perm.CARE_UPDATE, {"reply": "ok"}),
    ("get", "/api/care/inbox", Perm.CARE_UPDATE, None),
    ("get", "/api/care/escalations", Perm.CARE_VIEW, None),
    ("get", "/api/care/rules", Perm.CARE_VIEW, None),
    ("put", "/api/care/rules/allergy", Perm.CARE_MANAGE, {"disciplines": ["*"], "urgency": "routine"}),
    ("get", "/api/care/settings", Perm.CARE_VIEW, None),
    ("put", "/api/care/settings", Perm.CARE_MANAGE, {"urgent_ack_hours": 4, "routine_ack_business_days": 2}),
    ("get", "/api/care/patients/{patient}/consults", Perm.CARE_VIEW, None),
    ("post", "/api/care/patients/{patient}/consults", Perm.CONSULT_LOG, "consult"),
    ("post", "/api/care/consults/{note}/review", Perm.CARE_UPDATE, None),
    ("post", "/api/care/checkins/search", Perm.CARE_TEAM_EDIT, "search"),
    ("post", "/api/care/checkins", Perm.CARE_TEAM_EDIT, "checkin"),
    ("get", "/api/care/checkins", Perm.CARE_VIEW, None),
    ("get", "/api/care/checkins/{checkin}", Perm.CARE_VIEW, None),
    ("post", "/api/care/checkins/{checkin}/cancel", Perm.CARE_TEAM_EDIT, {}),
    ("post", "/api/care/checkins/{checkin}/minutes", Perm.CARE_UPDATE, {"minutes": "Met."}),
    ("get", "/api/care/measures", Perm.CARE_VIEW, None),
    ("get", "/api/care/patients/{patient}/fhir", Perm.CARE_UPDATE, None),
]

VIEW_ROUTES = [
    ("get", "/care/inbox/", Perm.CARE_UPDATE, None),
    ("get", "/care/my-day/", Perm.CARE_UPDATE, None),
    ("get", "/care/escalations/", Perm.CARE_VIEW, None),
    ("get", "/care/rules/", Perm.CARE_VIEW, None),
    ("get", "/care/measures/", Perm.CARE_VIEW, None),
    ("post", "/care/updates/{ack_update}/acknowledge/", Perm.CARE_UPDATE, {"reply": "ok"}),
    ("post", "/care/updates/{update}/correct/", Perm.CARE_UPDATE, {"summary": "corrected"}),
    ("get", "/care/patients/{patient}/", Perm.CARE_VIEW, None),
    ("post", "/care/patients/{patient}/team/add/", Perm.CARE_TEAM_EDIT, "member"),
    ("post", "/care/patients/{patient}/team/{feld}/remove/", Perm.CARE_TEAM_EDIT, {}),
    ("post", "/care/patients/{patient}/updates/new/", Perm.CARE_UPDATE, {"event_type": "allergy", "summary": "x"}),
    ("post", "/care/patients/{patient}/plan/", Perm.CARE_UPDATE, {"discipline": "lac", "goal": "Sleep"}),
    ("post", "/care/patients/{patient}/consults/new/", Perm.CONSULT_LOG, "consult"),
    ("post", "/care/consults/{note}/review/", Perm.CARE_UPDATE, {}),
    ("get", "/care/checkins/", Perm.CARE_VIEW, None),
    ("post", "/care/checkins/search/", Perm.CARE_TEAM_EDIT, "search"),
    ("post", "/care/checkins/book/", Perm.CARE_TEAM_EDIT, "checkin"),
    ("get", "/care/checkins/{checkin}/", Perm.CARE_VIEW, None),
]


@pytest.fixture
def ctx(clinic, users, patient):
    li = Practitioner.objects.get(last_name="Li")
    li.user = users["practitioner"]
    li.save(update_fields=["user"])
    chen = Practitioner.objects.get(last_name="Chen")
    feld = Practitioner.objects.get(last_name="Feld")
    for p in (chen, li):
        WorkingHours.objects.bulk_create([WorkingHours(practitioner=p, location=p.locations.first(), weekday=d,
                                                       start_time=time(9), end_time=time(17)) for d in range(5)])
    desk = Actor(user=users["front_desk"])
    team_services.member_add(actor=desk, patient=patient, practitioner_id=chen.pk, role=TeamRole.LEAD_PHYSICIAN)
    team_services.member_add(actor=desk, patient=patient, practitioner_id=li.pk)
    team_services.member_add(actor=desk, patient=patient, practitioner_id=feld.pk)
    by_chen = Actor(user=chen.user)
    update = updates.update_record(actor=by_chen, patient=patient, event_type=EventType.NEW_DIAGNOSIS,
                                   summary="Hypothyroidism")
    ack_update = updates.update_record(actor=by_chen, patient=patient, event_type=EventType.ALLERGY,
                                       summary="Latex allergy")
    own = updates.update_record(actor=Actor(user=li.user), patient=patient, event_type=EventType.ALLERGY,
                                summary="Arnica rash")
    note = ConsultNote.objects.create(patient=patient, kind=ConsultKind.INTERNAL, source_name="Dr. Webb",
                                      received_on=datetime(2026, 11, 20).date(), responsible=li, summary="Agrees.",
                                      logged_at=datetime(2026, 11, 20, tzinfo=UTC))
    start = datetime(2026, 12, 1, 18, 0, tzinfo=UTC)  # Tuesday 10:00 in Portland
    checkin = checkins.checkin_schedule(actor=desk, title="Case review", member_ids=[chen.pk, li.pk], start=start,
                                        duration_minutes=30, location_id=chen.locations.first().pk,
                                        patient_ids=[patient.pk], now=datetime(2026, 11, 25, tzinfo=UTC))
    return {"patient": patient.pk, "feld": feld.pk, "update": update.pk, "ack_update": ack_update.pk,
            "own_update": own.pk, "note": note.pk, "checkin": checkin.pk, "chen": chen.pk, "li": li.pk,
            "loc": chen.locations.first().pk}


def _body(name: str, ctx: dict, api: bool):
    bodies = {
        "member": {"practitioner_id": ctx["feld"]},
        "consult": {"kind": "internal", "source_name": "Dr. Webb", "received_on": "2026-11-20",
                    "responsible_id": ctx["li"], "summary": "Agrees."},
        "search": {"member_ids": [ctx["chen"], ctx["li"]], "start": "2026-12-02", "end": "2026-12-04"},
        "checkin": {"title": "Review", "member_ids": [ctx["chen"], ctx["li"]], "start": "2026-12-03T18:00:00+00:00",
                    "duration_minutes": 30, "location_id": ctx["loc"]},
    }
    return bodies[name]


def _call(client, method, url, body, ctx, api):
    url = url.format(**ctx)
    if body is None:
        return getattr(client, method)(url)
    if isinstance(body, str):
        body = _body(body, ctx, api)
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
        assert resp.status_code != 403 and resp.status_code < 500, (resp.status_code, resp.content[:300])
    else:
        assert resp.status_code == 403, (resp.status_code, resp.content[:300])


@pytest.mark.parametrize(("method", "url", "perm", "body"), API_ROUTES[:3], ids=["a", "b", "c"])
def test_api_anonymous_gets_401(client, ctx, method, url, perm, body):
    assert _call(client, method, url, body, ctx, api=True).status_code == 401


def test_view_anonymous_redirects_to_login(client, ctx):
    resp = client.get("/care/inbox/")
    assert resp.status_code == 302 and resp["Location"].startswith("/login/")


def test_every_care_route_is_listed():
    names = {"{patient}": "{patient_id}", "{feld}": "{practitioner_id}", "{update}": "{update_id}",
             "{own_update}": "{update_id}", "{ack_update}": "{update_id}", "{note}": "{note_id}",
             "{checkin}": "{checkin_id}", "allergy": "{event_type}"}
    listed = set()
    for m, u, _, _ in API_ROUTES:
        path = u.split("?")[0]
        for short, long in names.items():
            path = path.replace(short, long)
        listed.add((m.upper(), path))
    for method, path in api_routes_tagged({"care"}):
        assert (method, path) in listed, f"{method} {path} missing"


def test_every_care_screen_is_listed():
    from django.urls import get_resolver

    from plexus.care import urls

    listed = {u.split("{")[0].rstrip("/").split("/")[2] if u.count("/") > 2 else u for _, u, _, _ in VIEW_ROUTES}
    public = {"survey"}
    for pattern in urls.urlpatterns:
        first = str(pattern.pattern).split("/")[0]
        assert first in listed or first in public, f"/care/{pattern.pattern} missing from VIEW_ROUTES"
    assert get_resolver()  # the URLconf loads
