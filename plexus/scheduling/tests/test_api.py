from __future__ import annotations

import json

import icalendar
import pytest

from plexus.scheduling.models import Appointment, VisitBlock

from .conftest import pdx


def _post(client, url, body):
    return client.post(url, data=json.dumps(body), content_type="application/json")


def _components(three):
    return [{"service_id": p.service_id, "practitioner_id": p.practitioner_id, "room_id": p.room_id,
             "start": p.start.isoformat()} for p in three]


def patient_loc() -> int:
    from plexus.core.models import Location

    return Location.objects.get(name="Portland Downtown").pk


@pytest.fixture
def api(client_for, sched):
    return client_for("front_desk")


def test_search_then_book_then_get_and_list(api, patient, svc):
    body = {"components": [{"service_id": svc["md"].pk}, {"service_id": svc["acu"].pk},
                           {"service_id": svc["massage"].pk}],
            "range_start": pdx(1, 0).isoformat(), "patient_id": patient.pk, "location_id": patient_loc(), "limit": 3}
    resp = _post(api, "/api/scheduling/search", body)
    assert resp.status_code == 200, resp.content
    option = resp.json()["items"][0]
    assert len(option["components"]) == 3
    resp = _post(api, "/api/scheduling/blocks", {"patient_id": patient.pk, "components": option["components"]})
    assert resp.status_code == 201, resp.content
    block = resp.json()
    assert [c["status"] for c in block["components"]] == ["booked"] * 3
    got = api.get(f"/api/scheduling/blocks/{block['id']}").json()
    assert got["history"][0]["action"] == "booked"
    listed = api.get("/api/scheduling/blocks", {"date": "2026-12-01", "patient_id": patient.pk}).json()
    assert listed["count"] == 1 and listed["items"][0]["id"] == block["id"]
    pid = option["components"][0]["practitioner_id"]
    assert api.get("/api/scheduling/blocks", {"practitioner_id": pid}).json()["count"] == 1
    # Booking the same option again is a 409 problem naming the first component.
    resp = _post(api, "/api/scheduling/blocks", {"patient_id": patient.pk, "components": option["components"]})
    assert resp.status_code == 409 and resp["Content-Type"] == "application/problem+json"
    assert resp.json()["errors"][0]["field"] == "components[0]"
    assert VisitBlock.objects.count() == 1


def test_search_bad_input_is_422_problem(api, svc):
    body = {"components": [{"service_id": 999_999}], "range_start": pdx(1, 0).isoformat()}
    resp = _post(api, "/api/scheduling/search", body)
    assert resp.status_code == 422 and resp.json()["errors"][0]["field"] == "components[0].service_id"
    body = {"components": [{"service_id": svc["md"].pk}, {"service_id": svc["acu"].pk, "concurrent_with": 5}],
            "range_start": pdx(1, 0).isoformat()}
    resp = _post(api, "/api/scheduling/search", body)
    assert resp.status_code == 422 and resp.json()["errors"][0]["field"] == "components[1].concurrent_with"


def test_book_bad_input_is_422_and_saves_nothing(api, patient, three):
    comps = _components(three)
    comps[1]["end"] = pdx(1, 9).isoformat()
    resp = _post(api, "/api/scheduling/blocks", {"patient_id": patient.pk, "components": comps})
    assert resp.status_code == 422 and resp.json()["errors"][0]["field"] == "components[1].end"
    assert not Appointment.objects.exists()


def test_cancel_status_checkin_reschedule(api, patient, three):
    block = _post(api, "/api/scheduling/blocks", {"patient_id": patient.pk, "components": _components(three)}).json()
    appt = block["components"][0]["id"]
    resp = _post(api, f"/api/scheduling/appointments/{appt}/status", {"status": "confirmed"})
    assert resp.status_code == 200 and resp.json()["components"][0]["status"] == "confirmed"
    found = _post(api, f"/api/scheduling/blocks/{block['id']}/reschedule/search",
                  {"range_start": pdx(2, 0).isoformat(), "limit": 2}).json()
    target = found["items"][0]["components"]
    moved = _post(api, f"/api/scheduling/blocks/{block['id']}/reschedule", {"components": target})
    assert moved.status_code == 200, moved.content
    assert moved.json()["start"].startswith("2026-12-02") and moved.json()["sequence"] > block["sequence"]
    third = moved.json()["components"][2]["id"]
    resp = _post(api, f"/api/scheduling/appointments/{third}/cancel", {"reason": "No time"})
    assert resp.json()["components"][2]["status"] == "cancelled"
    resp = _post(api, f"/api/scheduling/blocks/{block['id']}/check-in", {})
    assert resp.json()["status"] == "arrived"
    resp = _post(api, f"/api/scheduling/blocks/{block['id']}/cancel", {"reason": "Left"})
    assert resp.status_code == 200 and resp.json()["status"] == "cancelled"
    assert _post(api, f"/api/scheduling/blocks/{block['id']}/cancel", {"reason": "x"}).status_code == 409
    assert api.get("/api/scheduling/blocks/999999").status_code == 404


def test_block_ics_has_stable_uids_sequence_and_cancelled(api, patient, three):
    block = _post(api, "/api/scheduling/blocks", {"patient_id": patient.pk, "components": _components(three)}).json()
    first = icalendar.Calendar.from_ical(api.get(f"/api/scheduling/blocks/{block['id']}/ics").content)
    events = first.walk("VEVENT")
    assert len(events) == 3 and all(str(e["STATUS"]) == "CONFIRMED" for e in events)
    assert "Lopez" not in first.to_ical().decode()
    _post(api, f"/api/scheduling/blocks/{block['id']}/cancel", {"reason": "Sick"})
    after = icalendar.Calendar.from_ical(api.get(f"/api/scheduling/blocks/{block['id']}/ics").content)
    again = after.walk("VEVENT")
    assert [str(e["UID"]) for e in again] == [str(e["UID"]) for e in events]
    assert all(int(b["SEQUENCE"]) > int(a["SEQUENCE"]) for a, b in zip(events, again, strict=True))
    assert all(str(e["STATUS"]) == "CANCELLED" for e in again)


def test_practitioner_feed_is_secret_and_revocable(api, client, patient, three, prac):
    _post(api, "/api/scheduling/blocks", {"patient_id": patient.pk, "components": _components(three)})
    resp = _post(api, "/api/scheduling/feeds", {"practitioner_id": prac["li"].pk})
    assert resp.status_code == 201
    feed = resp.json()
    cal = icalendar.Calendar.from_ical(client.get(feed["url"]).content)
    assert [str(e["SUMMARY"]) for e in cal.walk("VEVENT")] == ["Acupuncture, initial 15 min (97810) (P900001)"]
    assert "token" not in api.get("/api/scheduling/feeds").json()[0]
    assert client.get("/schedule/feeds/cal_wrong.ics").status_code == 404
    assert api.delete(f"/api/scheduling/feeds/{feed['id']}").json()["revoked_at"]
    assert client.get(feed["url"]).status_code == 404


def test_hours_exceptions_closures_crud(api, prac):
    loc = prac["li"].locations.first().pk
    resp = _post(api, "/api/scheduling/hours", {"practitioner_id": prac["li"].pk, "location_id": loc, "weekday": 6,
                                                "start_time": "10:00", "end_time": "12:00"})
    assert resp.status_code == 201
    hours_id = resp.json()["id"]
    bad = _post(api, "/api/scheduling/hours", {"practitioner_id": prac["li"].pk, "location_id": loc, "weekday": 6,
                                               "start_time": "11:00", "end_time": "10:00"})
    assert bad.status_code == 422 and bad.json()["errors"][0]["field"] == "end_time"
    overlap = _post(api, "/api/scheduling/hours", {"practitioner_id": prac["li"].pk, "location_id": loc,
                                                   "weekday": 6, "start_time": "11:00", "end_time": "13:00"})
    assert overlap.status_code == 422
    assert any(h["weekday"] == 6 for h in api.get(f"/api/scheduling/hours?practitioner_id={prac['li'].pk}").json())
    assert api.delete(f"/api/scheduling/hours/{hours_id}").status_code == 204
    exc = _post(api, "/api/scheduling/exceptions", {"practitioner_id": prac["li"].pk, "kind": "time_off",
                                                    "start": pdx(3, 8).isoformat(), "end": pdx(3, 17).isoformat()})
    assert exc.status_code == 201
    assert len(api.get("/api/scheduling/exceptions").json()) == 1
    assert _post(api, "/api/scheduling/exceptions", {"practitioner_id": prac["li"].pk, "kind": "extra",
                                                     "start": pdx(3, 8).isoformat(),
                                                     "end": pdx(3, 17).isoformat()}).status_code == 422
    assert api.delete(f"/api/scheduling/exceptions/{exc.json()['id']}").status_code == 204
    clo = _post(api, "/api/scheduling/closures", {"start_date": "2026-12-24", "end_date": "2026-12-25",
                                                  "reason": "Holiday"})
    assert clo.status_code == 201 and len(api.get("/api/scheduling/closures").json()) == 1
    assert _post(api, "/api/scheduling/closures", {"start_date": "2026-12-25",
                                                   "end_date": "2026-12-24"}).status_code == 422
    assert api.delete(f"/api/scheduling/closures/{clo.json()['id']}").status_code == 204
    assert api.delete("/api/scheduling/closures/999999").status_code == 404
