"""The staff form for a standalone waitlist entry: saves what it is given; bad input names the
field, keeps what was typed, and saves nothing."""

from __future__ import annotations

import pytest

from plexus.core.models import AuditEvent, Discipline, Location
from plexus.scheduling.models import WaitlistEntry


@pytest.fixture
def form(patient, svc, prac):
    return {"patient_id": patient.pk, "service_ids": [svc["acu"].pk, svc["massage"].pk, ""],
            "practitioner_ids": [prac["li"].pk], "discipline_ids": [Discipline.objects.get(code="lmt").pk],
            "location_id": Location.objects.order_by("pk").first().pk, "earliest_date": "2026-12-01",
            "latest_date": "2026-12-18", "weekdays": ["1", "3"], "time_of_day": "morning", "priority": "1",
            "note": "Prefers the quiet room"}


def test_form_renders_with_defaults(client_for, sched, patient):
    client = client_for("front_desk")
    resp = client.get("/schedule/waitlist/new/")
    html = resp.content.decode()
    assert resp.status_code == 200 and 'id="waitlist-form"' in html and 'value="2026-11-30"' in html
    assert "style=" not in html and 'id="patient_q"' in html
    chosen = client.get("/schedule/waitlist/new/", {"patient": patient.pk}).content.decode()
    assert "Maria Lopez" in chosen and f'name="patient_id" value="{patient.pk}"' in chosen
    board = client.get("/schedule/waitlist/").content.decode()
    assert "/schedule/waitlist/new/" in board


def test_form_saves_an_entry(client_for, form, patient, svc, prac):
    resp = client_for("front_desk").post("/schedule/waitlist/new/", form, follow=True)
    assert resp.redirect_chain == [("/schedule/waitlist/", 302)]
    entry = WaitlistEntry.objects.get()
    assert entry.patient == patient and entry.service_ids == [svc["acu"].pk, svc["massage"].pk]
    assert list(entry.practitioners.all()) == [prac["li"]] and entry.disciplines.get().code == "lmt"
    assert (entry.weekdays, entry.time_of_day, entry.priority) == ([1, 3], "morning", 1)
    assert entry.earliest_date.isoformat() == "2026-12-01" and entry.status == "waiting" and entry.referral is None
    html = resp.content.decode()
    assert "Maria Lopez is on the waitlist" in html and "Urgent" in html
    assert AuditEvent.objects.filter(object_type="waitlist_entry", object_id=str(entry.pk)).exists()


@pytest.mark.parametrize(("change", "field"), [
    ({"service_ids": ["", "", ""]}, "service_ids"),
    ({"service_ids": ["999999"]}, "service_ids[0]"),
    ({"practitioner_ids": ["999999"]}, "practitioner_ids[0]"),
    ({"latest_date": "2026-11-20"}, "latest_date"),
    ({"earliest_date": "tomorrow"}, "earliest_date"),
    ({"weekdays": ["9"]}, "weekdays[0]"),
    ({"time_of_day": "midnight"}, "time_of_day"),
    ({"priority": "7"}, "priority"),
    ({"location_id": "999999"}, "location_id"),
    ({"patient_id": ""}, "patient_id"),
])
def test_bad_input_names_the_field_and_saves_nothing(client_for, form, change, field):
    audits = AuditEvent.objects.filter(object_type="waitlist_entry").count()
    resp = client_for("front_desk").post("/schedule/waitlist/new/", {**form, **change})
    html = resp.content.decode()
    assert resp.status_code == 422 and f"<code>{field}</code>" in html and "Nothing was changed." in html
    assert "is-invalid" in html and 'id="waitlist-form"' in html
    if field != "latest_date":
        assert 'value="2026-12-18"' in html  # what was typed is kept
    assert not WaitlistEntry.objects.exists()
    assert AuditEvent.objects.filter(object_type="waitlist_entry").count() == audits


def test_api_rejects_bad_input_with_a_problem_naming_the_field(client_for, form):
    import json

    body = {"patient_id": form["patient_id"], "service_ids": [form["service_ids"][0]], "earliest_date": "2026-12-10",
            "latest_date": "2026-12-01"}
    resp = client_for("front_desk").post("/api/scheduling/waitlist", json.dumps(body),
                                         content_type="application/json")
    assert resp.status_code == 422 and resp.json()["errors"][0]["field"] == "latest_date"
    assert not WaitlistEntry.objects.exists()
