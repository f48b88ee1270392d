"""Reschedule or cancel ONE component of a visit block: search (the others stay put, order and gap
kept), move atomically (409 naming the component, nothing saved), history; service, API and screens."""

from __future__ import annotations

import json
import re
from datetime import datetime, timedelta

import pytest

from plexus.core.errors import ApplicationError
from plexus.core.models import Room
from plexus.patients.models import Patient
from plexus.scheduling import selectors, services
from plexus.scheduling.models import Appointment, AppointmentEvent, VisitBlock
from plexus.scheduling.services import Placement

from .conftest import NOW, pdx


@pytest.fixture
def booked(admin_actor, patient, three):
    return services.visit_block_book(actor=admin_actor, patient=patient, components=three)


@pytest.fixture
def other(clinic):
    return Patient.objects.create(chart_number="P900002", legal_first_name="Ann", legal_last_name="Bell",
                                  date_of_birth="1980-01-01", sex_for_claims="F")


def _comp(block, position) -> Appointment:
    return block.appointments.get(position=position)


def _snapshot(block):
    return sorted(Appointment.objects.filter(block=block).values_list("id", "start", "practitioner_id", "room_id",
                                                                      "status"))


def test_search_keeps_the_last_component_after_its_neighbour(booked, prac):
    massage = _comp(booked, 2)
    bounds, options = selectors.component_options(appointment=massage, range_start=pdx(1, 0), range_end=pdx(2, 0),
                                                  now=NOW)
    assert bounds.earliest_start == pdx(1, 10) and bounds.latest_start == pdx(1, 10, 30)
    assert options and options[0].start == pdx(1, 10)  # its own time is free for itself
    assert all(pdx(1, 10) <= o.start <= pdx(1, 10, 30) for o in options)
    assert {c.practitioner_id for o in options for c in o.components} == {prac["ortiz"].pk}


def test_search_for_a_middle_component_stays_between_its_neighbours(booked):
    acu = _comp(booked, 1)
    bounds, options = selectors.component_options(appointment=acu, range_start=pdx(1, 0), range_end=pdx(2, 0),
                                                  now=NOW, keep_practitioner=False)
    assert (bounds.earliest_start, bounds.latest_end) == (pdx(1, 9, 30), pdx(1, 10))
    assert [o.start for o in options] and all(o.start == pdx(1, 9, 30) for o in options)


def test_search_any_day_ignores_neighbours_but_not_the_patient(booked):
    acu = _comp(booked, 1)
    _, options = selectors.component_options(appointment=acu, range_start=pdx(1, 0), range_end=pdx(2, 0), now=NOW,
                                             keep_in_visit=False, limit=50)
    starts = [o.start for o in options]
    assert pdx(1, 8) in starts  # before the physician visit: allowed when leaving its place
    assert not any(pdx(1, 9) - timedelta(minutes=25) < s < pdx(1, 9, 30) for s in starts)  # overlaps the MD visit
    assert not any(pdx(1, 9, 35) <= s < pdx(1, 11) for s in starts)  # overlaps the massage


def test_move_one_component(admin_actor, booked):
    massage = _comp(booked, 2)
    seq = booked.sequence
    moved = services.appointment_move(actor=admin_actor, appointment=massage,
                                      placement=Placement(massage.service_id, massage.practitioner_id,
                                                          pdx(1, 10, 15), massage.room_id))
    assert moved.pk == massage.pk and moved.start == pdx(1, 10, 15) and moved.status == "booked"
    block = VisitBlock.objects.get(pk=booked.pk)
    assert block.end == pdx(1, 11, 15) and block.sequence == seq + 1
    assert _comp(block, 0).start == pdx(1, 9) and _comp(block, 1).start == pdx(1, 9, 30)
    event = AppointmentEvent.objects.filter(block=block, action="rescheduled").get()
    assert event.appointment_id == massage.pk and event.detail["position"] == 2
    assert datetime.fromisoformat(event.detail["before"]["start"]) == pdx(1, 10) and event.username == "u_admin"
    assert services.overlapping_pairs() == []


def test_move_outside_its_place_is_422_and_changes_nothing(admin_actor, booked):
    massage = _comp(booked, 2)
    before = _snapshot(booked)
    with pytest.raises(ApplicationError) as exc:
        services.appointment_move(actor=admin_actor, appointment=massage,
                                  placement=Placement(massage.service_id, massage.practitioner_id, pdx(1, 13)))
    assert exc.value.status == 422 and exc.value.errors[0].field == "components[2].start"
    with pytest.raises(ApplicationError) as exc:
        services.appointment_move(actor=admin_actor, appointment=massage,
                                  placement=Placement(_comp(booked, 0).service_id, massage.practitioner_id,
                                                      pdx(1, 10)))
    assert exc.value.status == 422 and exc.value.errors[0].field == "components[2].service_id"
    with pytest.raises(ApplicationError) as exc:
        services.appointment_move(actor=admin_actor, appointment=massage,
                                  placement=Placement(massage.service_id, 999999, pdx(1, 10)))
    assert exc.value.errors[0].field == "components[2].practitioner_id"
    assert _snapshot(booked) == before and not AppointmentEvent.objects.filter(action="rescheduled").exists()


def test_move_into_a_conflict_is_409_naming_the_component(admin_actor, booked, other, svc, prac, room):
    services.visit_block_book(actor=admin_actor, patient=other, components=[
        Placement(svc["massage"].pk, prac["ortiz"].pk, pdx(1, 11, 30), room["Massage B"].pk)])
    massage = _comp(booked, 2)
    before = _snapshot(booked)
    with pytest.raises(ApplicationError) as exc:
        services.appointment_move(actor=admin_actor, appointment=massage, keep_in_visit=False,
                                  placement=Placement(massage.service_id, massage.practitioner_id, pdx(1, 10, 30),
                                                      massage.room_id))
    assert exc.value.status == 409 and exc.value.errors[0].field == "components[2]"
    assert "Component 3" in exc.value.detail
    acu = _comp(booked, 1)
    with pytest.raises(ApplicationError) as exc:  # onto the patient's own physician visit
        services.appointment_move(actor=admin_actor, appointment=acu, keep_in_visit=False,
                                  placement=Placement(acu.service_id, acu.practitioner_id, pdx(1, 9)))
    assert exc.value.status == 409 and exc.value.errors[0].field == "components[1]"
    assert "patient" in exc.value.detail
    assert _snapshot(booked) == before


def test_move_a_cancelled_component_is_409(admin_actor, booked):
    massage = _comp(booked, 2)
    services.appointment_cancel(actor=admin_actor, appointment=massage, reason="Therapist ill")
    with pytest.raises(ApplicationError) as exc:
        services.appointment_move(actor=admin_actor, appointment=massage,
                                  placement=Placement(massage.service_id, massage.practitioner_id, pdx(1, 10)))
    assert exc.value.status == 409
    with pytest.raises(ApplicationError):
        selectors.component_options(appointment=Appointment.objects.get(pk=massage.pk), range_start=pdx(1, 0),
                                    range_end=pdx(2, 0), now=NOW)


def test_concurrent_component_keeps_running_with_its_partner(admin_actor, patient, svc, prac, room):
    # A physician visit with acupuncture at the same time: the acupuncture may only move with it.
    block = services.visit_block_book(actor=admin_actor, patient=patient, components=[
        Placement(svc["md"].pk, prac["chen"].pk, pdx(2, 9), room["Consult 1"].pk),
        Placement(svc["acu"].pk, prac["li"].pk, pdx(2, 9), room["Treatment 1"].pk)])
    acu = _comp(block, 1)
    bounds, options = selectors.component_options(appointment=acu, range_start=pdx(2, 0), range_end=pdx(3, 0),
                                                  now=NOW, keep_practitioner=False)
    assert bounds.earliest_start == bounds.latest_start == pdx(2, 9)
    assert options and all(o.start == pdx(2, 9) for o in options)
    other_room = Room.objects.filter(location=acu.location, room_type=acu.room.room_type,
                                     is_active=True).exclude(pk=acu.room_id).first().pk
    moved = services.appointment_move(actor=admin_actor, appointment=acu,
                                      placement=Placement(acu.service_id, acu.practitioner_id, pdx(2, 9), other_room))
    assert moved.room_id == other_room  # overlapping its partner is fine for the patient


# -- API ---------------------------------------------------------------------------------------

def _post(client, url, body):
    return client.post(url, json.dumps(body), content_type="application/json")


def test_api_component_search_and_move(client_for, booked):
    client = client_for("front_desk")
    massage = _comp(booked, 2)
    resp = _post(client, f"/api/scheduling/appointments/{massage.pk}/reschedule/search",
                 {"range_start": pdx(1, 0).isoformat()})
    body = resp.json()
    assert resp.status_code == 200 and body["position"] == 2 and body["count"] >= 1
    assert body["bounds"]["earliest_start"].startswith("2026-12-01T18:00")  # 10:00 Portland in UTC
    choice = body["items"][-1]["components"][0]
    resp = _post(client, f"/api/scheduling/appointments/{massage.pk}/reschedule",
                 {"practitioner_id": choice["practitioner_id"], "room_id": choice["room_id"],
                  "start": choice["start"]})
    assert resp.status_code == 200, resp.content
    data = resp.json()
    assert data["components"][2]["id"] == massage.pk and data["sequence"] == booked.sequence + 1
    assert any(h["action"] == "rescheduled" and h["detail"]["position"] == 2 for h in data["history"])


def test_api_component_move_conflict_is_a_problem_document(client_for, admin_actor, booked, other, svc, prac, room):
    services.visit_block_book(actor=admin_actor, patient=other, components=[
        Placement(svc["massage"].pk, prac["ortiz"].pk, pdx(1, 11, 30), room["Massage B"].pk)])
    massage = _comp(booked, 2)
    before = _snapshot(booked)
    resp = _post(client_for("front_desk"), f"/api/scheduling/appointments/{massage.pk}/reschedule",
                 {"practitioner_id": massage.practitioner_id, "start": pdx(1, 10, 30).isoformat(),
                  "room_id": massage.room_id, "keep_in_visit": False})
    assert resp.status_code == 409 and resp["Content-Type"] == "application/problem+json"
    problem = resp.json()
    assert problem["status"] == 409 and problem["errors"][0]["field"] == "components[2]"
    assert "Therapeutic massage" in problem["detail"]
    assert _snapshot(booked) == before
    bad = _post(client_for("front_desk"), f"/api/scheduling/appointments/{massage.pk}/reschedule",
                {"practitioner_id": massage.practitioner_id, "start": pdx(1, 14).isoformat()})
    assert bad.status_code == 422 and bad.json()["errors"][0]["field"] == "components[2].start"
    assert _post(client_for("front_desk"), "/api/scheduling/appointments/999999/reschedule",
                 {"practitioner_id": 1, "start": pdx(1, 14).isoformat()}).status_code == 404
    assert _snapshot(booked) == before


# -- staff screens -------------------------------------------------------------------------------

def test_block_panel_offers_move_and_cancel_per_component(client_for, booked):
    html = client_for("front_desk").get(f"/schedule/blocks/{booked.pk}/", HTTP_HX_REQUEST="true").content.decode()
    assert html.count("px-move-one") == 3 and html.count("Cancel this one") == 3
    ids = [a.pk for a in booked.appointments.order_by("position")]
    assert all(f"/schedule/appointments/{i}/reschedule/" in html for i in ids)
    assert "style=" not in html
    view_only = client_for("billing").get(f"/schedule/blocks/{booked.pk}/", HTTP_HX_REQUEST="true")
    assert view_only.status_code == 200 and "px-move-one" not in view_only.content.decode()
    assert "Cancel this one" not in view_only.content.decode()


def test_cancel_one_component_from_the_panel(client_for, booked):
    client = client_for("front_desk")
    massage = _comp(booked, 2)
    resp = client.post(f"/schedule/appointments/{massage.pk}/cancel/", {"reason": ""}, HTTP_HX_REQUEST="true")
    assert resp.status_code == 422 and Appointment.objects.get(pk=massage.pk).status == "booked"
    resp = client.post(f"/schedule/appointments/{massage.pk}/cancel/", {"reason": "Therapist ill"},
                       HTTP_HX_REQUEST="true")
    html = resp.content.decode()
    assert resp.status_code == 200 and resp["HX-Trigger"] == "px-calendar-changed"
    assert Appointment.objects.get(pk=massage.pk).status == "cancelled"
    assert VisitBlock.objects.get(pk=booked.pk).status == "booked" and "cancelled component 3" in html
    # Two left: each can still be cancelled alone; the cancelled one offers nothing.
    assert html.count("Cancel this one") == 2 and html.count("px-move-one") == 2
    again = client.post(f"/schedule/appointments/{massage.pk}/cancel/", {"reason": "x"})
    assert again.status_code == 409


def test_component_reschedule_screen(client_for, booked):
    client = client_for("front_desk")
    massage = _comp(booked, 2)
    resp = client.get(f"/schedule/appointments/{massage.pk}/reschedule/")
    html = resp.content.decode()
    assert resp.status_code == 200 and "Move here" in html and 'id="bounds"' in html and "style=" not in html
    rows = html.split('class="px-option"')[1:]
    last = rows[-1]
    fields = {name: re.findall(rf'name="{name}" value="([^"]+)"', last) for name in
              ("c_service", "c_prac", "c_room", "c_start")}
    resp = client.post(f"/schedule/appointments/{massage.pk}/reschedule/", fields)
    assert resp.status_code == 302 and f"block={booked.pk}" in resp["Location"]
    assert Appointment.objects.get(pk=massage.pk).start > pdx(1, 10)
    free = client.get(f"/schedule/appointments/{massage.pk}/reschedule/", {"free": "1", "from_date": "2026-12-02"})
    assert free.status_code == 200 and 'name="free" value="1"' in free.content.decode()
    bad = client.post(f"/schedule/appointments/{massage.pk}/reschedule/",
                      {**fields, "c_start": pdx(1, 15).isoformat()})
    assert bad.status_code == 422 and "components[2].start" in bad.content.decode()
    assert client.get("/schedule/appointments/999999/reschedule/").status_code == 404
