"""Review sign-off: before each appointment, what its practitioner must read (the patient's newly
completed intake forms for their discipline, and new clinical documents: external notes, labs,
imaging, intake documents) forms a checklist; the practitioner signs each item off, and the visit
is *ready* when nothing is left."""

from __future__ import annotations

import importlib
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.db import IntegrityError, transaction
from django.utils import timezone

from plexus.core.audit import Actor, record
from plexus.core.errors import ApplicationError, ErrorCode, FieldError, validation_error
from plexus.core.models import AuditAction, Practitioner
from plexus.records.models import QuestionnaireResponse, ResponseStatus, ReviewSignoff
from plexus.scheduling.models import ACTIVE_VALUES, Appointment

REVIEW_DOCUMENT_TYPES = ("intake", "lab_result", "imaging", "external_consult_note", "prior_records")
KINDS = ("response", "document")


@dataclass
class ReviewItem:
    kind: str  # response | document
    item_id: int
    title: str
    at: datetime
    signed_at: datetime | None = None


@dataclass
class VisitReview:
    appointment: Appointment
    items: list[ReviewItem] = field(default_factory=list)

    @property
    def pending(self) -> list[ReviewItem]:
        return [i for i in self.items if i.signed_at is None]

    @property
    def ready(self) -> bool:
        return not self.pending


def _document_model():
    return getattr(importlib.import_module("plexus.records.models"), "Document", None)


def _applies(disciplines, code: str) -> bool:
    return not disciplines or code in disciplines


def items_for(practitioner: Practitioner, patient_id: int) -> list[ReviewItem]:
    """Everything about the patient this practitioner should have read, with their sign-offs."""
    code = practitioner.discipline.code
    signed = {(s.item_kind, s.item_id): s.signed_at for s in ReviewSignoff.objects.filter(
        practitioner=practitioner, patient_id=patient_id)}
    out = [ReviewItem("response", r.pk, f"{r.questionnaire.title} (completed)", r.completed_at,
                      signed.get(("response", r.pk)))
           for r in QuestionnaireResponse.objects.filter(patient_id=patient_id, status=ResponseStatus.COMPLETED)
           .select_related("questionnaire").order_by("completed_at")
           if _applies(r.questionnaire.disciplines, code)]
    document = _document_model()
    if document is not None:
        for d in document.objects.filter(patient_id=patient_id, doc_type__in=REVIEW_DOCUMENT_TYPES).order_by("pk"):
            if _applies(getattr(d, "disciplines", None), code):
                label = d.get_doc_type_display() if hasattr(d, "get_doc_type_display") else d.doc_type
                when = getattr(d, "uploaded_at", None) or getattr(d, "created_at", None) or timezone.now()
                out.append(ReviewItem("document", d.pk, f"{label}: {getattr(d, 'source', '')}".rstrip(": "), when,
                                      signed.get(("document", d.pk))))
    return out


def day_reviews(practitioner: Practitioner, start: datetime, end: datetime) -> list[VisitReview]:
    """The practitioner's appointments in [start, end) with their review checklists."""
    appts = list(Appointment.objects.filter(practitioner=practitioner, status__in=ACTIVE_VALUES, start__gte=start,
                                            start__lt=end).select_related("patient", "service").order_by("start"))
    cache: dict[int, list[ReviewItem]] = {}
    out = []
    for a in appts:
        if a.patient_id not in cache:
            cache[a.patient_id] = items_for(practitioner, a.patient_id)
        out.append(VisitReview(a, cache[a.patient_id]))
    return out


def ready_blocks(block_ids: list[int]) -> dict[int, bool]:
    """block id -> every component's practitioner has signed off every review item (for schedules)."""
    out: dict[int, bool] = {}
    for a in Appointment.objects.filter(block_id__in=block_ids, status__in=ACTIVE_VALUES).select_related(
            "practitioner__discipline"):
        ok = all(i.signed_at for i in items_for(a.practitioner, a.patient_id))
        out[a.block_id] = out.get(a.block_id, True) and ok
    return out


@transaction.atomic
def sign_off(*, actor: Actor, item_kind: str, item_id: int, now: datetime | None = None) -> ReviewSignoff:
    """The acting practitioner signs an item off. 422 for an unknown kind; 404 for an unknown item;
    403 unless they have a visit with that patient (last 30 days or ahead); 409 when already signed."""
    now = now or timezone.now()
    prac = Practitioner.objects.filter(user_id=getattr(actor.user, "pk", None), is_active=True) \
        .select_related("discipline").first()
    if prac is None:
        raise ApplicationError(ErrorCode.FORBIDDEN, "Only a practitioner signs a review off.")
    if item_kind not in KINDS:
        raise validation_error([FieldError("item_kind", f"Must be one of {', '.join(KINDS)}.")])
    if item_kind == "response":
        item = QuestionnaireResponse.objects.filter(pk=item_id, status=ResponseStatus.COMPLETED).first()
    else:
        model = _document_model()
        item = model.objects.filter(pk=item_id).first() if model is not None else None
    if item is None:
        raise ApplicationError(ErrorCode.NOT_FOUND, f"No {item_kind} {item_id} to review.")
    if not Appointment.objects.filter(practitioner=prac, patient_id=item.patient_id, status__in=ACTIVE_VALUES,
                                      start__gte=now - timedelta(days=30)).exists():
        raise ApplicationError(ErrorCode.FORBIDDEN, "You have no visit with this patient to review for.")
    try:
        with transaction.atomic():
            s = ReviewSignoff.objects.create(practitioner=prac, patient_id=item.patient_id, item_kind=item_kind,
                                             item_id=item_id, signed_at=now, signed_by=actor.user)
    except IntegrityError:
        raise ApplicationError(ErrorCode.CONFLICT, "You already signed this off.") from None
    record(actor, AuditAction.CREATE, "review_signoff", s.pk, patient_id=item.patient_id,
           detail=f"{item_kind} {item_id}")
    return s
