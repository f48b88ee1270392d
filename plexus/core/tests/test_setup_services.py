"""Practice setup services: bad input names the field and saves nothing."""

import json

import pytest

from plexus.core import services
from plexus.core.errors import ApplicationError
from plexus.core.models import Discipline, Location, Payer, Practitioner, Service


def _prac_data(**over):
    data = dict(first_name="Ana", last_name="Test", discipline=Discipline.objects.get(code="md"), credentials="MD",
                npi="1234567893", taxonomy_code="207Q00000X")
    data.update(over)
    return data


def _field(exc: ApplicationError) -> set[str]:
    return {e.field for e in exc.errors}


def test_practitioner_created_with_locations_and_payers(clinic, admin_actor):
    loc = Location.objects.first()
    p = services.practitioner_create(actor=admin_actor, data=_prac_data(), locations=[loc],
                                     payers=list(Payer.objects.all()[:2]))
    assert list(p.locations.all()) == [loc] and p.payers.count() == 2


@pytest.mark.parametrize(("over", "field"), [
    ({"npi": "1234567890"}, "npi"),
    ({"taxonomy_code": "207Q0000"}, "taxonomy_code"),
    ({"first_name": ""}, "first_name"),
])
def test_practitioner_bad_input_names_field_and_saves_nothing(clinic, admin_actor, over, field):
    before = Practitioner.objects.count()
    with pytest.raises(ApplicationError) as err:
        services.practitioner_create(actor=admin_actor, data=_prac_data(**over), locations=[Location.objects.first()])
    assert field in _field(err.value)
    assert err.value.status == 422
    assert Practitioner.objects.count() == before


def test_practitioner_needs_a_location(clinic, admin_actor):
    with pytest.raises(ApplicationError) as err:
        services.practitioner_create(actor=admin_actor, data=_prac_data(), locations=[])
    assert "locations" in _field(err.value)


def test_acupuncturist_needs_a_supervisor_who_can_supervise(clinic, admin_actor):
    lac = Discipline.objects.get(code="lac")
    loc = [Location.objects.first()]
    with pytest.raises(ApplicationError) as err:
        services.practitioner_create(actor=admin_actor, data=_prac_data(discipline=lac, taxonomy_code="171100000X"),
                                     locations=loc)
    assert _field(err.value) == {"supervising_physician"}
    massage_therapist = Practitioner.objects.filter(discipline__code="lmt").first()
    with pytest.raises(ApplicationError, match="physician, NP or PA"):
        services.practitioner_create(
            actor=admin_actor, data=_prac_data(discipline=lac, taxonomy_code="171100000X",
                                               supervising_physician=massage_therapist), locations=loc)
    md = Practitioner.objects.filter(discipline__code="md").first()
    ok = services.practitioner_create(
        actor=admin_actor, data=_prac_data(discipline=lac, taxonomy_code="171100000X", supervising_physician=md),
        locations=loc)
    assert ok.supervising_physician == md


def test_location_bad_time_zone_and_phone(clinic, admin_actor):
    data = dict(name="Annex", address_line1="1 Main", city="Portland", state="OR", postal_code="97204",
                time_zone="Pacific", place_of_service="11")
    with pytest.raises(ApplicationError) as err:
        services.location_create(actor=admin_actor, data=data)
    assert "time_zone" in _field(err.value)
    with pytest.raises(ApplicationError) as err:
        services.location_create(actor=admin_actor, data={**data, "time_zone": "America/Denver", "phone": "123"})
    assert _field(err.value) == {"phone"}
    assert not Location.objects.filter(name="Annex").exists()
    loc = services.location_create(actor=admin_actor, data={**data, "time_zone": "America/Denver",
                                                            "phone": "(303) 555-0199"})
    assert loc.phone == "+13035550199"


def test_service_needs_valid_code_and_a_discipline(clinic, admin_actor):
    data = dict(name="Cupping", duration_minutes=30, room_type="treatment_table", procedure_code="CUP01",
                default_fee="40.00", coverage_category="direct_pay", hsa_eligibility="not_eligible")
    with pytest.raises(ApplicationError) as err:
        services.service_create(actor=admin_actor, data=data, disciplines=[])
    assert {"procedure_code", "disciplines"} <= _field(err.value)
    assert not Service.objects.filter(name="Cupping").exists()


def test_api_problem_document_names_field(clinic, client_for):
    resp = client_for("admin").post("/api/practitioners", data=json.dumps({
        "first_name": "Ana", "last_name": "Bad", "discipline_id": Discipline.objects.get(code="md").pk,
        "credentials": "MD", "npi": "1234567890", "taxonomy_code": "207Q00000X",
        "location_ids": [Location.objects.first().pk]}), content_type="application/json")
    assert resp.status_code == 422
    assert resp["Content-Type"] == "application/problem+json"
    doc = resp.json()
    assert doc["errors"][0]["field"] == "npi" and "NPI" in doc["detail"]
    assert not Practitioner.objects.filter(last_name="Bad").exists()


def test_api_type_errors_are_problem_documents(clinic, client_for):
    resp = client_for("admin").post("/api/rooms", data=json.dumps({"location_id": "x", "name": "R"}),
                                    content_type="application/json")
    assert resp.status_code == 422
    fields = {e["field"] for e in resp.json()["errors"]}
    assert "location_id" in fields and "room_type" in fields


def test_setup_screen_shows_errors_and_keeps_nothing(clinic, client_for):
    client = client_for("admin")
    resp = client.post("/setup/locations/new/", {"name": "Bad TZ", "address_line1": "1", "city": "P", "state": "OR",
                                                 "postal_code": "97204", "time_zone": "Nowhere/Land",
                                                 "place_of_service": "11"})
    assert resp.status_code == 422
    assert b"IANA time zone" in resp.content
    assert not Location.objects.filter(name="Bad TZ").exists()
    resp = client.post("/setup/locations/new/", {"name": "Good", "address_line1": "1", "city": "P", "state": "OR",
                                                 "postal_code": "97204", "time_zone": "America/Chicago",
                                                 "place_of_service": "11"})
    assert resp.status_code == 302 and Location.objects.filter(name="Good").exists()


def test_setup_tabs_render_for_htmx(clinic, client_for):
    client = client_for("front_desk")
    for tab in ("practice", "locations", "rooms", "practitioners", "services", "payers"):
        resp = client.get(f"/setup/{tab}/", HTTP_HX_REQUEST="true")
        assert resp.status_code == 200
        assert b"<html" not in resp.content
    assert b"Therapeutic massage 60 min" in client.get("/setup/services/").content
