import json
from pathlib import Path

from plexus.core.models import AuditEvent
from plexus.records.models import Questionnaire, QuestionnaireResponse

from .conftest import phq

EXAMPLE = (Path(__file__).parent / "data" / "fhir-r4-questionnaire-cqf-example.json").read_text()


def test_list_filters_by_discipline_and_status(client_for, forms):
    c = client_for("practitioner")
    resp = c.get("/api/records/questionnaires")
    assert resp.status_code == 200 and len(resp.json()) == 10
    slugs = {q["slug"] for q in c.get("/api/records/questionnaires?discipline=dc").json()}
    assert slugs == {"general-health-history", "chiropractic-intake"}
    assert c.get("/api/records/questionnaires?status=draft").json() == []


def test_detail_and_fhir_export(client_for, forms):
    c = client_for("front_desk")
    q = forms["symptom-inventory"]
    detail = c.get(f"/api/records/questionnaires/{q.pk}").json()
    assert detail["scored"] and len(detail["pages"]) == 15 and detail["definition"]["slug"] == "symptom-inventory"
    resp = c.get(f"/api/records/questionnaires/{q.pk}/fhir")
    assert resp.status_code == 200 and resp["Content-Type"] == "application/fhir+json"
    assert resp.json()["resourceType"] == "Questionnaire"
    assert c.get("/api/records/questionnaires/999999").status_code == 404


def test_import_publish_retire(client_for, db):
    c = client_for("admin")
    resp = c.post("/api/records/questionnaires/fhir", data=EXAMPLE, content_type="application/fhir+json")
    assert resp.status_code == 201, resp.content
    qid = resp.json()["id"]
    assert resp.json()["status"] == "draft"
    assert c.post(f"/api/records/questionnaires/{qid}/publish").json()["status"] == "active"
    assert c.post(f"/api/records/questionnaires/{qid}/publish").status_code == 409
    assert c.post(f"/api/records/questionnaires/{qid}/retire").json()["status"] == "retired"


def test_import_bad_json_and_bad_fhir_are_problem_documents(client_for, db):
    c = client_for("admin")
    before = Questionnaire.objects.count()
    resp = c.post("/api/records/questionnaires/fhir", data="{nope", content_type="application/json")
    assert resp.status_code == 422 and resp["Content-Type"] == "application/problem+json"
    bad = json.loads(EXAMPLE)
    bad["item"][3]["type"] = "choice-ish"
    resp = c.post("/api/records/questionnaires/fhir", data=json.dumps(bad), content_type="application/json")
    assert resp.status_code == 422
    assert "Questionnaire.item[3].type" in [e["field"] for e in resp.json()["errors"]]
    assert Questionnaire.objects.count() == before


def test_response_lifecycle_over_http(client_for, forms, patient, frozen):
    c = client_for("practitioner")
    resp = c.post("/api/records/responses", data={"patient_id": patient.pk, "questionnaire_id": forms["phq-9"].pk},
                  content_type="application/json")
    assert resp.status_code == 201
    rid = resp.json()["id"]
    assert len(resp.json()["missing_required"]) == 9
    bad = {**phq([1] * 9), "phq9-3": 2}
    resp = c.put(f"/api/records/responses/{rid}/pages/page-phq-9", data={"answers": bad}, content_type="application/json")
    assert resp.status_code == 422 and resp.json()["errors"][0]["field"] == "answers.phq9-3"
    resp = c.put(f"/api/records/responses/{rid}/pages/page-phq-9", data={"answers": phq([2] * 5)}, content_type="application/json")
    assert resp.status_code == 200 and resp.json()["missing_required"] == ["phq9-6", "phq9-7", "phq9-8", "phq9-9"]
    resp = c.post(f"/api/records/responses/{rid}/complete")
    assert resp.status_code == 422 and "4 required questions unanswered" in resp.json()["detail"]
    c.put(f"/api/records/responses/{rid}/pages/page-phq-9", data={"answers": phq([2] * 9)}, content_type="application/json")
    resp = c.post(f"/api/records/responses/{rid}/complete")
    assert resp.status_code == 200
    assert resp.json()["scores"]["total"] == 18 and resp.json()["scores"]["band"]["code"] == "moderately-severe"
    again = c.post(f"/api/records/responses/{rid}/complete")
    assert again.status_code == 409 and again["Content-Type"] == "application/problem+json"
    assert c.get(f"/api/records/responses/{rid}").json()["status"] == "completed"
    assert [r["id"] for r in c.get(f"/api/records/responses?patient_id={patient.pk}").json()] == [rid]
    fhir = c.get(f"/api/records/responses/{rid}/fhir")
    assert fhir.status_code == 200 and fhir.json()["resourceType"] == "QuestionnaireResponse"
    pdf = c.get(f"/api/records/responses/{rid}/pdf")
    assert pdf.status_code == 200 and pdf["Content-Type"] == "application/pdf" and pdf.content.startswith(b"%PDF")
    assert AuditEvent.objects.filter(action="export", patient_id=patient.pk).count() == 2


def test_pdf_of_in_progress_response_is_refused(client_for, forms, patient):
    c = client_for("practitioner")
    rid = c.post("/api/records/responses", data={"patient_id": patient.pk, "questionnaire_id": forms["gad-7"].pk},
                 content_type="application/json").json()["id"]
    assert c.get(f"/api/records/responses/{rid}/pdf").status_code == 409


def test_unknown_patient_or_questionnaire(client_for, forms, patient):
    c = client_for("admin")
    assert c.post("/api/records/responses", data={"patient_id": 999999, "questionnaire_id": forms["gad-7"].pk},
                  content_type="application/json").status_code == 404
    assert c.post("/api/records/responses", data={"patient_id": patient.pk, "questionnaire_id": 999999},
                  content_type="application/json").status_code == 404
    assert not QuestionnaireResponse.objects.exists()


def test_response_fhir_import_over_http(client_for, forms, patient, admin_actor):
    from plexus.records import fhir, services
    from plexus.records.selectors import form_of

    r = services.response_start(actor=admin_actor, patient=patient, questionnaire=forms["gad-7"])
    r = services.response_save_page(actor=admin_actor, response=r, page="page-gad-7", answers={"gad7-1": "LA6571-9"})
    data = fhir.response_export(form_of(forms["gad-7"]), r)
    c = client_for("front_desk")
    resp = c.post(f"/api/records/responses/fhir?patient_id={patient.pk}", data=json.dumps(data), content_type="application/fhir+json")
    assert resp.status_code == 201 and resp.json()["status"] == "in-progress"
    assert resp.json()["content_hidden"] and resp.json()["answers"] == {}  # staff import, clinicians read
    imported = client_for("practitioner").get(f"/api/records/responses/{resp.json()['id']}").json()
    assert imported["answers"] == {"gad7-1": "LA6571-9"} and not imported["content_hidden"]
    data["status"] = "amended"
    resp = c.post(f"/api/records/responses/fhir?patient_id={patient.pk}", data=json.dumps(data), content_type="application/json")
    assert resp.status_code == 422 and resp.json()["errors"][0]["field"] == "QuestionnaireResponse.status"
