"""API for billing: eligibility checks and their benefits, X12 import, unmatched answers (claims: api_claims)."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

from django.http import HttpRequest
from django.utils import timezone
from ninja import File, Query, Router, Schema, Status
from ninja.files import UploadedFile

from plexus.billing import selectors, services
from plexus.billing.benefits import DEFAULT_SERVICE_TYPES
from plexus.billing.models import EligibilityCheck
from plexus.core.api_utils import Page, paginate, require_perm
from plexus.core.errors import FieldError, validation_error
from plexus.core.permissions import Perm
from plexus.patients.selectors import access_patient

router = Router(tags=["billing"])


class CheckIn(Schema):
    patient_id: int
    coverage_id: int
    service_types: list[str] = list(DEFAULT_SERVICE_TYPES)
    service_date: date | None = None


class BenefitOut(Schema):
    service_type: str
    label: str
    specific: bool
    active: bool | None
    covered: bool | None
    in_network: str
    copay: Decimal | None
    coinsurance_percent: Decimal | None
    deductible_total: Decimal | None
    deductible_remaining: Decimal | None
    out_of_pocket_remaining: Decimal | None
    visits_total: int | None
    visits_used: int | None
    visits_remaining: int | None
    visit_period: str
    auth_required: bool | None
    status: str
    headline: str
    reasons: list[str]
    messages: list[str]


class CheckOut(Schema):
    id: int
    patient_id: int
    patient_name: str
    coverage_id: int
    payer_name: str
    service_types: list[str]
    service_date: date
    status: str
    transport: str
    trace_number: str
    plan_name: str
    plan_active: bool | None
    rejections: list[str]
    error: str
    created_at: datetime
    sent_at: datetime | None
    answered_at: datetime | None

    @staticmethod
    def resolve_patient_name(obj: EligibilityCheck) -> str:
        return obj.patient.display_name

    @staticmethod
    def resolve_payer_name(obj: EligibilityCheck) -> str:
        return obj.coverage.payer.name


class CheckDetail(CheckOut):
    general_only: list[str]
    benefits: list[BenefitOut]
    request_x12: str
    response_x12: str

    @staticmethod
    def resolve_benefits(obj: EligibilityCheck) -> list:
        return list(obj.benefit_lines.all())

    @staticmethod
    def resolve_general_only(obj: EligibilityCheck) -> list[str]:
        return [b.service_type for b in obj.benefit_lines.all() if not b.specific and b.service_type != "30"]


class CheckFilterIn(Schema):
    patient_id: int | None = None
    status: str = ""
    service_type: str = ""
    limit: int = 25
    offset: int = 0


class UnmatchedOut(Schema):
    id: int
    trace_number: str
    payer_name: str
    payer_identifier: str
    member_id: str
    last_name: str
    first_name: str
    reason: str
    source_name: str
    received_at: datetime


class PageFilter(Schema):
    limit: int = 25
    offset: int = 0


class ImportOut(Schema):
    """What an import did: ``counts`` holds the type's own numbers (271: matched, unmatched,
    duplicates; 999/277CA: accepted, rejected, unmatched; 835: matched, unmatched, denied, ...)."""

    kind: str
    summary: str
    counts: dict


@router.post("/eligibility/checks", response={201: CheckDetail},
             summary="Run an eligibility check (270) for a patient's coverage and service types")
def checks_create(request: HttpRequest, payload: CheckIn):
    act = require_perm(request, Perm.ELIGIBILITY_RUN)
    patient = access_patient(act, payload.patient_id, Perm.ELIGIBILITY_RUN, what="eligibility")
    check = services.eligibility_check_run(
        actor=act, patient=patient, coverage_id=payload.coverage_id, service_types=payload.service_types,
        service_date=payload.service_date or timezone.localdate(),
    )
    return Status(201, selectors.check_get(act, check.pk))


@router.get("/eligibility/checks", response=Page, summary="List eligibility checks (filter by patient, status)")
def checks_list(request: HttpRequest, filters: Query[CheckFilterIn]):
    act = require_perm(request, Perm.ELIGIBILITY_RUN)
    qs = selectors.checks_list(act, selectors.CheckFilter(filters.patient_id, filters.status, filters.service_type))
    return paginate(qs, filters.limit, filters.offset, lambda c: CheckOut.from_orm(c).dict())


@router.get("/eligibility/checks/{check_id}", response=CheckDetail,
            summary="One eligibility check with its benefits summary per service type")
def checks_get(request: HttpRequest, check_id: int):
    return selectors.check_get(require_perm(request, Perm.ELIGIBILITY_RUN), check_id)


@router.get("/eligibility/unmatched", response=Page, summary="271 answers that matched no check")
def unmatched_list(request: HttpRequest, filters: Query[PageFilter]):
    act = require_perm(request, Perm.BILLING_MANAGE)
    return paginate(selectors.unmatched_list(act), filters.limit, filters.offset,
                    lambda u: UnmatchedOut.from_orm(u).dict())


@router.post("/x12/import", response={201: ImportOut},
             summary="Import an X12 file: 271, 999, 277CA or 835 (all or nothing)")
def x12_import(request: HttpRequest, file: File[UploadedFile]):
    act = require_perm(request, Perm.BILLING_MANAGE)
    try:
        text = file.read().decode("ascii")
    except UnicodeDecodeError as exc:
        raise validation_error([FieldError("file", "X12 files are plain ASCII text.")]) from exc
    result = services.x12_import(actor=act, text=text, source_name=f"upload:{file.name}")
    counts = {k: (str(v) if isinstance(v, Decimal) else v) for k, v in result.__dict__.items() if k != "kind"}
    return Status(201, {"kind": result.kind, "summary": result.summary(), "counts": counts})


from plexus.billing import api_claims  # noqa: E402,F401  (registers the claims endpoints on this router)
