"""Every scheduling route against every role: allowed where the matrix grants the permission,
403 (a problem document for the API) everywhere else."""

from __future__ import annotations

import pytest

from plexus.core.models import Role
from plexus.core.permissions import Perm, role_has
from plexus.scheduling import services
from plexus.scheduling.models import AvailabilityException, CalendarFeed, Closure, WorkingHours
from plexus.testing.matrix import api_routes_tagged, send

from .conftest import pdx

API_ROUTES = [
    ("post", "/api/scheduling/search", Perm.SCHEDULE_VIEW, "search"),
    ("post", "/api/scheduling/blocks", Perm.SCHEDULE_BOOK, "book"),
    ("get", "/api/scheduling/blocks?date=2026-12-01", Perm.SCHEDULE_VIEW, None),
    ("get", "/api/scheduling/blocks/{block}", Perm.SCHEDULE_VIEW, None),
    ("get", "/api/scheduling/blocks/{block}/ics", Perm.SCHEDULE_VIEW, None),
    ("post", "/api/scheduling/blocks/{block}/cancel", Perm.SCHEDULE_BOOK, {"reason": "x"}),
    ("post", "/api/scheduling/blocks/{block}/check-in", Perm.SCHEDULE_BOOK, {}),
    ("post", "/api/scheduling/blocks/{block}/reschedule/search", Perm.SCHEDULE_BOOK, "resched"),
    ("post", "/api/scheduling/blocks/{block}/reschedule", Perm.SCHEDULE_BOOK, "move"),
    ("post", "/api/scheduling/appointments/{appointment}/cancel", Perm.SCHEDULE_BOOK, {"reason": "x"}),
    ("post", "/api/scheduling/appointments/{appointment}/status", Perm.SCHEDULE_BOOK, {"status": "confirmed"}),
    ("post", "/api/scheduling/appointments/{appointment}/reschedule/search", Perm.SCHEDULE_BOOK, "cresched"),
    ("post", "/api/scheduling/appointments/{appointment}/reschedule", Perm.SCHEDULE_BOOK, "cmove"),
    ("get", "/api/scheduling/hours", Perm.SCHEDULE_VIEW, None),
    ("post", "/api/scheduling/hours", Perm.SCHEDULE_MANAGE, "hours"),
    ("delete", "/api/scheduling/hours/{hours}", Perm.SCHEDULE_MANAGE, None),
    ("get", "/api/scheduling/exceptions", Perm.SCHEDULE_VIEW, None),
    ("post", "/api/scheduling/exceptions", Perm.SCHEDULE_MANAGE, "exception"),
    ("delete", "/api/scheduling/exceptions/{exception}", Perm.SCHEDULE_MANAGE, None),
    ("get", "/api/scheduling/closures", Perm.SCHEDULE_VIEW, None),
    ("post", "/api/scheduling/closures", Perm.SCHEDULE_MANAGE, {"start_date": "2026-12-24", "end_date": "2026-12-24"}),
    ("delete", "/api/scheduling/closures/{closure}", Perm.SCHEDULE_MANAGE, None),
    ("get", "/api/scheduling/feeds", Perm.SCHEDULE_MANAGE, None),
    ("post", "/api/scheduling/feeds", Perm.SCHEDULE_MANAGE, "feed"),
    ("delete", "/api/scheduling/feeds/{feed}", Perm.SCHEDULE_MANAGE, None),
    ("post", "/api/scheduling/series/preview", Perm.SCHEDULE_BOOK, "series"),
    ("post", "/api/scheduling/series", Perm.SCHEDULE_BOOK, "series"),
    ("get", "/api/scheduling/series?patient_id={patient}", Perm.SCHEDULE_VIEW, None),
    ("get", "/api/scheduling/series/{series}", Perm.SCHEDULE_VIEW, None),
    ("post", "/api/scheduling/series/{series}/cancel", Perm.SCHEDULE_BOOK, {"reason": "x"}),
    ("get", "/api/scheduling/referrals", Perm.SCHEDULE_VIEW, None),
    ("post", "/api/scheduling/referrals", Perm.REFERRAL_CREATE, "referral"),
    ("get", "/api/scheduling/referrals/{referral}", Perm.SCHEDULE_VIEW, None),
    ("post", "/api/scheduling/referrals/{referral}/cancel", Perm.REFERRAL_CREATE, {"reason": "x"}),
    ("post", "/api/scheduling/referrals/{referral}/waitlist", Perm.SCHEDULE_BOOK,
     {"earliest_date": "2026-12-01", "latest_date": "2026-12-31"}),
    ("get", "/api/scheduling/waitlist", Perm.SCHEDULE_VIEW, None),
    ("post", "/api/scheduling/waitlist", Perm.SCHEDULE_BOOK, "waitlist"),
    ("post", "/api/scheduling/waitlist/{entry}/remove", Perm.SCHEDULE_BOOK, {}),
    ("get", "/api/scheduling/waitlist/offers", Perm.SCHEDULE_VIEW, None),
    ("post", "/api/scheduling/waitlist/offers/{offer}/accept", Perm.SCHEDULE_BOOK, {}),
    ("post", "/api/scheduling/waitlist/offers/{offer}/decline", Perm.SCHEDULE_BOOK, {}),
]

VIEW_ROUTES = [
    ("get", "/schedule/", Perm.SCHEDULE_VIEW, None),
    ("get", "/schedule/grid/", Perm.SCHEDULE_VIEW, None),
    ("get", "/schedule/?by=rooms", Perm.SCHEDULE_VIEW, None),
    ("get", "/schedule/week/", Perm.SCHEDULE_VIEW, None),
    ("get", "/schedule/board/", Perm.SCHEDULE_VIEW, None),
    ("get", "/schedule/blocks/{block}/", Perm.SCHEDULE_VIEW, None),
    ("get", "/schedule/patients/{patient}/visits/", Perm.SCHEDULE_VIEW, None),
    ("get", "/schedule/book/", Perm.SCHEDULE_BOOK, None),
    ("get", "/schedule/book/patients/?patient_q=Lopez", Perm.SCHEDULE_BOOK, None),
    ("post", "/schedule/book/search/", Perm.SCHEDULE_BOOK, {}),
    ("post", "/schedule/book/confirm/", Perm.SCHEDULE_BOOK, {}),
    ("get", "/schedule/blocks/{block}/reschedule/", Perm.SCHEDULE_BOOK, None),
    ("post", "/schedule/blocks/{block}/cancel/", Perm.SCHEDULE_BOOK, {"reason": "x"}),
    ("post", "/schedule/blocks/{block}/check-in/", Perm.SCHEDULE_BOOK, {}),
    ("get", "/schedule/blocks/{block}/reminders/", Perm.MESSAGING_VIEW, None),
    ("post", "/schedule/blocks/{block}/reminders/send/", Perm.MESSAGING_SEND, {}),
    ("get", "/schedule/appointments/{appointment}/reschedule/", Perm.SCHEDULE_BOOK, None),
    ("post", "/schedule/appointments/{appointment}/reschedule/", Perm.SCHEDULE_BOOK, {}),
    ("post", "/schedule/appointments/{appointment}/cancel/", Perm.SCHEDULE_BOOK, {"reason": "x"}),
    ("get", "/schedule/referrals/", Perm.SCHEDULE_VIEW, None),
    ("get", "/schedule/referrals/new/", Perm.REFERRAL_CREATE, None),
    ("post", "/schedule/referrals/new/", Perm.REFERRAL_CREATE, {}),
    ("get", "/schedule/referrals/patients/?patient_q=Lopez", Perm.REFERRAL_CREATE, None),
    ("get", "/schedule/referrals/{referral}/", Perm.SCHEDULE_VIEW, None),
    ("post", "/schedule/referrals/{referral}/cancel/", Perm.REFERRAL_CREATE, {"reason": "x"}),
    ("post", "/schedule/referrals/{referral}/waitlist/", Perm.SCHEDULE_BOOK, {}),
    ("get", "/schedule/series/new/", Perm.SCHEDULE_BOOK, None),
    ("post", "/schedule/series/preview/", Perm.SCHEDULE_BOOK, {}),
    ("post", "/schedule/series/book/", Perm.SCHEDULE_BOOK, {}),
    ("get", "/schedule/series/{series}/", Perm.SCHEDULE_VIEW, None),
    ("post", "/schedule/series/{series}/cancel/", Perm.SCHEDULE_BOOK, {"reason": "x"}),
    ("get", "/schedule/waitlist/", Perm.SCHEDULE_VIEW, None),
    ("get", "/schedule/waitlist/new/", Perm.SCHEDULE_BOOK, None),
    ("post", "/schedule/waitlist/new/", Perm.SCHEDULE_BOOK, {}),
    ("post", "/schedule/waitlist/offers/{offer}/accept/", Perm.SCHEDULE_BOOK, {}),
    ("post", "/schedule/waitlist/offers/{offer}/decline/", Perm.SCHEDULE_BOOK, {}),
    ("post", "/schedule/waitlist/{entry}/remove/", Perm.SCHEDULE_BOOK, {}),
]


@pytest.fixture
def ctx(admin_actor, patient, three, prac, svc):
    block = services.visit_block_book(actor=admin_actor, patient=patient, components=three)
    loc = prac["li"].locations.first().pk
    hours = WorkingHours.objects.create(practitioner=prac["li"], location_id=loc, weekday=6,
                                        start_time="09:00", end_time="10:00")
    exc = AvailabilityException.objects.create(practitioner=prac["li"], kind="time_off", start=pdx(20, 8),
                                               end=pdx(20, 9))
    closure = Closure.objects.create(start_date="2026-12-31", end_date="2026-12-31")
    feed = CalendarFeed.objects.create(practitioner=prac["li"], token_hash="x" * 64, prefix="cal_x")
    from datetime import timedelta

    from plexus.core.models import Discipline
    from plexus.scheduling.models import WaitlistOffer
    from plexus.scheduling.referrals import referral_create
    from plexus.scheduling.series import visit_series_book
    from plexus.scheduling.services import Placement
    from plexus.scheduling.waitlist import waitlist_entry_create

    lac = Discipline.objects.get(code="lac")
    referral = referral_create(actor=admin_actor, patient=patient, to_discipline_id=lac.pk,
                               service_ids=[svc["acu"].pk], sessions_wanted=2, reason="Pain",
                               from_practitioner_id=prac["chen"].pk)
    treatment = block.appointments.get(position=1).room_id
    series, _ = visit_series_book(actor=admin_actor, patient=patient, interval_weeks=1, occurrences=1,
                                  components=[Placement(svc["acu"].pk, prac["li"].pk, pdx(8, 10), treatment)])
    entry = waitlist_entry_create(actor=admin_actor, patient=patient, service_ids=[svc["acu"].pk],
                                  earliest_date=pdx(9, 0).date(), latest_date=pdx(9, 0).date())
    offer = WaitlistOffer.objects.create(
        entry=entry, location_id=loc, start=pdx(9, 10), end=pdx(9, 10, 30), created_at=pdx(1, 0),
        expires_at=pdx(1, 0) + timedelta(days=30), placements=[
            {"service_id": svc["acu"].pk, "practitioner_id": prac["li"].pk, "room_id": treatment,
             "start": pdx(9, 10).isoformat(), "end": pdx(9, 10, 30).isoformat()}])
    entry.status = "offered"
    entry.save()
    comps = [{"service_id": a.service_id, "practitioner_id": a.practitioner_id, "room_id": a.room_id,
              "start": a.start.replace(day=2).isoformat()} for a in block.appointments.order_by("position")]
    return {"block": block.pk, "appointment": block.appointments.first().pk, "hours": hours.pk, "exception": exc.pk,
            "closure": closure.pk, "feed": feed.pk, "patient": patient.pk, "md": svc["md"].pk, "li": prac["li"].pk,
            "loc": loc, "move": comps, "referral": referral.pk, "series": series.pk, "entry": entry.pk,
            "offer": offer.pk, "acu": svc["acu"].pk, "lac": lac.pk, "chen": prac["chen"].pk}


def _body(name, ctx, role):
    other = {"front_desk": 1, "admin": 2, "virtual_assistant": 3}.get(role, 4)
    return {
        "search": {"components": [{"service_id": ctx["md"]}], "range_start": pdx(1, 0).isoformat()},
        "book": {"patient_id": ctx["patient"], "components": [{"service_id": ctx["md"], "practitioner_id": ctx["li"],
                                                              "start": pdx(3, 9).isoformat()}]},
        "resched": {"range_start": pdx(2, 0).isoformat()},
        "cresched": {"range_start": pdx(1, 0).isoformat()},
        "cmove": {"practitioner_id": ctx["chen"], "start": pdx(1, 9).isoformat()},
        "move": {"components": ctx["move"]},
        "hours": {"practitioner_id": ctx["li"], "location_id": ctx["loc"], "weekday": 5,
                  "start_time": f"1{other}:00", "end_time": f"1{other}:30"},
        "exception": {"practitioner_id": ctx["li"], "kind": "time_off", "start": pdx(21, 8).isoformat(),
                      "end": pdx(21, 9).isoformat()},
        "feed": {"practitioner_id": ctx["li"]},
        "series": {"patient_id": ctx["patient"], "occurrences": 1, "location_id": ctx["loc"],
                   "components": [{"service_id": ctx["acu"], "practitioner_id": ctx["li"],
                                   "start": pdx(10, 10).isoformat()}]},
        "referral": {"patient_id": ctx["patient"], "to_discipline_id": ctx["lac"], "service_ids": [ctx["acu"]],
                     "sessions_wanted": 1, "reason": "x", "from_practitioner_id": ctx["chen"]},
        "waitlist": {"patient_id": ctx["patient"], "service_ids": [ctx["acu"]], "earliest_date": "2026-12-01",
                     "latest_date": "2026-12-31"},
    }[name]


def _call(client, method, url, body, ctx, role, api):
    url = url.format(**ctx)
    if body is None:
        return getattr(client, method)(url)
    if isinstance(body, str):
        body = _body(body, ctx, role)
    return send(client, method, url, body, api=api)


@pytest.mark.parametrize("role", Role.values)
@pytest.mark.parametrize(("method", "url", "perm", "body"), API_ROUTES, ids=[f"{m} {u}" for m, u, _, _ in API_ROUTES])
def test_api_role_matrix(client_for, ctx, role, method, url, perm, body):
    resp = _call(client_for(role), method, url, body, ctx, role, api=True)
    if role_has(role, perm):
        # Allowed: never a 403 (a 422 for a deliberately incomplete body is still "allowed").
        assert resp.status_code != 403 and resp.status_code < 500, (resp.status_code, resp.content[:300])
    else:
        assert resp.status_code == 403, (resp.status_code, resp.content[:300])
        assert resp["Content-Type"] == "application/problem+json" and resp.json()["status"] == 403


@pytest.mark.parametrize("role", Role.values)
@pytest.mark.parametrize(("method", "url", "perm", "body"), VIEW_ROUTES, ids=[f"{m} {u}" for m, u, _, _ in VIEW_ROUTES])
def test_view_role_matrix(client_for, ctx, role, method, url, perm, body):
    resp = _call(client_for(role), method, url, body, ctx, role, api=False)
    if role_has(role, perm):
        assert resp.status_code in (200, 302, 409, 422), (resp.status_code, resp.content[:300])
    else:
        assert resp.status_code == 403


@pytest.mark.parametrize(("method", "url", "perm", "body"), API_ROUTES[:4], ids=[u for _, u, _, _ in API_ROUTES[:4]])
def test_api_anonymous_gets_401(client, ctx, method, url, perm, body):
    assert getattr(client, method)(url.format(**ctx)).status_code == 401


def test_view_anonymous_redirects_to_login(client, ctx):
    resp = client.get("/schedule/")
    assert resp.status_code == 302 and resp["Location"].startswith("/login/")


def test_every_scheduling_route_is_listed():
    names = {"{block}": "{block_id}", "{appointment}": "{appointment_id}", "{hours}": "{hours_id}",
             "{exception}": "{exception_id}", "{closure}": "{closure_id}", "{feed}": "{feed_id}",
             "{series}": "{series_id}", "{referral}": "{referral_id}", "{entry}": "{entry_id}",
             "{offer}": "{offer_id}"}
    listed = set()
    for m, u, _, _ in API_ROUTES:
        path = u.split("?")[0]
        for short, long in names.items():
            path = path.replace(short, long)
        listed.add((m.upper(), path))
    for method, path in api_routes_tagged({"scheduling"}):
        assert (method, path) in listed, f"{method} {path} missing"


def test_every_scheduling_screen_is_listed():
    """Every staff route of plexus/scheduling/urls.py is in VIEW_ROUTES (the public token URLs aside)."""
    from plexus.scheduling.urls import urlpatterns

    names = {"{block}": "<int:block_id>", "{appointment}": "<int:appointment_id>", "{patient}": "<int:patient_id>",
             "{series}": "<int:series_id>", "{referral}": "<int:referral_id>", "{entry}": "<int:entry_id>",
             "{offer}": "<int:offer_id>"}
    listed = set()
    for _, u, _, _ in VIEW_ROUTES:
        path = u.split("?")[0].removeprefix("/schedule/")
        for short, long in names.items():
            path = path.replace(short, long)
        listed.add(path)
    public = {"feeds/<str:token>.ics", "visit/<str:token>/", "offer/<str:token>/"}
    for pattern in urlpatterns:
        route = str(pattern.pattern)
        if route not in public:
            assert route in listed, f"/schedule/{route} missing from VIEW_ROUTES"
