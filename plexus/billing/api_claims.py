"""API for charges, claims, 837P batches, remittance, denials, the patient ledger and A/R aging."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from decimal import Decimal

from django.http import HttpRequest, HttpResponse
from django.utils import timezone
from ninja import Query, Schema, Status

from plexus.billing import charges as charge_services
from plexus.billing import claims as claim_services
from plexus.billing import documents, invoices, ledger, packages, selectors, statements, visit_coverage
from plexus.billing.api import router
from plexus.billing.models import (
    Charge,
    Claim,
    ClaimBatch,
    Encounter,
    Invoice,
    LedgerEntry,
    PackagePlan,
    PackagePurchase,
    RemittanceClaim,
)
from plexus.billing.remittance import unmatched_dismiss, unmatched_match
from plexus.core.api_utils import Page, paginate, require_perm
from plexus.core.audit import record
from plexus.core.errors import ApplicationError, ErrorCode, FieldError, validation_error
from plexus.core.models import AuditAction, Location
from plexus.core.permissions import Perm
from plexus.patients.selectors import access_patient
from plexus.scheduling.models import Appointment, VisitBlock


class LineIn(Schema):
    procedure_code: str
    units: Decimal = Decimal(1)
    modifiers: list[str] = []
    diagnosis_pointers: list[int] = [1]


class EncounterIn(Schema):
    appointment_id: int
    diagnoses: list[str]
    coverage_id: int | None = None
    minutes: int | None = None
    place_of_service: str = ""
    improving: bool | None = None
    lines: list[LineIn] = []


class ChargeOut(Schema):
    id: int
    position: int
    procedure_code: str
    modifiers: list[str]
    units: Decimal
    unit_fee: Decimal
    amount: Decimal
    diagnosis_pointers: list[int]
    stream: str
    fee_source: str
    status: str


class EncounterOut(Schema):
    id: int
    appointment_id: int
    patient_id: int
    practitioner_id: int
    coverage_id: int | None
    service_date: date
    diagnoses: list[str]
    minutes: int
    place_of_service: str
    charges: list[ChargeOut]

    @staticmethod
    def resolve_charges(obj: Encounter) -> list[Charge]:
        return list(obj.charges.order_by("position"))


class ProblemOut(Schema):
    code: str
    field: str
    severity: str
    message: str


class ClaimOut(Schema):
    id: int
    patient_control_number: str
    patient_id: int
    payer_id: int
    payer_name: str
    status: str
    service_date: date
    total_charge: Decimal
    paid_amount: Decimal
    patient_responsibility: Decimal
    batch_id: int | None
    primary_claim_id: int | None
    problems: list[ProblemOut]

    @staticmethod
    def resolve_payer_name(obj: Claim) -> str:
        return obj.payer.name


class ClaimLineOut(Schema):
    position: int
    procedure_code: str
    modifiers: list[str]
    units: Decimal
    amount: Decimal
    diagnosis_pointers: list[int]
    service_date: date


class ClaimEventOut(Schema):
    at: datetime
    username: str
    from_status: str
    to_status: str
    note: str


class ClaimDetail(ClaimOut):
    rendering_id: int
    supervising_id: int | None
    place_of_service: str
    diagnoses: list[str]
    payer_claim_number: str
    lines: list[ClaimLineOut]
    events: list[ClaimEventOut]
    x12: str

    @staticmethod
    def resolve_lines(obj: Claim) -> list:
        return list(obj.lines.all())

    @staticmethod
    def resolve_events(obj: Claim) -> list:
        return list(obj.events.all())

    @staticmethod
    def resolve_x12(obj: Claim) -> str:
        return selectors.claim_x12(obj)


class ClaimFilterIn(Schema):
    status: str = ""
    patient_id: int | None = None
    payer_id: int | None = None
    batch_id: int | None = None
    limit: int = 25
    offset: int = 0


class TransitionIn(Schema):
    to: str
    note: str = ""


class BatchIn(Schema):
    claim_ids: list[int] | None = None


class BatchOut(Schema):
    id: int
    control_number: int
    created_at: datetime
    claim_count: int
    total_charge: Decimal
    exported_at: datetime | None
    ack_status: str


class VoidIn(Schema):
    reason: str


class EntryOut(Schema):
    id: int
    account: str
    kind: str
    amount: Decimal
    posted_at: datetime
    service_date: date | None
    claim_id: int | None
    charge_id: int | None
    group_code: str
    reason_code: str
    remark_codes: list[str]
    method: str
    memo: str
    username: str


class LedgerOut(Schema):
    patient_id: int
    insurance_pending: Decimal
    patient_due: Decimal
    total: Decimal
    entries: list[EntryOut]


class PaymentIn(Schema):
    amount: Decimal
    method: str
    reference: str
    memo: str = ""


class RemitClaimOut(Schema):
    id: int
    remittance_id: int
    claim_id: int | None
    patient_control_number: str
    status_code: str
    charge: Decimal
    paid: Decimal
    patient_responsibility: Decimal
    patient_name: str
    adjustments: list[dict]
    remark_codes: list[str]
    denied: bool


class AgingOut(Schema):
    account: str
    b0_30: Decimal
    b31_60: Decimal
    b61_90: Decimal
    b91_120: Decimal
    b120_plus: Decimal
    total: Decimal
    unapplied_credit: Decimal


class PageFilterIn(Schema):
    limit: int = 25
    offset: int = 0


def _claim_detail(act, claim_id: int) -> Claim:
    return selectors.claim_get(act, claim_id)


@router.get("/charges/review", response=list[EncounterOut], summary="Encounters with charges waiting for review")
def charges_review(request: HttpRequest):
    return selectors.review_queue(require_perm(request, Perm.BILLING_MANAGE))


@router.post("/encounters", response={201: EncounterOut},
             summary="Record a completed appointment's encounter (diagnoses, minutes) and price its charges")
def encounters_create(request: HttpRequest, payload: EncounterIn):
    act = require_perm(request, Perm.BILLING_MANAGE)
    data = charge_services.EncounterInput(
        appointment_id=payload.appointment_id, diagnoses=tuple(payload.diagnoses), coverage_id=payload.coverage_id,
        minutes=payload.minutes, place_of_service=payload.place_of_service, improving=payload.improving,
        lines=tuple(charge_services.LineInput(li.procedure_code, li.units, tuple(li.modifiers),
                                              tuple(li.diagnosis_pointers)) for li in payload.lines))
    enc = charge_services.encounter_record(actor=act, data=data)
    return Status(201, enc)


@router.post("/encounters/{encounter_id}/approve", response={200: ClaimDetail, 204: None},
             summary="Approve an encounter's charges: post them and create the claim (204 when all direct pay)")
def encounters_approve(request: HttpRequest, encounter_id: int):
    act = require_perm(request, Perm.BILLING_MANAGE)
    claim = charge_services.encounter_approve(actor=act, encounter=selectors.encounter_get(act, encounter_id))
    if claim is None:
        return Status(204, None)
    return _claim_detail(act, claim.pk)


@router.post("/charges/{charge_id}/void", response=ChargeOut, summary="Void a charge still under review")
def charges_void(request: HttpRequest, charge_id: int, payload: VoidIn):
    act = require_perm(request, Perm.BILLING_MANAGE)
    charge = Charge.objects.filter(pk=charge_id).first()
    if charge is None:
        raise ApplicationError(ErrorCode.NOT_FOUND, f"No charge {charge_id}.")
    access_patient(act, charge.patient_id, Perm.BILLING_MANAGE, what="charge")
    return charge_services.charge_void(actor=act, charge=charge, reason=payload.reason)


@router.get("/claims", response=Page, summary="List claims (filter by status, patient, payer, batch)")
def claims_list(request: HttpRequest, filters: Query[ClaimFilterIn]):
    act = require_perm(request, Perm.BILLING_MANAGE)
    qs = selectors.claims_list(act, selectors.ClaimFilter(filters.status, filters.patient_id, filters.payer_id,
                                                          filters.batch_id))
    return paginate(qs, filters.limit, filters.offset, lambda c: ClaimOut.from_orm(c).dict())


@router.get("/claims/{claim_id}", response=ClaimDetail, summary="One claim: lines, scrub problems, history, its X12")
def claims_get(request: HttpRequest, claim_id: int):
    return _claim_detail(require_perm(request, Perm.BILLING_MANAGE), claim_id)


@router.post("/claims/{claim_id}/scrub", response=ClaimDetail, summary="Scrub a claim again")
def claims_scrub(request: HttpRequest, claim_id: int):
    act = require_perm(request, Perm.BILLING_MANAGE)
    claim_services.claim_scrub(actor=act, claim=selectors.claim_get(act, claim_id))
    return _claim_detail(act, claim_id)


@router.post("/claims/{claim_id}/transition", response=ClaimDetail,
             summary="Move a claim by hand: appeal, close, or reopen a rejected claim for correction")
def claims_transition(request: HttpRequest, claim_id: int, payload: TransitionIn):
    act = require_perm(request, Perm.BILLING_MANAGE)
    claim_services.claim_transition(actor=act, claim=selectors.claim_get(act, claim_id), to=payload.to,
                                    note=payload.note)
    return _claim_detail(act, claim_id)


@router.post("/batches", response={201: BatchOut}, summary="Build an 837P batch of every ready claim (or those given)")
def batches_create(request: HttpRequest, payload: BatchIn):
    act = require_perm(request, Perm.BILLING_MANAGE)
    return Status(201, claim_services.batch_build(actor=act, claim_ids=payload.claim_ids))


@router.get("/batches", response=Page, summary="List 837P batches")
def batches_list(request: HttpRequest, filters: Query[PageFilterIn]):
    act = require_perm(request, Perm.BILLING_MANAGE)
    return paginate(selectors.batches_list(act), filters.limit, filters.offset, lambda b: BatchOut.from_orm(b).dict())


@router.get("/batches/{batch_id}", response=BatchOut, summary="One 837P batch")
def batches_get(request: HttpRequest, batch_id: int):
    return selectors.batch_get(require_perm(request, Perm.BILLING_MANAGE), batch_id)


@router.get("/batches/{batch_id}/x12", summary="Download a batch's 837P file (marks it exported)")
def batches_x12(request: HttpRequest, batch_id: int):
    act = require_perm(request, Perm.BILLING_MANAGE)
    batch: ClaimBatch = selectors.batch_get(act, batch_id)
    text = claim_services.batch_export(actor=act, batch=batch)
    response = HttpResponse(text, content_type="application/edi-x12")
    response["Content-Disposition"] = f'attachment; filename="837P-{batch.control_number:09d}.x12"'
    return response


@router.get("/remittances/unmatched", response=Page, summary="835 claims that matched no claim of ours")
def remittances_unmatched(request: HttpRequest, filters: Query[PageFilterIn]):
    act = require_perm(request, Perm.BILLING_MANAGE)
    return paginate(selectors.remittance_unmatched(act), filters.limit, filters.offset,
                    lambda r: RemitClaimOut.from_orm(r).dict())


@router.get("/denials", response=Page, summary="Denied claims not yet appealed or closed")
def denials_list(request: HttpRequest, filters: Query[PageFilterIn]):
    act = require_perm(request, Perm.BILLING_MANAGE)
    return paginate(selectors.denials(act), filters.limit, filters.offset,
                    lambda r: RemitClaimOut.from_orm(r).dict())


@router.get("/patients/{patient_id}/ledger", response=LedgerOut, summary="A patient's ledger entries and balances")
def patient_ledger(request: HttpRequest, patient_id: int):
    act = require_perm(request, Perm.BALANCE_VIEW)
    _, entries, bal = selectors.patient_ledger(act, patient_id)
    return {"patient_id": patient_id, "insurance_pending": bal.insurance_pending, "patient_due": bal.patient_due,
            "total": bal.total, "entries": entries}


@router.post("/patients/{patient_id}/payments", response={201: EntryOut},
             summary="Record a patient payment (card, cash, check, HSA/FSA) against the balance")
def patient_payment(request: HttpRequest, patient_id: int, payload: PaymentIn):
    act = require_perm(request, Perm.BILLING_MANAGE)
    access_patient(act, patient_id, Perm.BILLING_MANAGE, what="payment")
    entry: LedgerEntry = ledger.patient_payment_record(actor=act, patient_id=patient_id, amount=payload.amount,
                                                       method=payload.method, reference=payload.reference,
                                                       memo=payload.memo)
    return Status(201, entry)


@router.get("/ar-aging", response=list[AgingOut], summary="A/R aging by account in 30-day buckets")
def ar_aging(request: HttpRequest, as_of: date | None = None):
    act = require_perm(request, Perm.BILLING_MANAGE)
    return selectors.ar_aging(act, as_of or timezone.localdate())



class ComponentCoverageOut(Schema):
    appointment_id: int
    service: str
    stream: str
    light: str
    reasons: list[str]
    warnings: list[str]
    waiver_id: int | None
    needs_waiver: bool


class BlockCoverageOut(Schema):
    block_id: int
    patient_id: int
    payer_name: str | None
    light: str
    waiver_kind: str
    components: list[ComponentCoverageOut]


class WaiverIn(Schema):
    appointment_id: int
    reason: str
    estimated_cost: Decimal
    signed_name: str


class WaiverOut(Schema):
    id: int
    appointment_id: int
    kind: str
    reason: str
    estimated_cost: Decimal
    signed_name: str
    signed_at: datetime


def _block_coverage_out(bc) -> dict:
    return {
        "block_id": bc.block.pk, "patient_id": bc.block.patient_id,
        "payer_name": bc.coverage.payer.name if bc.coverage else None, "light": bc.light,
        "waiver_kind": bc.waiver_kind,
        "components": [{"appointment_id": c.appointment.pk, "service": c.appointment.service.name,
                        "stream": c.stream, "light": c.light, "reasons": list(c.reasons),
                        "warnings": [w.code for w in c.warnings], "waiver_id": c.waiver.pk if c.waiver else None,
                        "needs_waiver": c.needs_waiver} for c in bc.components],
    }


@router.get("/blocks/{block_id}/coverage", response=BlockCoverageOut,
            summary="A visit block's coverage light per component, limit warnings and waivers")
def block_coverage(request: HttpRequest, block_id: int):
    act = require_perm(request, Perm.ELIGIBILITY_RUN)
    block = VisitBlock.objects.select_related("location").filter(pk=block_id).first()
    if block is None:
        raise ApplicationError(ErrorCode.NOT_FOUND, f"No visit block {block_id}.")
    access_patient(act, block.patient_id, Perm.ELIGIBILITY_RUN, what="coverage")
    return _block_coverage_out(visit_coverage.block_coverage(block))


@router.get("/eligibility/day", response=list[BlockCoverageOut],
            summary="Every visit block of a day at a location with its coverage light")
def day_eligibility(request: HttpRequest, location_id: int, day: date | None = None):
    act = require_perm(request, Perm.ELIGIBILITY_RUN)
    location = Location.objects.filter(pk=location_id).first()
    if location is None:
        raise validation_error([FieldError("location_id", f"No location {location_id}.")])
    record(act, AuditAction.READ, "eligibility.day", detail=f"{day} {location.name}")
    return [_block_coverage_out(bc) for bc in visit_coverage.day_coverage(day or timezone.localdate(), location)]


@router.post("/waivers", response={201: WaiverOut},
             summary="Record a signed waiver (ABN for Medicare, else a direct-pay agreement) for one appointment")
def waivers_create(request: HttpRequest, payload: WaiverIn):
    act = require_perm(request, Perm.ELIGIBILITY_RUN)
    appt = Appointment.objects.filter(pk=payload.appointment_id).first()
    if appt is None:
        raise validation_error([FieldError("appointment_id", f"No appointment {payload.appointment_id}.")])
    access_patient(act, appt.patient_id, Perm.ELIGIBILITY_RUN, what="waiver")
    return Status(201, visit_coverage.waiver_record(actor=act, appointment=appt, reason=payload.reason,
                                                    estimated_cost=payload.estimated_cost,
                                                    signed_name=payload.signed_name))


class MatchIn(Schema):
    patient_control_number: str


class DismissIn(Schema):
    note: str


def _unmatched(request: HttpRequest, rc_id: int):
    act = require_perm(request, Perm.BILLING_MANAGE)
    rc = RemittanceClaim.objects.filter(pk=rc_id, claim__isnull=True).first()
    if rc is None:
        raise ApplicationError(ErrorCode.NOT_FOUND, f"No unmatched claim payment {rc_id}.")
    return act, rc


@router.post("/remittances/unmatched/{rc_id}/match", response=RemitClaimOut,
             summary="Post an unmatched 835 claim payment to one of our claims")
def remittances_match(request: HttpRequest, rc_id: int, payload: MatchIn):
    act, rc = _unmatched(request, rc_id)
    return unmatched_match(actor=act, rc=rc, patient_control_number=payload.patient_control_number)


@router.post("/remittances/unmatched/{rc_id}/dismiss", response=RemitClaimOut,
             summary="Take an unmatched 835 claim payment off the list without posting")
def remittances_dismiss(request: HttpRequest, rc_id: int, payload: DismissIn):
    act, rc = _unmatched(request, rc_id)
    return unmatched_dismiss(actor=act, rc=rc, note=payload.note)


# --- direct pay ---------------------------------------------------------------------------------------


class ProductIn(Schema):
    description: str
    unit_price: Decimal
    quantity: Decimal = Decimal(1)
    tax_rate: Decimal = Decimal(0)
    hsa_eligibility: str = "not_eligible"
    procedure_code: str = ""


class InvoiceIn(Schema):
    charge_ids: list[int] | None = None
    products: list[ProductIn] = []


class InvoiceLineOut(Schema):
    position: int
    description: str
    procedure_code: str
    service_date: date
    quantity: Decimal
    unit_price: Decimal
    tax: Decimal
    amount: Decimal
    hsa_eligibility: str
    charge_id: int | None


class InvoiceOut(Schema):
    id: int
    number: str
    patient_id: int
    status: str
    issued_at: datetime | None
    due_date: date | None
    total: Decimal
    paid: Decimal
    balance_due: Decimal
    hsa_room: Decimal
    lines: list[InvoiceLineOut]


class InvoicePaymentIn(Schema):
    amount: Decimal
    method: str
    reference: str
    credit_overpayment: bool = False


class LetterIn(Schema):
    practitioner_id: int
    diagnoses: list[str]
    procedure_codes: list[str]
    frequency: str
    valid_from: date
    valid_to: date


class LetterOut(Schema):
    id: int
    practitioner_id: int
    diagnoses: list[str]
    procedure_codes: list[str]
    frequency: str
    valid_from: date
    valid_to: date


def _invoice_out(inv: Invoice) -> dict:
    return {"id": inv.pk, "number": inv.number, "patient_id": inv.patient_id, "status": inv.status,
            "issued_at": inv.issued_at, "due_date": inv.due_date, "total": invoices.total(inv),
            "paid": invoices.paid(inv), "balance_due": invoices.balance_due(inv), "hsa_room": invoices.hsa_room(inv),
            "lines": list(inv.lines.all())}


def _invoice(request: HttpRequest, invoice_id: int, perm: Perm = Perm.BALANCE_VIEW):
    act = require_perm(request, perm)
    inv = Invoice.objects.filter(pk=invoice_id).first()
    if inv is None:
        raise ApplicationError(ErrorCode.NOT_FOUND, f"No invoice {invoice_id}.")
    access_patient(act, inv.patient_id, perm, what="invoice")
    return act, inv


@router.post("/patients/{patient_id}/invoices", response={201: InvoiceOut},
             summary="Draft an invoice from uninvoiced direct-pay charges and items added by hand")
def invoices_create(request: HttpRequest, patient_id: int, payload: InvoiceIn):
    act = require_perm(request, Perm.BALANCE_VIEW)
    patient = access_patient(act, patient_id, Perm.BALANCE_VIEW, what="invoice")
    products = [invoices.ProductLine(p.description, p.unit_price, p.quantity, p.tax_rate, p.hsa_eligibility,
                                     p.procedure_code) for p in payload.products]
    inv = invoices.invoice_create(actor=act, patient=patient, charge_ids=payload.charge_ids, products=products)
    return Status(201, _invoice_out(inv))


@router.get("/invoices/{invoice_id}", response=InvoiceOut, summary="One invoice with paid and due amounts")
def invoices_get(request: HttpRequest, invoice_id: int):
    return _invoice_out(_invoice(request, invoice_id)[1])


@router.post("/invoices/{invoice_id}/issue", response=InvoiceOut, summary="Issue a draft invoice")
def invoices_issue(request: HttpRequest, invoice_id: int):
    act, inv = _invoice(request, invoice_id)
    return _invoice_out(invoices.invoice_issue(actor=act, invoice=inv))


@router.post("/invoices/{invoice_id}/payments", response={201: InvoiceOut},
             summary="Take a payment on an invoice (HSA/FSA only on eligible lines)")
def invoices_pay(request: HttpRequest, invoice_id: int, payload: InvoicePaymentIn):
    act, inv = _invoice(request, invoice_id)
    invoices.invoice_pay(actor=act, invoice=inv, amount=payload.amount, method=payload.method,
                         reference=payload.reference, credit_overpayment=payload.credit_overpayment)
    inv.refresh_from_db()
    return Status(201, _invoice_out(inv))


@router.post("/invoices/{invoice_id}/void", response=InvoiceOut, summary="Void an unpaid invoice")
def invoices_void(request: HttpRequest, invoice_id: int, payload: VoidIn):
    act, inv = _invoice(request, invoice_id, Perm.BILLING_MANAGE)
    return _invoice_out(invoices.invoice_void(actor=act, invoice=inv, reason=payload.reason))


@router.get("/invoices/{invoice_id}/pdf", summary="The invoice (or, once paid, the itemised receipt) as PDF")
def invoices_pdf(request: HttpRequest, invoice_id: int):
    _, inv = _invoice(request, invoice_id)
    response = HttpResponse(documents.to_pdf(documents.invoice_html(inv)), content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="{inv.number}.pdf"'
    return response


@router.post("/patients/{patient_id}/letters", response={201: LetterOut},
             summary="Record a letter of medical necessity (makes 'needs letter' services HSA/FSA-eligible)")
def letters_create(request: HttpRequest, patient_id: int, payload: LetterIn):
    act = require_perm(request, Perm.BALANCE_VIEW)
    patient = access_patient(act, patient_id, Perm.BALANCE_VIEW, what="letter")
    return Status(201, invoices.letter_create(
        actor=act, patient=patient, practitioner_id=payload.practitioner_id, diagnoses=payload.diagnoses,
        procedure_codes=payload.procedure_codes, frequency=payload.frequency, valid_from=payload.valid_from,
        valid_to=payload.valid_to))


@router.get("/patients/{patient_id}/superbill", summary="Superbill PDF for a period (default: the last 90 days)")
def superbill_pdf(request: HttpRequest, patient_id: int, start: date | None = None, end: date | None = None):
    act = require_perm(request, Perm.BALANCE_VIEW)
    patient = access_patient(act, patient_id, Perm.BALANCE_VIEW, what="superbill")
    end = end or timezone.localdate()
    start = start or end - timedelta(days=90)
    if start > end:
        raise validation_error([FieldError("start", "The period starts after it ends.")])
    record(act, AuditAction.EXPORT, "superbill", patient.pk, patient_id=patient.pk, detail=f"{start}..{end}")
    response = HttpResponse(documents.to_pdf(documents.superbill_html(patient, start, end)),
                            content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="superbill-{patient.chart_number}.pdf"'
    return response


class PlanOut(Schema):
    id: int
    name: str
    kind: str
    price: Decimal
    procedure_codes: list[str]
    sessions: int
    validity_days: int
    discount_percent: Decimal


class PurchaseOut(Schema):
    id: int
    plan_id: int
    plan_name: str
    status: str
    purchased_at: datetime
    expires_on: date | None
    next_billing_date: date | None
    sessions_total: int
    sessions_left: int
    invoice_id: int | None


class PurchaseIn(Schema):
    plan_id: int


class DrawIn(Schema):
    charge_id: int


class RefundIn(Schema):
    reference: str


class MembershipIn(Schema):
    action: str
    until: date | None = None


def _purchase_out(p) -> dict:
    return {"id": p.pk, "plan_id": p.plan_id, "plan_name": p.plan.name, "status": p.status,
            "purchased_at": p.purchased_at, "expires_on": p.expires_on, "next_billing_date": p.next_billing_date,
            "sessions_total": p.sessions_total, "sessions_left": packages.sessions_left(p, timezone.localdate()),
            "invoice_id": p.invoice_id}


def _purchase(request: HttpRequest, purchase_id: int):
    act = require_perm(request, Perm.BALANCE_VIEW)
    p = PackagePurchase.objects.select_related("plan").filter(pk=purchase_id).first()
    if p is None:
        raise ApplicationError(ErrorCode.NOT_FOUND, f"No package or membership {purchase_id}.")
    access_patient(act, p.patient_id, Perm.BALANCE_VIEW, what="packages")
    return act, p


@router.get("/package-plans", response=list[PlanOut], summary="Packages and memberships the practice sells")
def plans_list(request: HttpRequest):
    require_perm(request, Perm.BALANCE_VIEW)
    return list(PackagePlan.objects.filter(is_active=True))


@router.get("/patients/{patient_id}/packages", response=list[PurchaseOut], summary="A patient's packages")
def purchases_list(request: HttpRequest, patient_id: int):
    act = require_perm(request, Perm.BALANCE_VIEW)
    patient = access_patient(act, patient_id, Perm.BALANCE_VIEW, what="packages")
    return [_purchase_out(p) for p in patient.package_purchases.select_related("plan")]


@router.post("/patients/{patient_id}/packages", response={201: PurchaseOut},
             summary="Sell a package or membership (an issued invoice for its price)")
def purchases_create(request: HttpRequest, patient_id: int, payload: PurchaseIn):
    act = require_perm(request, Perm.BALANCE_VIEW)
    patient = access_patient(act, patient_id, Perm.BALANCE_VIEW, what="packages")
    plan = PackagePlan.objects.filter(pk=payload.plan_id).first()
    if plan is None:
        raise validation_error([FieldError("plan_id", f"No plan {payload.plan_id}.")])
    return Status(201, _purchase_out(packages.purchase(actor=act, patient=patient, plan=plan)))


@router.post("/packages/{purchase_id}/draw", response={201: PurchaseOut},
             summary="Draw one session down for a direct-pay visit charge")
def purchases_draw(request: HttpRequest, purchase_id: int, payload: DrawIn):
    act, p = _purchase(request, purchase_id)
    packages.draw_down(actor=act, purchase_id=p.pk, charge_id=payload.charge_id)
    return Status(201, _purchase_out(p))


@router.post("/packages/{purchase_id}/refund", response=PurchaseOut, summary="Refund unused package sessions")
def purchases_refund(request: HttpRequest, purchase_id: int, payload: RefundIn):
    act, p = _purchase(request, purchase_id)
    packages.refund_unused(actor=act, purchase_id=p.pk, reference=payload.reference)
    p.refresh_from_db()
    return _purchase_out(p)


@router.post("/packages/{purchase_id}/membership", response=PurchaseOut,
             summary="Pause (until a date), resume or cancel a membership")
def purchases_membership(request: HttpRequest, purchase_id: int, payload: MembershipIn):
    act, p = _purchase(request, purchase_id)
    return _purchase_out(packages.membership_set(actor=act, purchase_id=p.pk, action=payload.action,
                                                 until=payload.until))


@router.get("/patients/{patient_id}/statement", summary="The monthly statement PDF (default: last month)")
def statement_pdf(request: HttpRequest, patient_id: int, end: date | None = None):
    act = require_perm(request, Perm.BALANCE_VIEW)
    patient = access_patient(act, patient_id, Perm.BALANCE_VIEW, what="statement")
    end = end or statements.month_end(timezone.localdate())
    record(act, AuditAction.EXPORT, "statement", patient.pk, patient_id=patient.pk, detail=str(end))
    response = HttpResponse(statements.statement_pdf(patient, end), content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="statement-{patient.chart_number}-{end:%Y-%m}.pdf"'
    return response


class RefundPaymentIn(Schema):
    amount: Decimal
    method: str
    reference: str
    reason: str


@router.post("/invoices/{invoice_id}/refunds", response={201: InvoiceOut},
             summary="Refund money paid on an invoice (never more than was paid)")
def invoices_refund(request: HttpRequest, invoice_id: int, payload: RefundPaymentIn):
    act, inv = _invoice(request, invoice_id, Perm.BILLING_MANAGE)
    invoices.invoice_refund(actor=act, invoice=inv, amount=payload.amount, method=payload.method,
                            reference=payload.reference, reason=payload.reason)
    inv.refresh_from_db()
    return Status(201, _invoice_out(inv))
