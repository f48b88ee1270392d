import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from plexus.engines.forms import (
    FhirMappingError,
    parse,
    questionnaire_from_fhir,
    questionnaire_to_fhir,
    response_from_fhir,
    response_to_fhir,
)

from .helpers import MINI, shipped_all


@pytest.mark.parametrize("form", shipped_all(), ids=lambda f: f.slug)
def test_questionnaire_round_trips(form):
    back, status = questionnaire_from_fhir(questionnaire_to_fhir(form, status="active"))
    assert back == form and status == "active"


def test_response_round_trips_with_repeating_groups_and_multi():
    form = parse(MINI)
    answers = {"name": "Ana", "likes": ["a", "b"], "pain": 3, "born": "1980-01-02", "smokes": True, "packs": 1,
               "meds": [{"meds.name": "A", "meds.prn": True, "meds.why": "x"}, {"meds.name": "B"}]}
    data = response_to_fhir(form, answers, response_id="qr-1", status="completed", patient_ref="Patient/1",
                            authored="2026-11-30T08:00:00+00:00")
    assert response_from_fhir(form, data) == (answers, "completed")


@settings(max_examples=50)
@given(pain=st.integers(0, 10), name=st.text(min_size=1, max_size=20).filter(str.strip),
       meds=st.lists(st.text(min_size=1, max_size=10).filter(str.strip), max_size=4))
def test_response_round_trip_property(pain, name, meds):
    form = parse(MINI)
    answers = {"name": name, "pain": pain, "smokes": False}
    if meds:
        answers["meds"] = [{"meds.name": m} for m in meds]
    data = response_to_fhir(form, answers, response_id="qr-2", status="in-progress", patient_ref="Patient/1", authored=None)
    assert response_from_fhir(form, data)[0] == answers


def test_unsupported_elements_are_named():
    data = questionnaire_to_fhir(parse(MINI))
    data["item"][0]["item"][2]["answerValueSet"] = "http://example.org/vs/colours"
    del data["item"][0]["item"][2]["answerOption"]
    data["item"][1]["item"][0]["type"] = "attachment"
    with pytest.raises(FhirMappingError) as exc:
        questionnaire_from_fhir(data)
    paths = [p for p, _ in exc.value.problems]
    assert "Questionnaire.item[0].item[2].answerValueSet" in paths and "Questionnaire.item[1].item[0].type" in paths


def test_response_with_unknown_item_or_wrong_value_type_is_named():
    form = parse(MINI)
    data = {"resourceType": "QuestionnaireResponse", "status": "completed",
            "item": [{"linkId": "p1", "item": [{"linkId": "nope", "answer": [{"valueString": "x"}]},
                                                {"linkId": "pain", "answer": [{"valueString": "4"}]}]}]}
    with pytest.raises(FhirMappingError) as exc:
        response_from_fhir(form, data)
    assert [p for p, _ in exc.value.problems] == ["QuestionnaireResponse.item[0].item[0].linkId",
                                                      "QuestionnaireResponse.item[0].item[1].answer[0]"]
