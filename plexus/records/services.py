"""Writes for forms as data: import a questionnaire version (FHIR), publish and retire versions,
and a patient's response: start, save a page, complete (validated and scored once)."""

from __future__ import annotations

from typing import Any

from django.db import IntegrityError, transaction
from django.utils import timezone

from plexus.core.audit import Actor, record
from plexus.core.errors import ApplicationError, ErrorCode, FieldError, validation_error
from plexus.core.models import AuditAction
from plexus.engines.forms import dump, score, section_ids, validate
from plexus.engines.forms.answers import page_errors
from plexus.patients.models import Patient
from plexus.records import fhir
from plexus.records.errors import answer_error
from plexus.records.models import (
    Questionnaire,
    QuestionnaireResponse,
    QuestionnaireSource,
    QuestionnaireStatus,
    ResponseStatus,
)
from plexus.records.selectors import form_of


def _user(actor: Actor):
    user = actor.user
    return user if user is not None and getattr(user, "is_authenticated", False) else None


@transaction.atomic
def questionnaire_import_fhir(*, actor: Actor, data: Any) -> Questionnaire:
    """Create a draft version from a FHIR R4 Questionnaire. The JSON is validated with the R4B
    models and mapped to a definition; any problem is a 422 naming the element and nothing is saved.
    Re-importing a (slug, version) that is still a draft replaces it; a published one is refused (409)
    unless the definition is identical (then the existing version is returned)."""
    form, _status = fhir.questionnaire_from(data)
    definition = dump(form)
    now = timezone.now()
    existing = Questionnaire.objects.select_for_update().filter(slug=form.slug, version=form.version).first()
    if existing is not None:
        if existing.status != QuestionnaireStatus.DRAFT:
            if existing.definition == definition:
                return existing
            raise ApplicationError(
                ErrorCode.CONFLICT,
                f"{form.slug} version {form.version} is published and cannot change; import it as a new version.",
                [FieldError("Questionnaire.version", "this version is published; give a new version")])
        existing.title, existing.description = form.title, form.description
        existing.disciplines, existing.definition = list(form.disciplines), definition
        existing.scored = form.scoring is not None
        existing.save()
        record(actor, AuditAction.IMPORT, "questionnaire", existing.pk, changed_fields=["definition"],
               detail=f"{form.slug} {form.version} (replaced draft)")
        return existing
    q = Questionnaire(slug=form.slug, version=form.version, title=form.title, description=form.description,
                      disciplines=list(form.disciplines), definition=definition, scored=form.scoring is not None,
                      source=QuestionnaireSource.IMPORTED, status=QuestionnaireStatus.DRAFT, created_at=now)
    q.full_clean()
    try:
        with transaction.atomic():
            q.save()
    except IntegrityError as exc:
        raise ApplicationError(ErrorCode.CONFLICT, f"{form.slug} version {form.version} was just created.") from exc
    record(actor, AuditAction.IMPORT, "questionnaire", q.pk, detail=f"{form.slug} {form.version}")
    return q


@transaction.atomic
def questionnaire_publish(*, actor: Actor, questionnaire: Questionnaire) -> Questionnaire:
    """Make a draft the active version of its form (its definition is frozen from now on); the
    previously active version of the same slug is retired. Only drafts can be published (409)."""
    q = Questionnaire.objects.select_for_update().get(pk=questionnaire.pk)
    if q.status != QuestionnaireStatus.DRAFT:
        raise ApplicationError(ErrorCode.CONFLICT, f"Version {q.version} is already {q.get_status_display().lower()}.")
    form_of(q)  # a stored draft is always valid; this guards hand-edited rows
    now = timezone.now()
    for old in Questionnaire.objects.select_for_update().filter(slug=q.slug, status=QuestionnaireStatus.ACTIVE):
        old.status, old.retired_at = QuestionnaireStatus.RETIRED, now
        old.save(update_fields=["status", "retired_at"])
        record(actor, AuditAction.UPDATE, "questionnaire", old.pk, changed_fields=["status"], detail="retired")
    q.status, q.published_at = QuestionnaireStatus.ACTIVE, now
    q.save(update_fields=["status", "published_at"])
    record(actor, AuditAction.UPDATE, "questionnaire", q.pk, changed_fields=["status"], detail="published")
    return q


@transaction.atomic
def questionnaire_retire(*, actor: Actor, questionnaire: Questionnaire) -> Questionnaire:
    """Stop offering an active version (responses already started can still be completed)."""
    q = Questionnaire.objects.select_for_update().get(pk=questionnaire.pk)
    if q.status != QuestionnaireStatus.ACTIVE:
        raise ApplicationError(ErrorCode.CONFLICT, f"Only an active version can be retired; this one is {q.status}.")
    q.status, q.retired_at = QuestionnaireStatus.RETIRED, timezone.now()
    q.save(update_fields=["status", "retired_at"])
    record(actor, AuditAction.UPDATE, "questionnaire", q.pk, changed_fields=["status"], detail="retired")
    return q


@transaction.atomic
def response_start(*, actor: Actor, patient: Patient, questionnaire: Questionnaire) -> QuestionnaireResponse:
    """Start an empty response of patient to an active questionnaire version (422 otherwise)."""
    if questionnaire.status != QuestionnaireStatus.ACTIVE:
        raise validation_error([FieldError("questionnaire_id", f"{questionnaire} is {questionnaire.status}, not active.")])
    now = timezone.now()
    r = QuestionnaireResponse.objects.create(questionnaire=questionnaire, patient=patient, started_at=now,
                                             updated_at=now, started_by=_user(actor))
    record(actor, AuditAction.CREATE, "questionnaire_response", r.pk, patient_id=patient.pk,
           detail=f"{questionnaire.slug} {questionnaire.version}")
    return r


def _locked(response: QuestionnaireResponse) -> QuestionnaireResponse:
    r = QuestionnaireResponse.objects.select_for_update(of=("self",)).select_related("questionnaire").get(pk=response.pk)
    if r.status == ResponseStatus.COMPLETED:
        raise ApplicationError(ErrorCode.CONFLICT,
                               f"This form was already completed on {r.completed_at:%Y-%m-%d %H:%M} UTC; nothing was changed.")
    return r


@transaction.atomic
def response_save_page(*, actor: Actor, response: QuestionnaireResponse, page: str,
                       answers: dict[str, Any]) -> QuestionnaireResponse:
    """Replace the answers of one page (section linkId). The page's answers are checked (types,
    options, ranges, unknown or disabled items; required items only on completion); on any problem
    nothing is saved (422 naming each item) and the other pages' saved answers stay as they were."""
    r = _locked(response)
    form = form_of(r.questionnaire)
    section = form.section(page)
    if section is None:
        raise validation_error([FieldError("page", f"{page!r} is not a page of this form "
                                                   f"({', '.join(s.link_id for s in form.sections)}).")])
    if not isinstance(answers, dict):
        raise validation_error([FieldError("answers", "must be an object keyed by linkId")])
    keys = section_ids(section)
    merged = {k: v for k, v in r.answers.items() if k not in keys}
    merged.update({k: v for k, v in answers.items() if v is not None})
    errors = page_errors(form, page, answers, merged)
    if errors:
        raise answer_error(errors)
    r.answers = merged
    if page not in r.pages_saved:
        r.pages_saved = [*r.pages_saved, page]
    r.updated_at = timezone.now()
    r.save(update_fields=["answers", "pages_saved", "updated_at"])
    record(actor, AuditAction.UPDATE, "questionnaire_response", r.pk, patient_id=r.patient_id,
           changed_fields=sorted(answers), detail=f"page {page}")
    return r


@transaction.atomic
def response_complete(*, actor: Actor, response: QuestionnaireResponse) -> QuestionnaireResponse:
    """Complete a response: every enabled required item answered and every answer valid, else 422
    naming each item (nothing changes). Computes the score where the form defines one. A second
    completion is refused (409) and changes nothing."""
    r = _locked(response)
    form = form_of(r.questionnaire)
    errors = validate(form, r.answers, complete=True)
    if errors:
        missing = sum(1 for e in errors if e.code == "required")
        detail = (f"{missing} required question{'s' if missing != 1 else ''} unanswered"
                  if missing == len(errors) else None)
        raise answer_error(errors, detail=(f"{detail}, first answers.{errors[0].path}" if detail else None))
    result = score(form, r.answers)
    now = timezone.now()
    r.status, r.completed_at, r.updated_at = ResponseStatus.COMPLETED, now, now
    r.scores = result.as_dict() if result else None
    r.completed_by = _user(actor)
    r.full_clean(exclude=["questionnaire", "patient", "started_by", "completed_by"])
    r.save(update_fields=["status", "completed_at", "updated_at", "scores", "completed_by"])
    record(actor, AuditAction.UPDATE, "questionnaire_response", r.pk, patient_id=r.patient_id,
           changed_fields=["status", "scores"], detail="completed")
    return r


def _authored(value: Any):
    from datetime import UTC, datetime

    try:
        at = datetime.fromisoformat(value) if isinstance(value, str) else None
    except ValueError:
        at = None
    if at is not None and at.tzinfo is None:
        at = at.replace(tzinfo=UTC)
    return at


@transaction.atomic
def response_import_fhir(*, actor: Actor, patient: Patient, data: Any) -> QuestionnaireResponse:
    """Create patient's response from a FHIR R4 QuestionnaireResponse for one of our forms
    (``questionnaire`` = our canonical URL, with ``|version`` or meaning the active version). A
    completed one must pass every completion check and is scored; an in-progress one keeps its
    valid answers. Any problem is a 422 naming the element or item and nothing is saved."""
    from plexus.engines.forms.fhir import BASE

    fhir.validate_resource("QuestionnaireResponse", data)
    ref = data.get("questionnaire") or ""
    url, _, version = ref.partition("|")
    prefix = f"{BASE}/Questionnaire/"
    if not url.startswith(prefix):
        raise validation_error([FieldError("QuestionnaireResponse.questionnaire",
                                           f"must be a Plexus form ({prefix}<slug>|<version>), got {ref!r}")])
    qs = Questionnaire.objects.filter(slug=url.removeprefix(prefix))
    q = (qs.filter(version=version) if version else qs.filter(status=QuestionnaireStatus.ACTIVE)).first()
    if q is None or q.status == QuestionnaireStatus.DRAFT:
        raise validation_error([FieldError("QuestionnaireResponse.questionnaire", f"no published form {ref!r}")])
    subject = (data.get("subject") or {}).get("reference")
    if subject and subject != f"Patient/{patient.pk}":
        raise validation_error([FieldError("QuestionnaireResponse.subject", f"names {subject}, not Patient/{patient.pk}")])
    form = form_of(q)
    answers, status = fhir.answers_from(form, data)
    complete = status == ResponseStatus.COMPLETED
    errors = validate(form, answers, complete=complete)
    if errors:
        raise answer_error(errors)
    now = timezone.now()
    result = score(form, answers) if complete else None
    r = QuestionnaireResponse.objects.create(
        questionnaire=q, patient=patient, answers=answers, status=status, started_at=now, updated_at=now,
        pages_saved=[s.link_id for s in form.sections if section_ids(s) & set(answers)],
        completed_at=(_authored(data.get("authored")) or now) if complete else None,
        scores=result.as_dict() if result else None, started_by=_user(actor), completed_by=_user(actor) if complete else None)
    record(actor, AuditAction.IMPORT, "questionnaire_response", r.pk, patient_id=patient.pk,
           detail=f"{q.slug} {q.version} {status}")
    return r
