from __future__ import annotations

import pytest

from plexus.scheduling import services
from plexus.scheduling.models import VisitBlock

from .conftest import pdx


@pytest.fixture
def booked(admin_actor, patient, three):
    return services.visit_block_book(actor=admin_actor, patient=patient, components=three)


def test_day_calendar_shows_linked_components(client_for, booked):
    resp = client_for("front_desk").get("/schedule/", {"date": "2026-12-01", "location": booked.location_id})
    html = resp.content.decode()
    assert resp.status_code == 200
    assert html.count(f'data-block="{booked.pk}"') == 3 and "1 of 3" in html and "3 of 3" in html
    assert "Maria Lopez" in html and "style=" not in html
    grid = client_for("practitioner").get("/schedule/grid/", {"date": "2026-12-01", "location": booked.location_id})
    assert grid.status_code == 200 and "2 of 3" in grid.content.decode()


def test_empty_day_says_what_to_do(client_for, sched):
    resp = client_for("front_desk").get("/schedule/", {"date": "2026-12-06"})
    assert "Nobody works" in resp.content.decode()


def test_block_panel_check_in_and_cancel(client_for, booked):
    client = client_for("front_desk")
    panel = client.get(f"/schedule/blocks/{booked.pk}/", HTTP_HX_REQUEST="true")
    assert panel.status_code == 200 and "Cancel block" in panel.content.decode()
    assert client.get(f"/schedule/blocks/{booked.pk}/").status_code == 200
    resp = client.post(f"/schedule/blocks/{booked.pk}/check-in/", HTTP_HX_REQUEST="true")
    assert resp.status_code == 200 and resp["HX-Trigger"] == "px-calendar-changed"
    assert VisitBlock.objects.get(pk=booked.pk).status == "arrived"
    resp = client.post(f"/schedule/blocks/{booked.pk}/cancel/", {"reason": ""}, HTTP_HX_REQUEST="true")
    assert resp.status_code == 422 and "reason" in resp.content.decode()
    resp = client.post(f"/schedule/blocks/{booked.pk}/cancel/", {"reason": "Unwell"})
    assert resp.status_code == 302
    assert VisitBlock.objects.get(pk=booked.pk).status == "cancelled"
    assert client.get("/schedule/blocks/999999/").status_code == 404


def test_board_and_patient_visits(client_for, booked, patient):
    client = client_for("front_desk")
    board = client.get("/schedule/board/", {"date": "2026-12-01"})
    assert board.status_code == 200 and "Maria Lopez" in board.content.decode()
    visits = client.get(f"/schedule/patients/{patient.pk}/visits/")
    assert visits.status_code == 200 and "Acupuncture" in visits.content.decode()
    tab = client.get(f"/patients/{patient.pk}/tab/visits/", HTTP_HX_REQUEST="true")
    assert f"/schedule/patients/{patient.pk}/visits/" in tab.content.decode()


def test_booking_screen_search_and_confirm(client_for, patient, svc, prac):
    client = client_for("front_desk")
    assert "Find times" in client.get("/schedule/book/").content.decode()
    assert "Maria Lopez" in client.get(f"/schedule/book/?patient={patient.pk}").content.decode()
    pick = client.get("/schedule/book/patients/", {"patient_q": "Lopez"})
    assert f'value="{patient.pk}"' in pick.content.decode()
    form = {"patient_id": patient.pk, "service_0": svc["md"].pk, "service_1": svc["acu"].pk,
            "service_2": svc["massage"].pk, "from_date": "2026-12-01", "location_id": prac["chen"].locations.first().pk, "earliest": "10:00"}
    resp = client.post("/schedule/book/search/", form)
    html = resp.content.decode()
    assert resp.status_code == 200 and html.count("px-option") == 10
    import re

    first = html.split('class="px-option"')[1]
    fields = {name: re.findall(rf'name="{name}" value="([^"]+)"', first) for name in
              ("c_service", "c_prac", "c_room", "c_start")}
    resp = client.post("/schedule/book/confirm/", {"patient_id": patient.pk, **fields}, HTTP_HX_REQUEST="true")
    assert resp.status_code == 200 and resp["HX-Redirect"].startswith("/schedule/?date=2026-12-01")
    block = VisitBlock.objects.get()
    assert block.appointments.count() == 3 and block.start == pdx(1, 10)
    again = client.post("/schedule/book/confirm/", {"patient_id": patient.pk, **fields})
    assert again.status_code == 409 and "conflicts" in again.content.decode()
    bad = client.post("/schedule/book/search/", {"service_0": "999999", "from_date": "2026-12-01"})
    assert bad.status_code == 422 and "components[0].service_id" in bad.content.decode()


def test_reschedule_screen(client_for, booked):
    client = client_for("front_desk")
    resp = client.get(f"/schedule/blocks/{booked.pk}/reschedule/", {"from_date": "2026-12-03"})
    html = resp.content.decode()
    assert resp.status_code == 200 and "Move here" in html
    import re

    first = html.split('class="px-option"')[1]
    fields = {name: re.findall(rf'name="{name}" value="([^"]+)"', first) for name in
              ("c_service", "c_prac", "c_room", "c_start")}
    resp = client.post(f"/schedule/blocks/{booked.pk}/reschedule/", fields)
    assert resp.status_code == 302
    assert VisitBlock.objects.get(pk=booked.pk).start >= pdx(3, 0)
