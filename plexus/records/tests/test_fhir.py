import json
from pathlib import Path

import pytest
from fhir.resources.R4B.questionnaire import Questionnaire as FhirQuestionnaire
from fhir.resources.R4B.questionnaireresponse import QuestionnaireResponse as FhirResponse

from plexus.core.errors import ApplicationError
from plexus.records import fhir, services
from plexus.records.models import Questionnaire
from plexus.records.selectors import form_of
from plexus.records.shipped import shipped_definitions

from .conftest import phq

EXAMPLE = Path(__file__).parent / "data" / "fhir-r4-questionnaire-cqf-example.json"
SLUGS = [d["slug"] for d in shipped_definitions()]


@pytest.mark.parametrize("slug", SLUGS)
def test_every_shipped_form_exports_valid_r4_and_round_trips_through_import(forms, admin_actor, slug):
    q = forms[slug]
    data = fhir.questionnaire_export(form_of(q), q.status)
    FhirQuestionnaire.model_validate(data)  # the independent check
    assert data["url"].endswith(f"/Questionnaire/{slug}") and data["version"] == "1.0.0"
    # same version, same content: import is a no-op returning the published version
    assert services.questionnaire_import_fhir(actor=admin_actor, data=data).pk == q.pk
    data["version"] = "2.0.0"
    copy = services.questionnaire_import_fhir(actor=admin_actor, data=json.loads(json.dumps(data)))
    assert copy.pk != q.pk and copy.slug == q.slug and copy.status == "draft"
    assert {**copy.definition, "version": "1.0.0"} == q.definition


def test_real_fhir_spec_phq9_example_imports(admin_actor, db):
    data = json.loads(EXAMPLE.read_text())
    FhirQuestionnaire.model_validate(data)
    q = services.questionnaire_import_fhir(actor=admin_actor, data=data)
    form = form_of(q)
    assert (q.slug, q.version, q.status, q.title) == ("phq-9-questionnaire", "1.0.0", "draft", "Patient Health Questionnaire (PHQ-9)")
    items = form.sections[0].items
    assert [i.link_id for i in items][:2] == ["LittleInterest", "FeelingDown"]
    assert [o.code for o in items[0].options] == ["LA6568-5", "LA6569-3", "LA6570-1", "LA6571-9"]
    assert items[8].link_id == "TotalScore" and items[8].calculated  # computed by CQL, never asked
    assert form.code.code == "44249-1"


@pytest.mark.parametrize(("mutate", "element"), [
    (lambda d: d.update(status="maybe"), "Questionnaire.status"),
    (lambda d: d["item"][0].pop("linkId"), "Questionnaire.item[0].linkId"),
    (lambda d: d["item"][1].update(type="attachment"), "Questionnaire.item[1].type"),
    (lambda d: d["item"][2].update(answerValueSet="http://example.org/ValueSet/unknown"), "Questionnaire.item[2].answerValueSet"),
    (lambda d: d.update(date="last Tuesday"), "Questionnaire.date"),
    (lambda d: d.update(resourceType="Patient"), "Questionnaire.resourceType"),
])
def test_bad_input_names_the_element_and_saves_nothing(admin_actor, db, mutate, element):
    data = json.loads(EXAMPLE.read_text())
    mutate(data)
    before = Questionnaire.objects.count()
    with pytest.raises(ApplicationError) as exc:
        services.questionnaire_import_fhir(actor=admin_actor, data=data)
    assert exc.value.status == 422
    assert element in [e.field for e in exc.value.errors], exc.value.errors
    assert Questionnaire.objects.count() == before


def test_not_json_names_the_line():
    with pytest.raises(ApplicationError) as exc:
        fhir.load_json(b'{\n "resourceType": "Questionnaire",\n oops\n}')
    assert "line 3" in exc.value.errors[0].message


def test_response_export_is_valid_r4_and_maps_back(forms, patient, admin_actor):
    q = forms["general-health-history"]
    r = services.response_start(actor=admin_actor, patient=patient, questionnaire=q)
    r = services.response_save_page(actor=admin_actor, response=r, page="page-medications", answers={
        "takes-medications": True, "takes-supplements": False,
        "medications": [{"medications.name": "Lisinopril", "medications.dose": "10 mg", "medications.frequency": "once-daily"},
                        {"medications.name": "Metformin"}]})
    data = fhir.response_export(form_of(q), r)
    FhirResponse.model_validate(data)
    assert data["questionnaire"].endswith("/Questionnaire/general-health-history|1.0.0")
    assert data["subject"] == {"reference": f"Patient/{patient.pk}"} and data["status"] == "in-progress"
    meds = [i for i in data["item"][0]["item"] if i["linkId"] == "medications"]
    assert len(meds) == 2
    assert fhir.answers_from(form_of(q), data) == (r.answers, "in-progress")


def test_completed_phq9_response_export(forms, patient, admin_actor, frozen):
    q = forms["phq-9"]
    r = services.response_start(actor=admin_actor, patient=patient, questionnaire=q)
    r = services.response_save_page(actor=admin_actor, response=r, page="page-phq-9", answers=phq([1] * 9))
    r = services.response_complete(actor=admin_actor, response=r)
    data = fhir.response_export(form_of(q), r)
    FhirResponse.model_validate(data)
    first = data["item"][0]["item"][0]
    assert first["answer"] == [{"valueCoding": {"system": "http://loinc.org", "code": "LA6569-3", "display": "Several days"}}]
    assert data["status"] == "completed" and data["authored"].startswith("2026-11-30")


def test_response_import_of_an_exported_completed_response(forms, patient, admin_actor, frozen):
    from plexus.records.models import QuestionnaireResponse

    q = forms["phq-9"]
    r = services.response_start(actor=admin_actor, patient=patient, questionnaire=q)
    r = services.response_save_page(actor=admin_actor, response=r, page="page-phq-9", answers=phq([2] * 9))
    r = services.response_complete(actor=admin_actor, response=r)
    data = fhir.response_export(form_of(q), r)
    copy = services.response_import_fhir(actor=admin_actor, patient=patient, data=data)
    assert copy.pk != r.pk and copy.answers == r.answers and copy.scores == r.scores and copy.status == "completed"
    assert copy.completed_at == r.completed_at
    count = QuestionnaireResponse.objects.count()
    bad = json.loads(json.dumps(data))
    bad["item"][0]["item"][8]["answer"] = [{"valueCoding": {"code": "LA9999-9"}}]
    with pytest.raises(ApplicationError) as exc:
        services.response_import_fhir(actor=admin_actor, patient=patient, data=bad)
    assert exc.value.errors[0].field == "answers.phq9-9"
    del bad["item"][0]["item"][8]
    with pytest.raises(ApplicationError) as exc:  # completed but item 9 missing
        services.response_import_fhir(actor=admin_actor, patient=patient, data=bad)
    assert "(required)" in exc.value.errors[0].message
    for mutate, element in ((lambda d: d.update(questionnaire="http://example.org/Questionnaire/x"), "QuestionnaireResponse.questionnaire"),
                            (lambda d: d.update(subject={"reference": "Patient/999999"}), "QuestionnaireResponse.subject"),
                            (lambda d: d.update(authored="yesterday"), "QuestionnaireResponse.authored"),
                            (lambda d: d["item"][0]["item"][0].update(linkId="phq9-99"), "QuestionnaireResponse.item[0].item[0].linkId")):
        other = json.loads(json.dumps(data))
        mutate(other)
        with pytest.raises(ApplicationError) as exc:
            services.response_import_fhir(actor=admin_actor, patient=patient, data=other)
        assert element in [e.field for e in exc.value.errors], (element, exc.value.errors)
    assert QuestionnaireResponse.objects.count() == count
