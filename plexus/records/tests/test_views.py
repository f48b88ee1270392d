import json
from pathlib import Path

from django.core.files.uploadedfile import SimpleUploadedFile

from plexus.records import services
from plexus.records.models import Questionnaire

from .conftest import phq

EXAMPLE = (Path(__file__).parent / "data" / "fhir-r4-questionnaire-cqf-example.json").read_bytes()


def test_forms_list_shows_title_version_disciplines_status(client_for, clinic, forms):
    resp = client_for("front_desk").get("/records/forms/")
    html = resp.content.decode()
    assert resp.status_code == 200
    assert "Chiropractic intake" in html and "1.0.0" in html and "Chiropractor" in html and "Active" in html
    assert "Import FHIR Questionnaire" not in html  # front desk may not import


def test_forms_list_htmx_filter_returns_rows(client_for, clinic, forms):
    resp = client_for("admin").get("/records/forms/?discipline=lmt", HTTP_HX_REQUEST="true")
    html = resp.content.decode()
    assert "<html" not in html and "Massage health screening" in html and "Nutrition intake" not in html


def test_preview_renders_every_item_type(client_for, forms):
    html = client_for("practitioner").get(f"/records/forms/{forms['general-health-history'].pk}/").content.decode()
    for kind in ("text", "date", "choice", "multi", "scale", "boolean", "group"):
        assert f'data-type="{kind}"' in html, kind
    assert "px-repeating" in html and "Asked when" in html and 'type="range"' in html
    assert "style=" not in html and "<script>" not in html  # CSP: no inline styles or scripts
    html = client_for("practitioner").get(f"/records/forms/{forms['phq-9'].pk}/").content.decode()
    assert "Moderately severe" in html and "Item 9 positive" in html


def test_fhir_download(client_for, forms):
    resp = client_for("front_desk").get(f"/records/forms/{forms['gad-7'].pk}/fhir/")
    assert resp.status_code == 200 and "attachment" in resp["Content-Disposition"]
    assert json.loads(resp.content)["resourceType"] == "Questionnaire"


def test_import_upload_creates_a_draft_and_publish(client_for, db):
    c = client_for("admin")
    assert c.get("/records/forms/import/").status_code == 200
    resp = c.post("/records/forms/import/", {"file": SimpleUploadedFile("phq9.json", EXAMPLE, "application/json")})
    q = Questionnaire.objects.get(slug="phq-9-questionnaire")
    assert resp.status_code == 302 and resp["Location"] == f"/records/forms/{q.pk}/"
    assert c.post(f"/records/forms/{q.pk}/publish/").status_code == 302
    assert Questionnaire.objects.get(pk=q.pk).status == "active"
    assert c.post(f"/records/forms/{q.pk}/publish/").status_code == 409
    assert c.post(f"/records/forms/{q.pk}/retire/").status_code == 302


def test_import_upload_with_errors_names_the_element(client_for, db):
    bad = json.loads(EXAMPLE)
    bad["item"][0]["type"] = "mystery"
    before = Questionnaire.objects.count()
    resp = client_for("admin").post("/records/forms/import/",
                                    {"file": SimpleUploadedFile("bad.json", json.dumps(bad).encode(), "application/json")})
    assert resp.status_code == 422
    assert "Questionnaire.item[0].type" in resp.content.decode() and "Nothing was imported" in resp.content.decode()
    assert Questionnaire.objects.count() == before


def test_response_view_with_scores_and_pdf(client_for, forms, patient, admin_actor):
    r = services.response_start(actor=admin_actor, patient=patient, questionnaire=forms["phq-9"])
    r = services.response_save_page(actor=admin_actor, response=r, page="page-phq-9", answers=phq([3] * 8 + [1]))
    c = client_for("practitioner")
    html = c.get(f"/records/responses/{r.pk}/").content.decode()
    assert "In progress" in html and "PDF" not in html
    assert c.get(f"/records/responses/{r.pk}/pdf/").status_code == 409
    services.response_complete(actor=admin_actor, response=r)
    html = c.get(f"/records/responses/{r.pk}/").content.decode()
    assert 'id="score-total">25<' in html and "Severe" in html and "Item 9 positive" in html and "Nearly every day" in html
    pdf = c.get(f"/records/responses/{r.pk}/pdf/")
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF")
    html = c.get(f"/records/patients/{patient.pk}/forms/").content.decode()
    assert "25/27" in html and "Severe" in html


def test_symptom_inventory_response_shows_systems(client_for, forms, patient, admin_actor):
    r = services.response_start(actor=admin_actor, patient=patient, questionnaire=forms["symptom-inventory"])
    services.response_save_page(actor=admin_actor, response=r, page="page-joints", answers={"joints-1": "4"})
    services.response_complete(actor=admin_actor, response=r)
    assert client_for("admin").get(f"/records/responses/{r.pk}/").status_code == 403  # answers are clinical
    html = client_for("practitioner").get(f"/records/responses/{r.pk}/").content.decode()
    assert 'id="score-groups"' in html and "Joints and muscles" in html


def test_missing_things_are_404(client_for, db):
    c = client_for("admin")
    assert c.get("/records/forms/999999/").status_code == 404
    assert client_for("practitioner").get("/records/responses/999999/").status_code == 404
    assert c.get("/records/patients/999999/forms/").status_code == 404
