"""Referrals, recurring series and the waitlist over HTTP: API (problem documents) and staff screens."""

from __future__ import annotations

import json
from datetime import date

import pytest

from plexus.core.models import Discipline
from plexus.patients.models import Patient
from plexus.scheduling import services, waitlist
from plexus.scheduling.models import Referral, VisitBlock, VisitSeries, WaitlistEntry, WaitlistOffer
from plexus.scheduling.services import Placement
from plexus.scheduling.setup_services import closure_create

from .conftest import pdx


def _post(client, url, body):
    return client.post(url, data=json.dumps(body), content_type="application/json")


@pytest.fixture
def api(client_for, sched):
    return client_for("front_desk")


@pytest.fixture
def lac(clinic):
    return Discipline.objects.get(code="lac")


@pytest.fixture
def holiday(admin_actor, sched):
    closure_create(actor=admin_actor, start_date=date(2026, 12, 15), end_date=date(2026, 12, 15),
                   reason="Staff training")


def _series_body(patient, svc, prac, room, **kw):
    return {"patient_id": patient.pk, "interval_weeks": 1, "occurrences": 6,
            "components": [{"service_id": svc["acu"].pk, "practitioner_id": prac["li"].pk,
                            "room_id": room["Treatment 1"].pk, "start": pdx(1, 10).isoformat()}], **kw}


def test_api_referral_to_series_with_alternative(client_for, api, patient, svc, prac, room, lac, holiday):
    doc = client_for("practitioner")
    body = {"patient_id": patient.pk, "to_discipline_id": lac.pk, "service_ids": [svc["acu"].pk],
            "sessions_wanted": 6, "reason": "Low back pain", "icd10_codes": ["M5450"],
            "from_practitioner_id": prac["chen"].pk, "to_practitioner_id": prac["li"].pk, "priority": 2}
    resp = _post(doc, "/api/scheduling/referrals", body)
    assert resp.status_code == 201, resp.content
    ref = resp.json()
    assert ref["icd10_codes"] == ["M54.50"] and ref["sessions_booked"] == 0

    preview = _post(api, "/api/scheduling/series/preview", _series_body(patient, svc, prac, room))
    assert preview.status_code == 200, preview.content
    data = preview.json()
    assert data["conflicts"] == 1 and data["occurrences"][2]["free"] is False
    assert "closed" in data["occurrences"][2]["reason"] and not VisitBlock.objects.exists()
    alt = data["occurrences"][2]["alternative"]

    resp = _post(api, "/api/scheduling/series", _series_body(patient, svc, prac, room, referral_id=ref["id"]))
    assert resp.status_code == 409 and resp.json()["errors"][0]["field"] == "occurrences[2]"
    assert not VisitBlock.objects.exists() and not VisitSeries.objects.exists()

    resp = _post(api, "/api/scheduling/series", _series_body(patient, svc, prac, room, referral_id=ref["id"],
                                                             mode="free",
                                                             alternatives=[{"index": 2, "components": alt}]))
    assert resp.status_code == 201, resp.content
    series = resp.json()
    assert len(series["blocks"]) == 6 and series["skipped"] == []
    got = api.get(f"/api/scheduling/referrals/{ref['id']}").json()
    assert got["sessions_booked"] == 6 and got["status"] == "scheduled" and got["reason"] == "Low back pain"
    # Virtual assistants see the progress, not the reason or the diagnosis codes.
    va = client_for("virtual_assistant").get(f"/api/scheduling/referrals/{ref['id']}").json()
    assert "reason" not in va and "icd10_codes" not in va and va["sessions_booked"] == 6
    assert api.get("/api/scheduling/referrals", {"status": "scheduled"}).json()[0]["id"] == ref["id"]
    assert api.get("/api/scheduling/series", {"patient_id": patient.pk}).json()[0]["id"] == series["id"]
    assert api.get(f"/api/scheduling/series/{series['id']}").json()["occurrences"] == 6
    resp = _post(api, f"/api/scheduling/series/{series['id']}/cancel", {"reason": "Stopped"})
    assert resp.status_code == 200 and resp.json()["cancelled"] == 6
    assert api.get(f"/api/scheduling/referrals/{ref['id']}").json()["sessions_booked"] == 0


def test_api_bad_input_is_422_problem_and_nothing_saved(api, patient, svc, prac, room, lac):
    resp = _post(api, "/api/scheduling/series/preview", _series_body(patient, svc, prac, room, occurrences=0))
    assert resp.status_code == 422 and resp.json()["errors"][0]["field"] == "occurrences"
    resp = _post(api, "/api/scheduling/referrals", {"patient_id": patient.pk, "to_discipline_id": lac.pk,
                                                    "service_ids": [svc["acu"].pk], "sessions_wanted": 6,
                                                    "reason": "x", "icd10_codes": ["back"],
                                                    "from_practitioner_id": prac["chen"].pk})
    assert resp.status_code == 422 and resp.json()["errors"][0]["field"] == "icd10_codes[0]"
    resp = _post(api, "/api/scheduling/waitlist", {"patient_id": patient.pk, "service_ids": [999_999],
                                                   "earliest_date": "2026-12-01", "latest_date": "2026-12-02"})
    assert resp.status_code == 422 and resp.json()["errors"][0]["field"] == "service_ids[0]"
    assert resp["Content-Type"] == "application/problem+json"
    assert not Referral.objects.exists() and not WaitlistEntry.objects.exists() and not VisitSeries.objects.exists()
    assert _post(api, "/api/scheduling/referrals/999/cancel", {"reason": "x"}).status_code == 404


@pytest.fixture
def freed(admin_actor, patient, svc, prac, room, django_capture_on_commit_callbacks):
    """Maria waits for Li on 1 December; Ann Bell's 10:00 visit is cancelled: Maria is offered it."""
    ann = Patient.objects.create(chart_number="P900002", legal_first_name="Ann", legal_last_name="Bell",
                                 date_of_birth="1980-01-01", sex_for_claims="F")
    block = services.visit_block_book(actor=admin_actor, patient=ann, components=[
        Placement(svc["acu"].pk, prac["li"].pk, pdx(1, 10), room["Treatment 1"].pk)])
    entry = waitlist.waitlist_entry_create(actor=admin_actor, patient=patient, service_ids=[svc["acu"].pk],
                                           earliest_date=date(2026, 12, 1), latest_date=date(2026, 12, 1),
                                           practitioner_ids=[prac["li"].pk], time_of_day="morning")
    with django_capture_on_commit_callbacks(execute=True):
        services.visit_block_cancel(actor=admin_actor, block=block, reason="Sick")
    return entry


def test_api_waitlist_offer_accept_and_lists(api, freed, patient):
    entries = api.get("/api/scheduling/waitlist", {"status": "offered"}).json()
    assert [e["id"] for e in entries] == [freed.pk]
    offers = api.get("/api/scheduling/waitlist/offers").json()
    assert len(offers) == 1 and offers[0]["start"].startswith("2026-12-01T18:00")
    resp = _post(api, f"/api/scheduling/waitlist/offers/{offers[0]['id']}/accept", {})
    assert resp.status_code == 200 and resp.json()["patient_id"] == patient.pk
    resp = _post(api, f"/api/scheduling/waitlist/offers/{offers[0]['id']}/decline", {})
    assert resp.status_code == 409
    assert _post(api, f"/api/scheduling/waitlist/{freed.pk}/remove", {}).status_code == 409


def test_api_referral_to_waitlist_and_remove(api, admin_actor, patient, svc, prac, lac):
    from plexus.scheduling.referrals import referral_create

    ref = referral_create(actor=admin_actor, patient=patient, to_discipline_id=lac.pk, service_ids=[svc["acu"].pk],
                          sessions_wanted=1, reason="Pain", from_practitioner_id=prac["chen"].pk)
    resp = _post(api, f"/api/scheduling/referrals/{ref.pk}/waitlist",
                 {"earliest_date": "2026-12-01", "latest_date": "2026-12-31"})
    assert resp.status_code == 201 and resp.json()["discipline_ids"] == [lac.pk]
    entry = resp.json()["id"]
    assert _post(api, f"/api/scheduling/waitlist/{entry}/remove", {}).json()["status"] == "removed"
    resp = _post(api, "/api/scheduling/waitlist", {"patient_id": patient.pk, "service_ids": [svc["acu"].pk],
                                                   "earliest_date": "2026-12-01", "latest_date": "2026-12-02",
                                                   "referral_id": ref.pk, "weekdays": [1, 2]})
    assert resp.status_code == 201 and resp.json()["weekdays"] == [1, 2]
    assert _post(api, f"/api/scheduling/referrals/{ref.pk}/cancel", {"reason": "Done"}).json()["status"] == "cancelled"


# -- staff screens ------------------------------------------------------------------------------

def test_referral_screens(client_for, patient, svc, prac, lac, sched):
    doc = client_for("practitioner")
    assert doc.get("/schedule/referrals/new/").status_code == 200
    assert "Lopez" in doc.get("/schedule/referrals/patients/", {"patient_q": "Lopez"}).content.decode()
    bad = doc.post("/schedule/referrals/new/", {"patient_id": patient.pk, "to_discipline_id": lac.pk,
                                                "service_ids": [svc["acu"].pk], "sessions_wanted": 6,
                                                "reason": "Pain", "icd10_codes": "nonsense",
                                                "from_practitioner_id": prac["chen"].pk})
    assert bad.status_code == 422 and "icd10_codes[0]" in bad.content.decode() and not Referral.objects.exists()
    resp = doc.post("/schedule/referrals/new/", {"patient_id": patient.pk, "to_discipline_id": lac.pk,
                                                 "service_ids": [svc["acu"].pk], "sessions_wanted": 6,
                                                 "reason": "Pain", "icd10_codes": "M54.50, G89.29",
                                                 "from_practitioner_id": prac["chen"].pk, "priority": 1})
    ref = Referral.objects.get()
    assert resp.status_code == 302 and resp["Location"] == f"/schedule/referrals/{ref.pk}/"
    page = doc.get(resp["Location"]).content.decode()
    assert "M54.50" in page and "Book as a series" not in page  # practitioners do not book
    desk = client_for("front_desk")
    page = desk.get(f"/schedule/referrals/{ref.pk}/").content.decode()
    assert "Book as a series" in page and "style=" not in page
    listing = client_for("virtual_assistant").get("/schedule/referrals/").content.decode()
    assert "Maria Lopez" in listing and "M54.50" not in listing and "Pain" not in listing
    resp = desk.post(f"/schedule/referrals/{ref.pk}/waitlist/", {"earliest_date": "2026-12-01",
                                                                 "latest_date": "2026-12-31"})
    assert resp.status_code == 302 and WaitlistEntry.objects.get().referral_id == ref.pk
    assert desk.post(f"/schedule/referrals/{ref.pk}/cancel/", {"reason": ""}).status_code == 422
    assert desk.post(f"/schedule/referrals/{ref.pk}/cancel/", {"reason": "No"}).status_code == 302
    assert Referral.objects.get().status == "cancelled"


def _form(patient, svc, prac, loc, **kw):
    return {"patient_id": patient.pk, "service_0": svc["acu"].pk, "practitioner_0": prac["li"].pk,
            "first_date": "2026-12-01", "first_time": "10:00", "location_id": loc, "interval_weeks": 1,
            "occurrences": 6, **kw}


def test_series_screens_preview_book_and_cancel(client_for, patient, svc, prac, room, holiday):
    desk = client_for("front_desk")
    loc = room["Treatment 1"].location_id
    assert desk.get("/schedule/series/new/", {"patient": patient.pk}).status_code == 200
    resp = desk.post("/schedule/series/preview/", _form(patient, svc, prac, loc), HTTP_HX_REQUEST="true")
    html = resp.content.decode()
    assert resp.status_code == 200 and html.count("px-occ-free") == 5 and "Staff training" in html
    assert 'name="alt_2"' in html and not VisitBlock.objects.exists()
    alt = html.split('name="alt_2" value="')[1].split('"')[0].replace("&quot;", '"')
    resp = desk.post("/schedule/series/book/", {**_form(patient, svc, prac, loc), "mode": "all"},
                     HTTP_HX_REQUEST="true")
    assert resp.status_code == 409 and "Occurrence 3" in resp.content.decode() and not VisitBlock.objects.exists()
    resp = desk.post("/schedule/series/book/", {**_form(patient, svc, prac, loc), "mode": "free", "use_alt": "2",
                                                "alt_2": alt}, HTTP_HX_REQUEST="true")
    series = VisitSeries.objects.get()
    assert resp.status_code == 204 and resp["HX-Redirect"] == f"/schedule/series/{series.pk}/"
    assert series.blocks.count() == 6
    page = desk.get(f"/schedule/series/{series.pk}/").content.decode()
    assert page.count("Booked") >= 6 and "Cancel future visits" in page
    assert desk.post(f"/schedule/series/{series.pk}/cancel/", {"reason": "Stop"}).status_code == 302
    assert VisitSeries.objects.get().status == "cancelled"


def test_series_screen_bad_input(client_for, patient, svc, prac, room, sched):
    desk = client_for("front_desk")
    loc = room["Treatment 1"].location_id
    resp = desk.post("/schedule/series/preview/", _form(patient, svc, prac, loc, practitioner_0=""))
    assert resp.status_code == 422 and "components[0].practitioner_id" in resp.content.decode()
    resp = desk.post("/schedule/series/preview/", _form(patient, svc, prac, loc, first_date="nope"))
    assert resp.status_code == 422
    resp = desk.post("/schedule/series/book/", {**_form(patient, svc, prac, loc), "mode": "free", "use_alt": "2",
                                                "alt_2": "{broken"})
    assert resp.status_code == 422 and not VisitSeries.objects.exists()


def test_waitlist_screen_accept_decline_remove(client_for, freed, patient):
    desk = client_for("front_desk")
    html = desk.get("/schedule/waitlist/").content.decode()
    assert "Maria Lopez" in html and "Held until" in html and "style=" not in html
    offer = WaitlistOffer.objects.get()
    assert desk.post(f"/schedule/waitlist/offers/{offer.pk}/decline/").status_code == 302
    assert WaitlistEntry.objects.get().status == "waiting"
    assert desk.post(f"/schedule/waitlist/offers/{offer.pk}/accept/").status_code == 409
    assert desk.post(f"/schedule/waitlist/{freed.pk}/remove/").status_code == 302
    assert WaitlistEntry.objects.get().status == "removed"
    assert "Nobody is waiting" in desk.get("/schedule/waitlist/").content.decode()


def test_waitlist_screen_accept_books(client_for, freed, patient):
    desk = client_for("front_desk")
    offer = WaitlistOffer.objects.get()
    assert desk.post(f"/schedule/waitlist/offers/{offer.pk}/accept/").status_code == 302
    assert VisitBlock.objects.filter(patient=patient, status="booked").count() == 1
