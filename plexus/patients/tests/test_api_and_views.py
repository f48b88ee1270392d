"""Patients over HTTP: search, filters, pagination, create and edit, chart tabs by role."""

import json

import pytest

from plexus.patients.demo import load_patients
from plexus.patients.models import Patient


@pytest.fixture
def demo_patients(clinic):
    load_patients(60)


def test_search_by_name_dob_phone_member_id(demo_patients, client_for):
    client = client_for("virtual_assistant")
    maria = Patient.objects.get(legal_first_name="Maria", legal_last_name="Lopez")
    for query in ("q=lopez maria", "q=Maria+Lop", f"q={maria.chart_number}", "date_of_birth=1974-05-14",
                  "phone=(503) 555-0142", "member_id=evg8842001"):
        body = client.get(f"/api/patients?{query}").json()
        assert maria.pk in [p["id"] for p in body["items"]], query
    assert client.get("/api/patients?q=zzzznotaname").json()["count"] == 0


def test_search_paginates(demo_patients, client_for):
    client = client_for("front_desk")
    first = client.get("/api/patients?limit=10&offset=0").json()
    second = client.get("/api/patients?limit=10&offset=10").json()
    assert first["count"] == 60 and len(first["items"]) == 10
    assert not {p["id"] for p in first["items"]} & {p["id"] for p in second["items"]}
    assert client.get("/api/patients?limit=5000").json()["limit"] == 200


def test_search_bad_date_is_a_problem_document(clinic, client_for):
    resp = client_for("front_desk").get("/api/patients?date_of_birth=14/05/1974")
    assert resp.status_code == 422
    assert resp.json()["errors"][0]["field"] == "date_of_birth"


def test_create_patient_via_api(clinic, client_for):
    client = client_for("front_desk")
    resp = client.post("/api/patients", data=json.dumps({
        "legal_first_name": "Kai", "legal_last_name": "Ng", "date_of_birth": "1992-02-02", "sex_for_claims": "M",
        "phone_mobile": "5035550177"}), content_type="application/json")
    assert resp.status_code == 201
    assert resp.json()["phone_mobile"] == "+15035550177"
    bad = client.post("/api/patients", data=json.dumps({
        "legal_first_name": "Kai", "legal_last_name": "Ng2", "date_of_birth": "1992-02-02", "sex_for_claims": "M",
        "email": "kai@"}), content_type="application/json")
    assert bad.status_code == 422 and bad.json()["errors"][0]["field"] == "email"
    assert not Patient.objects.filter(legal_last_name="Ng2").exists()


def test_patch_rejects_unknown_field(patient, client_for):
    resp = client_for("front_desk").patch(f"/api/patients/{patient.pk}", data=json.dumps({"shoe_size": 9}),
                                          content_type="application/json")
    assert resp.status_code == 422 and resp.json()["errors"][0]["field"] == "shoe_size"


def test_unknown_patient_is_404_problem(clinic, client_for):
    resp = client_for("front_desk").get("/api/patients/999999")
    assert resp.status_code == 404 and resp["Content-Type"] == "application/problem+json"


def test_coverage_api(patient, client_for):
    from plexus.core.models import Payer

    client = client_for("billing")
    covs = client.get(f"/api/patients/{patient.pk}/coverages").json()
    assert covs[0]["payer_name"] == "Evergreen Health PPO" and covs[0]["priority"] == 1
    clash = client.post(f"/api/patients/{patient.pk}/coverages", data=json.dumps({
        "payer_id": Payer.objects.get(payer_id="SUMM2").pk, "member_id": "S1", "priority": 1,
        "effective_date": "2026-03-01"}), content_type="application/json")
    assert clash.status_code == 422 and clash.json()["errors"][0]["field"] == "priority"


def test_search_screen_and_htmx_results(demo_patients, client_for):
    client = client_for("front_desk")
    page = client.get("/patients/?q=Lopez")
    assert page.status_code == 200 and b"Lopez, Maria" in page.content and b"<html" in page.content
    partial = client.get("/patients/?q=Lopez", HTTP_HX_REQUEST="true")
    assert b"Lopez, Maria" in partial.content and b"<html" not in partial.content


def test_chart_tabs_follow_role(patient, client_for):
    va = client_for("virtual_assistant").get(f"/patients/{patient.pk}/").content
    assert b"Billing" in va and b"Documents" in va  # administrative documents; clinical ones stay closed
    assert b"Care team" in va  # the tab shows updates' status for chasing; content is for the care team
    doc = client_for("practitioner").get(f"/patients/{patient.pk}/").content
    assert b"Documents" in doc and b"Billing" not in doc
    assert b"EVG8842001" in doc and b"Evergreen Health PPO" in doc


def test_chart_unknown_patient_404(clinic, client_for):
    assert client_for("front_desk").get("/patients/999999/").status_code == 404


def test_new_patient_form_shows_field_errors(clinic, client_for):
    client = client_for("front_desk")
    resp = client.post("/patients/new/", {"legal_first_name": "Lu", "legal_last_name": "Bad", "date_of_birth":
                                          "1990-01-01", "sex_for_claims": "F", "phone_mobile": "12",
                                          "preferred_language": "en", "time_zone": "America/Denver",
                                          "preferred_channel": "sms"})
    assert resp.status_code == 422 and b"is not a valid phone number" in resp.content
    assert not Patient.objects.filter(legal_last_name="Bad").exists()
    resp = client.post("/patients/new/", {"legal_first_name": "Lu", "legal_last_name": "Good", "date_of_birth":
                                          "1990-01-01", "sex_for_claims": "F", "phone_mobile": "5035550150",
                                          "preferred_language": "en", "time_zone": "America/Denver",
                                          "preferred_channel": "sms"})
    assert resp.status_code == 302
    assert Patient.objects.get(legal_last_name="Good").phone_mobile == "+15035550150"


def test_add_coverage_screen(patient, client_for):
    from plexus.core.models import Payer

    resp = client_for("front_desk").post(f"/patients/{patient.pk}/coverages/new/", {
        "payer": Payer.objects.get(payer_id="SUMM2").pk, "member_id": "S-77", "relationship": "18", "priority": 1,
        "effective_date": "2026-02-01"})
    assert resp.status_code == 422 and b"overlapping dates" in resp.content
    resp = client_for("front_desk").post(f"/patients/{patient.pk}/coverages/new/", {
        "payer": Payer.objects.get(payer_id="SUMM2").pk, "member_id": "S-77", "relationship": "18", "priority": 2,
        "effective_date": "2026-02-01"})
    assert resp.status_code == 302 and patient.coverages.count() == 2
