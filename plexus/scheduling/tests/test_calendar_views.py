"""Rooms view of the day calendar and the practitioner week view, over HTTP."""

from __future__ import annotations

import re

import pytest

from plexus.core.models import Room
from plexus.scheduling import services
from plexus.scheduling.grids import week_grid, week_start

from .conftest import pdx


@pytest.fixture
def booked(admin_actor, patient, three):
    return services.visit_block_book(actor=admin_actor, patient=patient, components=three)


def test_rooms_view_has_one_column_per_room_and_linked_components(client_for, booked, room):
    resp = client_for("front_desk").get("/schedule/", {"date": "2026-12-01", "location": booked.location_id,
                                                       "by": "rooms"})
    html = resp.content.decode()
    assert resp.status_code == 200 and 'data-by="rooms"' in html
    rooms = Room.objects.filter(location_id=booked.location_id, is_active=True)
    assert html.count("data-room=") == rooms.count() and f"px-cols-{rooms.count()}" in html
    assert html.count(f'data-block="{booked.pk}"') == 3 and "1 of 3" in html and "3 of 3" in html
    assert "px-linked" in html and "px-d-" in html and "st-booked" in html and "style=" not in html
    # The room columns are where the appointments land: Consult 1 holds the physician visit.
    heads = re.findall(r'px-cal-head px-col-(\d+) px-row-1" title="([^"(]+) \(', html)
    consult = next(col for col, name in heads if name == "Consult 1")
    assert re.search(rf'px-appt px-col-{consult} [^"]*"\s+data-block="{booked.pk}"', html)
    assert 'id="by-rooms"' in html and 'aria-current="true">Rooms' in html


def test_rooms_grid_partial_and_toggle_back(client_for, booked):
    client = client_for("practitioner")
    grid = client.get("/schedule/grid/", {"date": "2026-12-01", "location": booked.location_id, "by": "rooms"})
    assert grid.status_code == 200 and 'data-by="rooms"' in grid.content.decode()
    day = client.get("/schedule/", {"date": "2026-12-01", "location": booked.location_id, "by": "nonsense"})
    assert 'data-by="practitioners"' in day.content.decode()
    assert "&by=rooms" not in day.content.decode().split('id="px-grid"')[1].split(">")[0]


def test_week_view_for_one_practitioner(client_for, booked, prac):
    client = client_for("front_desk")
    resp = client.get("/schedule/week/", {"date": "2026-12-02", "location": booked.location_id,
                                          "practitioner": prac["li"].pk})
    html = resp.content.decode()
    assert resp.status_code == 200 and 'data-monday="2026-11-30"' in html
    assert html.count('data-day="') == 7 and 'data-day="2026-12-06"' in html
    # Tuesday is the third column (after Time and Monday); Li's acupuncture is the block's 2 of 3.
    assert re.search(rf'px-appt px-col-3 px-row-\d+ px-span-\d+ st-booked px-linked"\s+data-block="{booked.pk}"',
                     html)
    assert "2 of 3" in html and "1 of 3" not in html and "style=" not in html
    assert f'hx-get="/schedule/blocks/{booked.pk}/"' in html
    assert "?date=2026-11-23" in html and "?date=2026-12-07" in html  # previous / next week
    nxt = client.get("/schedule/week/", {"date": "2026-12-07", "location": booked.location_id,
                                         "practitioner": prac["li"].pk})
    assert nxt.status_code == 200 and f'data-block="{booked.pk}"' not in nxt.content.decode()
    part = client.get("/schedule/week/", {"date": "2026-12-02", "location": booked.location_id,
                                          "practitioner": prac["li"].pk, "partial": "1"}, HTTP_HX_REQUEST="true")
    assert part.status_code == 200 and "<html" not in part.content.decode() and 'id="px-week"' in part.content.decode()


def test_week_view_defaults_to_a_practitioner_and_ignores_a_bad_one(client_for, booked):
    resp = client_for("virtual_assistant").get("/schedule/week/", {"practitioner": "x", "date": "2026-12-01"})
    assert resp.status_code == 200 and 'id="px-week"' in resp.content.decode()


def test_week_grid_places_cards_by_local_day_and_time(booked, prac):
    grid = week_grid(prac["li"], pdx(1, 12).date(), "America/Los_Angeles")
    assert week_start(pdx(6, 0).date()).isoformat() == "2026-11-30"
    assert [c["day"].isoformat() for c in grid["columns"]][:2] == ["2026-11-30", "2026-12-01"]
    assert grid["columns"][1]["hours"]  # Li works Tuesdays
    (placed,) = grid["placed"]
    assert placed["col"] == 3 and placed["row"] == 2 + (9 * 60 + 30 - 7 * 60) // 15 and placed["of"] == 3
