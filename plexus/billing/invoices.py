"""Direct pay: invoices for non-covered services and products, payments against them (HSA/FSA only on
eligible lines), letters of medical necessity, itemised receipts and superbills.

Money moves only through the ledger: a visit's direct-pay charge was posted when its encounter was
approved; a product added by hand is posted when the invoice is issued; payments are ledger entries
that name the invoice. What an invoice has been paid is the sum of those entries, never a stored
counter, and its status follows from it.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal

from django.db import transaction
from django.db.models import Max, Sum
from django.utils import timezone

from plexus.billing import ledger
from plexus.billing.models import (
    Account,
    Charge,
    ChargeStatus,
    EntryKind,
    Invoice,
    InvoiceLine,
    InvoiceStatus,
    LedgerEntry,
    MedicalNecessityLetter,
    Stream,
)
from plexus.core.audit import Actor, record
from plexus.core.errors import ApplicationError, ErrorCode, FieldError, validation_error
from plexus.core.models import AuditAction, HsaEligibility, Practitioner, Service
from plexus.engines.claims import icd10_problem, normalize_icd10
from plexus.patients.models import Patient

CENT = Decimal("0.01")
ZERO = Decimal("0.00")
HSA = "hsa"


def _money(value: Decimal) -> Decimal:
    return value.quantize(CENT, ROUND_HALF_UP)


# --- HSA/FSA ---------------------------------------------------------------------------------------


def letter_valid(patient_id: int, procedure_code: str, on: date) -> MedicalNecessityLetter | None:
    """The patient's letter of medical necessity covering ``procedure_code`` on ``on``, if any."""
    for letter in MedicalNecessityLetter.objects.filter(patient_id=patient_id, valid_from__lte=on, valid_to__gte=on):
        if procedure_code in letter.procedure_codes:
            return letter
    return None


def hsa_eligible(line: InvoiceLine, patient_id: int) -> bool:
    """Eligible lines, and 'needs a letter' lines with a valid letter on the date of service."""
    if line.hsa_eligibility == HsaEligibility.ELIGIBLE:
        return True
    if line.hsa_eligibility == HsaEligibility.NEEDS_LMN and line.procedure_code:
        return letter_valid(patient_id, line.procedure_code, line.service_date) is not None
    return False


@transaction.atomic
def letter_create(*, actor: Actor, patient: Patient, practitioner_id: int, diagnoses: Sequence[str],
                  procedure_codes: Sequence[str], frequency: str, valid_from: date, valid_to: date
                  ) -> MedicalNecessityLetter:
    """Record a letter of medical necessity; raise 422 naming the field for bad input."""
    errors = []
    dx = [normalize_icd10(d) for d in diagnoses if d.strip()]
    if not dx:
        errors.append(FieldError("diagnoses", "A letter names the diagnosis it treats."))
    errors += [FieldError(f"diagnoses[{i}]", msg) for i, d in enumerate(dx) if (msg := icd10_problem(d))]
    codes = [c.strip().upper() for c in procedure_codes if c.strip()]
    known = set(Service.objects.filter(procedure_code__in=codes).values_list("procedure_code", flat=True))
    if not codes:
        errors.append(FieldError("procedure_codes", "Name the services the letter covers."))
    errors += [FieldError("procedure_codes", f"{c} is not a service in the catalog.") for c in codes if c not in known]
    if valid_to < valid_from:
        errors.append(FieldError("valid_to", "The letter must end on or after it starts."))
    if not frequency.strip():
        errors.append(FieldError("frequency", "Say how often and for how long, e.g. weekly for 12 weeks."))
    practitioner = Practitioner.objects.filter(pk=practitioner_id, discipline__can_supervise=True).first()
    if practitioner is None:
        errors.append(FieldError("practitioner_id", "A physician, NP or PA signs the letter."))
    if errors:
        raise validation_error(errors)
    letter = MedicalNecessityLetter.objects.create(
        patient=patient, practitioner=practitioner, diagnoses=dx, procedure_codes=codes,
        frequency=frequency.strip()[:100], valid_from=valid_from, valid_to=valid_to)
    record(actor, AuditAction.CREATE, "medical_necessity_letter", letter.pk, patient_id=patient.pk,
           changed_fields=["diagnoses", "procedure_codes", "valid_from", "valid_to"])
    return letter


# --- invoices ----------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class ProductLine:
    """A line added by hand: a product (supplement) or a service without a visit."""

    description: str
    unit_price: Decimal
    quantity: Decimal = Decimal(1)
    tax_rate: Decimal = Decimal(0)
    hsa_eligibility: str = HsaEligibility.NOT_ELIGIBLE
    procedure_code: str = ""


def uninvoiced_charges(patient_id: int) -> list[Charge]:
    """Approved direct-pay charges of the patient that are on no invoice yet, oldest first."""
    return list(Charge.objects.filter(patient_id=patient_id, stream=Stream.DIRECT, status=ChargeStatus.APPROVED,
                                      invoice_line__isnull=True, package_use__isnull=True)
                .select_related("encounter__appointment__service").order_by("encounter__service_date", "pk"))


def _next_number() -> str:
    last = Invoice.objects.aggregate(m=Max("id"))["m"] or 0
    return f"INV-{last + 1:06d}"


def _check_products(products: Sequence[ProductLine]) -> list[FieldError]:
    errors = []
    for i, p in enumerate(products):
        where = f"lines[{i}]"
        if not p.description.strip():
            errors.append(FieldError(f"{where}.description", "Describe the item."))
        if p.unit_price <= 0 or p.unit_price != p.unit_price.quantize(CENT):
            errors.append(FieldError(f"{where}.unit_price", "Enter a positive price in dollars and cents."))
        if p.quantity <= 0:
            errors.append(FieldError(f"{where}.quantity", "Quantity must be positive."))
        if not ZERO <= p.tax_rate < 1:
            errors.append(FieldError(f"{where}.tax_rate", "Tax rate is a fraction such as 0.0825."))
        if p.hsa_eligibility not in HsaEligibility.values:
            errors.append(FieldError(f"{where}.hsa_eligibility", f"Use one of {', '.join(HsaEligibility.values)}."))
    return errors


@transaction.atomic
def invoice_create(*, actor: Actor, patient: Patient, charge_ids: Sequence[int] | None = None,
                   products: Sequence[ProductLine] = (), service_date: date | None = None,
                   now: datetime | None = None) -> Invoice:
    """Create a draft invoice from the patient's uninvoiced direct-pay charges (all, or ``charge_ids``)
    and products added by hand. Raise 422 naming the field when there is nothing to bill or a line is bad."""
    now = now or timezone.now()
    available = {c.pk: c for c in uninvoiced_charges(patient.pk)}
    wanted = list(available) if charge_ids is None else list(charge_ids)
    missing = [cid for cid in wanted if cid not in available]
    errors = [FieldError("charge_ids", f"Charge {cid} is not an uninvoiced direct-pay charge of this patient.")
              for cid in missing]
    errors += _check_products(products)
    if not wanted and not products:
        errors.append(FieldError("lines", "Nothing to invoice: no direct-pay charges and no items."))
    if errors:
        raise validation_error(errors)
    user = actor.user if getattr(actor.user, "is_authenticated", False) else None
    invoice = Invoice.objects.create(patient=patient, number=_next_number(), created_at=now, created_by=user)
    lines = []
    from plexus.billing.packages import active_discount  # packages builds on invoices

    for c in (available[cid] for cid in wanted):
        service = c.encounter.appointment.service
        lines.append(InvoiceLine(
            invoice=invoice, position=len(lines) + 1, charge=c,
            description=f"{service.name}" if c.procedure_code == service.procedure_code else c.procedure_code,
            procedure_code=c.procedure_code, service_date=c.encounter.service_date, quantity=c.units,
            unit_price=c.unit_fee, amount=c.amount, hsa_eligibility=service.hsa_eligibility))
        discount = active_discount(patient.pk, c.procedure_code, c.encounter.service_date)
        if discount is not None:
            off = -_money(c.amount * discount[1] / 100)
            lines.append(InvoiceLine(
                invoice=invoice, position=len(lines) + 1, description=f"{discount[0].plan.name}: "
                f"{discount[1].normalize():f}% off {c.procedure_code}", procedure_code=c.procedure_code,
                service_date=c.encounter.service_date, unit_price=off, amount=off,
                hsa_eligibility=service.hsa_eligibility))
    day = service_date or timezone.localdate(now)
    for p in products:
        subtotal = _money(p.unit_price * p.quantity)
        tax = _money(subtotal * p.tax_rate)
        lines.append(InvoiceLine(
            invoice=invoice, position=len(lines) + 1, description=p.description.strip()[:200],
            procedure_code=p.procedure_code.strip().upper()[:5], service_date=day, quantity=p.quantity,
            unit_price=p.unit_price, tax_rate=p.tax_rate, tax=tax, amount=subtotal + tax,
            hsa_eligibility=p.hsa_eligibility))
    InvoiceLine.objects.bulk_create(lines)
    record(actor, AuditAction.CREATE, "invoice", invoice.pk, patient_id=patient.pk, changed_fields=["lines"])
    return invoice


def total(invoice: Invoice) -> Decimal:
    return _money(invoice.lines.aggregate(s=Sum("amount"))["s"] or ZERO)


def paid(invoice: Invoice) -> Decimal:
    """What the patient has paid on this invoice (payments minus refunds), from the ledger."""
    s = LedgerEntry.objects.filter(invoice=invoice, kind__in=[EntryKind.PATIENT_PAYMENT, EntryKind.REFUND])
    return _money(-(s.aggregate(t=Sum("amount"))["t"] or ZERO))


def credited(invoice: Invoice) -> Decimal:
    """Credits posted against the invoice for what is no longer owed (refunds, unused package sessions);
    its own discount lines are already in the total."""
    s = LedgerEntry.objects.filter(invoice=invoice, kind=EntryKind.CREDIT).exclude(key__startswith="invoice-line:")
    return _money(-(s.aggregate(t=Sum("amount"))["t"] or ZERO))


def balance_due(invoice: Invoice) -> Decimal:
    return _money(total(invoice) - credited(invoice) - paid(invoice))


def hsa_room(invoice: Invoice) -> Decimal:
    """How much an HSA/FSA card may still pay: the eligible lines' total less HSA payments already made."""
    eligible = sum((li.amount for li in invoice.lines.all() if hsa_eligible(li, invoice.patient_id)), ZERO)
    hsa_paid = -(LedgerEntry.objects.filter(invoice=invoice, method=HSA).aggregate(t=Sum("amount"))["t"] or ZERO)
    return _money(eligible - hsa_paid)


def _refresh_status(invoice: Invoice) -> None:
    if invoice.status in (InvoiceStatus.DRAFT, InvoiceStatus.VOID):
        return
    due, got = balance_due(invoice), paid(invoice)
    invoice.status = InvoiceStatus.PAID if due <= 0 else (InvoiceStatus.PARTIAL if got > 0 else InvoiceStatus.ISSUED)
    invoice.save(update_fields=["status"])


@transaction.atomic
def invoice_issue(*, actor: Actor, invoice: Invoice, due_days: int = 30, now: datetime | None = None) -> Invoice:
    """Issue a draft: post the hand-added lines to the patient's balance (visit charges already are)."""
    now = now or timezone.now()
    invoice = Invoice.objects.select_for_update().get(pk=invoice.pk)
    if invoice.status != InvoiceStatus.DRAFT:
        raise ApplicationError(ErrorCode.CONFLICT, f"Only a draft can be issued; this invoice is {invoice.status}.")
    for line in invoice.lines.filter(charge__isnull=True):
        kind = EntryKind.CHARGE if line.amount > 0 else EntryKind.CREDIT  # a discount line is a credit
        ledger.post(actor=actor, patient_id=invoice.patient_id, account=Account.PATIENT, kind=kind,
                    amount=line.amount, key=f"invoice-line:{line.pk}", posted_at=now, service_date=line.service_date,
                    invoice=invoice, memo=f"{invoice.number}: {line.description}"[:300])
    invoice.status, invoice.issued_at = InvoiceStatus.ISSUED, now
    invoice.due_date = timezone.localdate(now) + timedelta(days=due_days)
    invoice.save(update_fields=["status", "issued_at", "due_date"])
    record(actor, AuditAction.UPDATE, "invoice", invoice.pk, patient_id=invoice.patient_id, changed_fields=["status"])
    return invoice


@transaction.atomic
def invoice_pay(*, actor: Actor, invoice: Invoice, amount: Decimal, method: str, reference: str,
                credit_overpayment: bool = False, now: datetime | None = None) -> LedgerEntry:
    """Record a payment on an issued invoice.

    Raise 422 naming the field for a non-positive amount, an unknown method, an HSA/FSA payment
    beyond the eligible lines, or an overpayment (unless ``credit_overpayment``: the excess stays on
    the account as a credit); 409 for a draft or void invoice.
    """
    invoice = Invoice.objects.select_for_update().get(pk=invoice.pk)
    if invoice.status in (InvoiceStatus.DRAFT, InvoiceStatus.VOID):
        raise ApplicationError(ErrorCode.CONFLICT, f"A {invoice.get_status_display().lower()} invoice takes no "
                                                   "payments.", [FieldError("invoice", "Not payable.")])
    if amount > 0 and method == HSA and amount > hsa_room(invoice):
        raise validation_error([FieldError("amount", f"An HSA/FSA card can pay only eligible lines: at most "
                                                     f"${hsa_room(invoice)} on this invoice.")])
    if amount > 0 and amount > balance_due(invoice) and not credit_overpayment:
        raise validation_error([FieldError("amount", f"More than the ${balance_due(invoice)} due; record the "
                                                     "excess as a credit explicitly.")])
    entry = ledger.patient_payment_record(actor=actor, patient_id=invoice.patient_id, amount=amount, method=method,
                                          reference=reference, memo=f"{invoice.number} {method} {reference}",
                                          now=now, invoice=invoice)
    _refresh_status(invoice)
    return entry


@transaction.atomic
def invoice_void(*, actor: Actor, invoice: Invoice, reason: str, now: datetime | None = None) -> Invoice:
    """Void an invoice with no payments: its hand-added lines are reversed on the ledger; visit
    charges go back to 'uninvoiced' (still owed)."""
    invoice = Invoice.objects.select_for_update().get(pk=invoice.pk)
    if not reason.strip():
        raise validation_error([FieldError("reason", "Say why the invoice is voided.")])
    if invoice.status == InvoiceStatus.VOID:
        raise ApplicationError(ErrorCode.CONFLICT, "The invoice is already void.")
    if paid(invoice) != 0:
        raise ApplicationError(ErrorCode.CONFLICT, "Refund the payments before voiding this invoice.")
    now = now or timezone.now()
    if invoice.status != InvoiceStatus.DRAFT:
        for line in invoice.lines.filter(charge__isnull=True):
            ledger.post(actor=actor, patient_id=invoice.patient_id, account=Account.PATIENT, kind=EntryKind.CREDIT,
                        amount=-line.amount, key=f"invoice-line:{line.pk}:void", posted_at=now, invoice=invoice,
                        memo=f"{invoice.number} void: {reason.strip()}"[:300])
    InvoiceLine.objects.filter(invoice=invoice, charge__isnull=False).update(charge=None)
    invoice.status, invoice.void_reason = InvoiceStatus.VOID, reason.strip()[:300]
    invoice.save(update_fields=["status", "void_reason"])
    record(actor, AuditAction.UPDATE, "invoice", invoice.pk, patient_id=invoice.patient_id, changed_fields=["status"])
    return invoice


@transaction.atomic
def invoice_refund(*, actor: Actor, invoice: Invoice, amount: Decimal, method: str, reference: str,
                   reason: str, now: datetime | None = None) -> LedgerEntry:
    """Pay money back on an invoice (e.g. a service not given). The refund raises the patient's
    balance and is matched by a credit for what is no longer owed; it never exceeds what was paid
    (422 naming ``amount`` otherwise)."""
    invoice = Invoice.objects.select_for_update().get(pk=invoice.pk)
    errors = []
    if amount <= 0 or amount != amount.quantize(CENT):
        errors.append(FieldError("amount", "Enter a positive amount in dollars and cents."))
    elif amount > paid(invoice):
        errors.append(FieldError("amount", f"At most ${paid(invoice)} was paid on this invoice."))
    if not reason.strip():
        errors.append(FieldError("reason", "Say why the money is returned."))
    if not reference.strip():
        errors.append(FieldError("reference", "Give the refund reference."))
    if errors:
        raise validation_error(errors)
    now = now or timezone.now()
    key = f"refund:{invoice.pk}:{reference.strip()}"
    entry = ledger.post(actor=actor, patient_id=invoice.patient_id, account=Account.PATIENT, kind=EntryKind.REFUND,
                        amount=amount, key=f"{key}:out", posted_at=now, invoice=invoice, method=method,
                        memo=f"{invoice.number} refund {reference.strip()}: {reason.strip()}"[:300])
    if entry is None:
        raise ApplicationError(ErrorCode.CONFLICT, "This refund reference is already recorded.",
                               [FieldError("reference", "Already recorded.")])
    ledger.post(actor=actor, patient_id=invoice.patient_id, account=Account.PATIENT, kind=EntryKind.CREDIT,
                amount=-amount, key=f"{key}:credit", posted_at=now, invoice=invoice,
                memo=f"{invoice.number}: no longer owed ({reason.strip()})"[:300])
    _refresh_status(invoice)
    record(actor, AuditAction.CREATE, "refund", entry.pk, patient_id=invoice.patient_id, changed_fields=["amount"])
    return entry
