"""API for records: forms as data (questionnaire versions, FHIR import/export, publish/retire) and
patients' responses (start, save a page, complete, FHIR export, PDF)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.http import HttpRequest, HttpResponse, JsonResponse
from ninja import Query, Router, Schema, Status

from plexus.core.api_utils import require_perm
from plexus.core.audit import record
from plexus.core.models import AuditAction
from plexus.core.permissions import Perm, user_has
from plexus.engines.forms import missing_required
from plexus.patients.selectors import access_patient
from plexus.records import documents, fhir, selectors, services
from plexus.records.models import Questionnaire, QuestionnaireResponse

router = Router(tags=["records"])
FHIR_JSON = "application/fhir+json"


class PageOut(Schema):
    linkId: str
    title: str


class QuestionnaireOut(Schema):
    id: int
    slug: str
    version: str
    title: str
    description: str
    status: str
    disciplines: list[str]
    scored: bool
    source: str
    created_at: datetime
    published_at: datetime | None
    pages: list[PageOut]


class QuestionnaireDetail(QuestionnaireOut):
    definition: dict[str, Any]


class FormQuery(Schema):
    status: str = ""
    discipline: str = ""
    q: str = ""


class ResponseOut(Schema):
    id: int
    questionnaire_id: int
    questionnaire_slug: str
    questionnaire_version: str
    patient_id: int
    status: str
    answers: dict[str, Any]
    pages_saved: list[str]
    scores: dict[str, Any] | None
    missing_required: list[str]
    started_at: datetime
    updated_at: datetime
    completed_at: datetime | None
    content_hidden: bool = False


class StartIn(Schema):
    patient_id: int
    questionnaire_id: int


class PageIn(Schema):
    answers: dict[str, Any]


def _q(q: Questionnaire, detail: bool = False) -> dict:
    out = {f: getattr(q, f) for f in QuestionnaireOut.model_fields if hasattr(q, f) and f != "pages"}
    out["pages"] = [{"linkId": s.get("linkId", ""), "title": s.get("title", "")} for s in q.definition.get("sections", [])]
    if detail:
        out["definition"] = q.definition
    return out


def _r(r: QuestionnaireResponse, content: bool = True) -> dict:
    """A response; without ``content`` (non-clinical roles: minimum necessary) only its status."""
    form = selectors.form_of(r.questionnaire)
    return {"id": r.pk, "questionnaire_id": r.questionnaire_id, "questionnaire_slug": r.questionnaire.slug,
            "questionnaire_version": r.questionnaire.version, "patient_id": r.patient_id, "status": r.status,
            "answers": r.answers if content else {}, "pages_saved": r.pages_saved,
            "scores": r.scores if content else None,
            "missing_required": missing_required(form, r.answers) if r.status == "in-progress" else [],
            "started_at": r.started_at, "updated_at": r.updated_at, "completed_at": r.completed_at,
            "content_hidden": not content}


def _clinical(request: HttpRequest) -> bool:
    return user_has(request.user, Perm.CLINICAL_VIEW)


@router.get("/questionnaires", response=list[QuestionnaireOut], summary="Questionnaire versions (filters: status, discipline code, title)")
def questionnaire_list(request: HttpRequest, q: Query[FormQuery]):
    require_perm(request, Perm.FORMS_VIEW)
    return [_q(x) for x in selectors.questionnaires(selectors.FormFilter(status=q.status, discipline=q.discipline, q=q.q))]


@router.post("/questionnaires/fhir", response={201: QuestionnaireDetail},
             summary="Import a FHIR R4 Questionnaire (request body) as a draft version; 422 names the bad element, nothing saved",
             openapi_extra={"requestBody": {"content": {FHIR_JSON: {"schema": {"type": "object"}},
                                                        "application/json": {"schema": {"type": "object"}}}}})
def questionnaire_import(request: HttpRequest):
    act = require_perm(request, Perm.FORMS_MANAGE)
    q = services.questionnaire_import_fhir(actor=act, data=fhir.load_json(request.body, "body"))
    return Status(201, _q(q, detail=True))


@router.get("/questionnaires/{questionnaire_id}", response=QuestionnaireDetail)
def questionnaire_get(request: HttpRequest, questionnaire_id: int):
    require_perm(request, Perm.FORMS_VIEW)
    return _q(selectors.get_questionnaire(questionnaire_id), detail=True)


@router.get("/questionnaires/{questionnaire_id}/fhir", summary="The version as a FHIR R4 Questionnaire (validated with fhir.resources.R4B)")
def questionnaire_fhir(request: HttpRequest, questionnaire_id: int):
    require_perm(request, Perm.FORMS_VIEW)
    q = selectors.get_questionnaire(questionnaire_id)
    return JsonResponse(fhir.questionnaire_export(selectors.form_of(q), q.status), content_type=FHIR_JSON)


@router.post("/questionnaires/{questionnaire_id}/publish", response=QuestionnaireDetail,
             summary="Publish a draft (its definition is frozen; the previous active version is retired)")
def questionnaire_publish(request: HttpRequest, questionnaire_id: int):
    act = require_perm(request, Perm.FORMS_MANAGE)
    q = services.questionnaire_publish(actor=act, questionnaire=selectors.get_questionnaire(questionnaire_id))
    return _q(q, detail=True)


@router.post("/questionnaires/{questionnaire_id}/retire", response=QuestionnaireDetail)
def questionnaire_retire(request: HttpRequest, questionnaire_id: int):
    act = require_perm(request, Perm.FORMS_MANAGE)
    q = services.questionnaire_retire(actor=act, questionnaire=selectors.get_questionnaire(questionnaire_id))
    return _q(q, detail=True)


def _response(request: HttpRequest, response_id: int, what: str = "questionnaire_response",
              perm: Perm = Perm.FORMS_VIEW):
    """Answers are clinical content: reading them back needs clinical.view (pass it as perm);
    staff with forms.view may enter answers and see a response's status."""
    act = require_perm(request, perm)
    r = selectors.get_response(response_id)
    access_patient(act, r.patient_id, perm, what=what)
    return act, r


@router.get("/responses", response=list[ResponseOut], summary="A patient's questionnaire responses, newest first")
def response_list(request: HttpRequest, patient_id: int):
    act = require_perm(request, Perm.FORMS_VIEW)
    access_patient(act, patient_id, Perm.FORMS_VIEW, what="questionnaire_responses")
    return [_r(r, _clinical(request)) for r in selectors.patient_responses(patient_id)]


@router.post("/responses", response={201: ResponseOut}, summary="Start a patient's response to an active questionnaire")
def response_start(request: HttpRequest, payload: StartIn):
    act = require_perm(request, Perm.FORMS_VIEW)
    patient = access_patient(act, payload.patient_id, Perm.FORMS_VIEW, what="questionnaire_response")
    q = selectors.get_questionnaire(payload.questionnaire_id)
    return Status(201, _r(services.response_start(actor=act, patient=patient, questionnaire=q), _clinical(request)))


@router.post("/responses/fhir", response={201: ResponseOut},
             summary="Import a FHIR R4 QuestionnaireResponse (request body) for a patient; 422 names the bad element, nothing saved",
             openapi_extra={"requestBody": {"content": {FHIR_JSON: {"schema": {"type": "object"}},
                                                        "application/json": {"schema": {"type": "object"}}}}})
def response_import(request: HttpRequest, patient_id: int):
    act = require_perm(request, Perm.FORMS_VIEW)
    patient = access_patient(act, patient_id, Perm.FORMS_VIEW, what="questionnaire_response")
    r = services.response_import_fhir(actor=act, patient=patient, data=fhir.load_json(request.body, "body"))
    return Status(201, _r(r, _clinical(request)))


@router.get("/responses/{response_id}", response=ResponseOut)
def response_get(request: HttpRequest, response_id: int):
    return _r(_response(request, response_id, perm=Perm.CLINICAL_VIEW)[1])


@router.put("/responses/{response_id}/pages/{page}", response=ResponseOut,
            summary="Save one page's answers (422 names each bad item; other pages' answers are kept)")
def response_save_page(request: HttpRequest, response_id: int, page: str, payload: PageIn):
    act, r = _response(request, response_id)
    return _r(services.response_save_page(actor=act, response=r, page=page, answers=payload.answers),
              _clinical(request))


@router.post("/responses/{response_id}/complete", response=ResponseOut,
             summary="Complete: every required answer present and valid, score computed; 409 when already completed")
def response_complete(request: HttpRequest, response_id: int):
    act, r = _response(request, response_id)
    return _r(services.response_complete(actor=act, response=r), _clinical(request))


@router.get("/responses/{response_id}/fhir", summary="The response as a FHIR R4 QuestionnaireResponse")
def response_fhir(request: HttpRequest, response_id: int):
    act, r = _response(request, response_id, perm=Perm.CLINICAL_VIEW)
    data = fhir.response_export(selectors.form_of(r.questionnaire), r)
    record(act, AuditAction.EXPORT, "questionnaire_response", r.pk, patient_id=r.patient_id, detail="fhir")
    return JsonResponse(data, content_type=FHIR_JSON)


@router.get("/responses/{response_id}/pdf", summary="The completed response as PDF (409 while in progress)")
def response_pdf(request: HttpRequest, response_id: int):
    act, r = _response(request, response_id, perm=Perm.CLINICAL_VIEW)
    pdf = documents.response_pdf(r)
    record(act, AuditAction.EXPORT, "questionnaire_response", r.pk, patient_id=r.patient_id, detail="pdf")
    resp = HttpResponse(pdf, content_type="application/pdf")
    resp["Content-Disposition"] = f'inline; filename="{documents.filename(r)}"'
    return resp


# Intake packets and the review checklist (plexus/records/api_intake.py) attach to this router.
from plexus.records import api_intake  # noqa: E402, F401

# Documents, records requests and external shares (plexus/records/api_documents.py) attach their
# routes to this router too (imported by name so the import block above stays as it is).
__import__("plexus.records.api_documents")
