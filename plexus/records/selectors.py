"""Reads: questionnaires (not patient data) and responses (patient data: callers have passed
access_patient for the response's patient, which audits the read)."""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import QuerySet

from plexus.core.errors import ApplicationError, ErrorCode
from plexus.core.models import Discipline
from plexus.engines.forms import Questionnaire as FormDef
from plexus.engines.forms import parse
from plexus.records.models import Questionnaire, QuestionnaireResponse


def form_of(q: Questionnaire) -> FormDef:
    """The engine's view of a stored definition (checked when it was saved)."""
    return parse(q.definition)


@dataclass(frozen=True, slots=True)
class FormFilter:
    status: str = ""
    discipline: str = ""
    q: str = ""


def questionnaires(f: FormFilter | None = None) -> list[Questionnaire]:
    f = f or FormFilter()
    qs: QuerySet[Questionnaire] = Questionnaire.objects.all()
    if f.status:
        qs = qs.filter(status=f.status)
    if f.q:
        qs = qs.filter(title__icontains=f.q)
    rows = list(qs)
    if f.discipline:  # a JSON list: filtered here so SQLite and PostgreSQL behave the same
        rows = [r for r in rows if f.discipline in r.disciplines]
    return rows


def get_questionnaire(questionnaire_id: int) -> Questionnaire:
    q = Questionnaire.objects.filter(pk=questionnaire_id).first()
    if q is None:
        raise ApplicationError(ErrorCode.NOT_FOUND, f"No questionnaire {questionnaire_id}.")
    return q


def discipline_names() -> dict[str, str]:
    return dict(Discipline.objects.values_list("code", "name"))


def get_response(response_id: int) -> QuestionnaireResponse:
    """The response row without its patient check: pass its patient_id to access_patient next."""
    r = QuestionnaireResponse.objects.select_related("questionnaire", "patient").filter(pk=response_id).first()
    if r is None:
        raise ApplicationError(ErrorCode.NOT_FOUND, f"No questionnaire response {response_id}.")
    return r


def patient_responses(patient_id: int) -> list[QuestionnaireResponse]:
    return list(QuestionnaireResponse.objects.filter(patient_id=patient_id).select_related("questionnaire"))
