import json
from datetime import timedelta

import pytest

from plexus.core.errors import ApplicationError
from plexus.core.models import AuditEvent
from plexus.records import services
from plexus.records.demo import load_records_demo
from plexus.records.models import Questionnaire, QuestionnaireResponse
from plexus.records.shipped import load_shipped_forms, shipped_definitions

from .conftest import NOW, phq


def test_shipped_forms_are_loaded_once_and_idempotently(db):
    assert Questionnaire.objects.filter(source="shipped", status="active").count() == len(shipped_definitions()) == 10
    assert load_shipped_forms() == 0
    assert Questionnaire.objects.count() == 10
    q = Questionnaire.objects.get(slug="chiropractic-intake")
    assert q.disciplines == ["dc"] and not q.scored
    assert Questionnaire.objects.get(slug="phq-9").scored


def test_start_save_pages_and_complete_phq9(forms, patient, admin_actor, frozen):
    r = services.response_start(actor=admin_actor, patient=patient, questionnaire=forms["phq-9"])
    assert r.status == "in-progress" and r.answers == {}
    frozen.shift(timedelta(minutes=5))
    r = services.response_save_page(actor=admin_actor, response=r, page="page-phq-9", answers=phq([3, 3, 2, 2, 1, 1, 0, 0, 1]))
    r = services.response_complete(actor=admin_actor, response=r)
    r.refresh_from_db()
    assert r.status == "completed" and r.completed_at == NOW + timedelta(minutes=5)
    assert r.scores["total"] == 13 and r.scores["band"]["code"] == "moderate"
    assert [f["code"] for f in r.scores["flags"]] == ["item-9-positive"]
    assert AuditEvent.objects.filter(object_type="questionnaire_response", patient_id=patient.pk).count() == 3


def test_second_completion_is_refused_and_changes_nothing(forms, patient, admin_actor, frozen):
    r = services.response_start(actor=admin_actor, patient=patient, questionnaire=forms["gad-7"])
    r = services.response_save_page(actor=admin_actor, response=r, page="page-gad-7",
                                    answers={f"gad7-{n}": "LA6569-3" for n in range(1, 8)})
    r = services.response_complete(actor=admin_actor, response=r)
    before = QuestionnaireResponse.objects.filter(pk=r.pk).values().get()
    frozen.shift(timedelta(hours=1))
    with pytest.raises(ApplicationError) as exc:
        services.response_complete(actor=admin_actor, response=r)
    assert exc.value.status == 409 and "already completed" in exc.value.detail
    with pytest.raises(ApplicationError) as exc:
        services.response_save_page(actor=admin_actor, response=r, page="page-gad-7", answers={"gad7-1": "LA6568-5"})
    assert exc.value.status == 409
    assert QuestionnaireResponse.objects.filter(pk=r.pk).values().get() == before


def test_partial_answers_are_kept_when_another_page_has_errors(forms, patient, admin_actor, frozen):
    q = forms["general-health-history"]
    r = services.response_start(actor=admin_actor, patient=patient, questionnaire=q)
    r = services.response_save_page(actor=admin_actor, response=r, page="page-about",
                                    answers={"concern": "Back pain", "general-health": "good", "energy": 6})
    with pytest.raises(ApplicationError) as exc:
        services.response_save_page(actor=admin_actor, response=r, page="page-conditions",
                                    answers={"had-surgery": "yes", "conditions": ["asthma", "gout"]})
    fields = {e.field for e in exc.value.errors}
    assert fields == {"answers.had-surgery", "answers.conditions"} and exc.value.status == 422
    assert "wrong-type" in exc.value.errors[0].message or "not-an-option" in exc.value.errors[0].message
    r.refresh_from_db()
    assert r.answers == {"concern": "Back pain", "general-health": "good", "energy": 6}
    assert r.pages_saved == ["page-about"]
    # a later page saves fine although page 2 is still unanswered
    r = services.response_save_page(actor=admin_actor, response=r, page="page-allergies",
                                    answers={"has-allergies": True, "allergies": [{"allergies.substance": "Penicillin",
                                                                                   "allergies.severity": "severe"}]})
    assert r.answers["allergies"][0]["allergies.substance"] == "Penicillin" and r.answers["concern"] == "Back pain"
    # completing names every missing required item and changes nothing
    with pytest.raises(ApplicationError) as exc:
        services.response_complete(actor=admin_actor, response=r)
    assert {e.field for e in exc.value.errors} == {"answers.had-surgery", "answers.takes-medications", "answers.takes-supplements"}
    assert "3 required questions unanswered" in exc.value.detail
    r.refresh_from_db()
    assert r.status == "in-progress" and r.scores is None


def test_answer_to_disabled_follow_up_and_unknown_page(forms, patient, admin_actor):
    r = services.response_start(actor=admin_actor, patient=patient, questionnaire=forms["general-health-history"])
    with pytest.raises(ApplicationError) as exc:
        services.response_save_page(actor=admin_actor, response=r, page="page-conditions",
                                    answers={"had-surgery": False, "surgeries": [{"surgeries.procedure": "Appendix"}]})
    assert exc.value.errors[0].field == "answers.surgeries" and "(disabled)" in exc.value.errors[0].message
    with pytest.raises(ApplicationError) as exc:
        services.response_save_page(actor=admin_actor, response=r, page="page-9", answers={})
    assert exc.value.errors[0].field == "page"
    with pytest.raises(ApplicationError) as exc:
        services.response_save_page(actor=admin_actor, response=r, page="page-about", answers={"had-surgery": True})
    assert "another page" in exc.value.errors[0].message


def test_start_refuses_a_draft_or_retired_version(forms, patient, admin_actor):
    q = forms["gad-7"]
    services.questionnaire_retire(actor=admin_actor, questionnaire=q)
    with pytest.raises(ApplicationError) as exc:
        services.response_start(actor=admin_actor, patient=patient, questionnaire=Questionnaire.objects.get(pk=q.pk))
    assert exc.value.errors[0].field == "questionnaire_id"
    assert not QuestionnaireResponse.objects.exists()


def test_symptom_inventory_completion_scores_each_system(forms, patient, admin_actor):
    q = forms["symptom-inventory"]
    r = services.response_start(actor=admin_actor, patient=patient, questionnaire=q)
    r = services.response_save_page(actor=admin_actor, response=r, page="page-head", answers={"head-1": "4", "head-3": "2"})
    r = services.response_save_page(actor=admin_actor, response=r, page="page-digestion", answers={"digestion-4": "3"})
    r = services.response_complete(actor=admin_actor, response=r)
    groups = {g["id"]: g["score"] for g in r.scores["groups"]}
    assert groups["head"] == 6 and groups["digestion"] == 3 and r.scores["total"] == 9 == sum(groups.values())


def test_publish_freezes_a_version_and_retires_the_previous(forms, admin_actor):
    from plexus.engines.forms.fhir import questionnaire_to_fhir
    from plexus.records.selectors import form_of

    data = questionnaire_to_fhir(form_of(forms["gad-7"]))
    data["version"] = "1.1.0"
    data["title"] = "GAD-7 (revised wording)"
    draft = services.questionnaire_import_fhir(actor=admin_actor, data=data)
    assert draft.status == "draft" and draft.source == "imported" and draft.disciplines == ["psy", "md", "np"]
    data["title"] = "GAD-7 (second try)"
    again = services.questionnaire_import_fhir(actor=admin_actor, data=data)  # a draft may be replaced
    assert again.pk == draft.pk and again.title == "GAD-7 (second try)"
    services.questionnaire_publish(actor=admin_actor, questionnaire=again)
    assert Questionnaire.objects.get(pk=forms["gad-7"].pk).status == "retired"
    assert Questionnaire.objects.get(pk=draft.pk).status == "active"
    data["title"] = "Changed after publishing"
    with pytest.raises(ApplicationError) as exc:
        services.questionnaire_import_fhir(actor=admin_actor, data=data)
    assert exc.value.status == 409
    assert Questionnaire.objects.get(pk=draft.pk).title == "GAD-7 (second try)"
    with pytest.raises(ApplicationError):
        services.questionnaire_publish(actor=admin_actor, questionnaire=draft)


def test_demo_loader_is_idempotent(clinic, frozen):
    from plexus.patients.models import Patient

    Patient.objects.create(chart_number="P000001", legal_first_name="Maria", legal_last_name="Lopez",
                           date_of_birth="1974-05-14", sex_for_claims="F")
    first = load_records_demo(NOW.date(), 1)
    assert first == {"questionnaires": 0, "questionnaire_responses": 3, "intake packets": 0}  # nobody booked
    assert load_records_demo(NOW.date(), 1) == {"questionnaires": 0, "questionnaire_responses": 0,
                                                "intake packets": 0}
    done = QuestionnaireResponse.objects.filter(status="completed").order_by("questionnaire__slug")
    assert [(r.questionnaire.slug, r.scores["total"]) for r in done] == [("gad-7", 7), ("phq-9", 7)]
    json.dumps([r.scores for r in done])
