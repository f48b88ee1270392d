"""Checkout for a visit block that mixes insurance and direct pay (issue: one balance, one payment).

The screen shows each component's share: the plan's copay for insurance-billed components (from
the latest eligibility answer), the fee of direct-pay components (drawn from a package when the
patient has one), and items sold at the desk. One payment is split: copays first (a patient payment
against the visit, matched later by the 835's patient responsibility), then the direct-pay invoice.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from zoneinfo import ZoneInfo

from django.db import transaction
from django.utils import timezone

from plexus.billing import benefits as bn
from plexus.billing import invoices, ledger, packages
from plexus.billing.models import BenefitLine, Charge, CheckStatus, Invoice, PackagePurchase, Stream
from plexus.core.audit import Actor
from plexus.core.errors import ApplicationError, ErrorCode, FieldError, validation_error
from plexus.core.models import CoverageCategory
from plexus.patients.models import Priority
from plexus.scheduling.models import ACTIVE_VALUES, VisitBlock

ZERO = Decimal("0.00")


@dataclass
class CheckoutLine:
    appointment_id: int
    service: str
    stream: str
    copay: Decimal = ZERO
    charge: Charge | None = None
    package_options: list[PackagePurchase] = field(default_factory=list)
    note: str = ""


@dataclass
class CheckoutSummary:
    block: VisitBlock
    lines: list[CheckoutLine]

    @property
    def copay(self) -> Decimal:
        return sum((li.copay for li in self.lines), ZERO)

    @property
    def direct(self) -> Decimal:
        return sum((li.charge.amount for li in self.lines if li.charge is not None), ZERO)


def _copay(coverage, code: str) -> Decimal:
    stc = bn.service_type_for(code)
    line = (BenefitLine.objects.filter(eligibility_check__coverage=coverage, service_type__in=[stc, bn.GENERAL],
                                       eligibility_check__status=CheckStatus.ANSWERED, copay__isnull=False)
            .order_by("-eligibility_check__answered_at", "service_type").first())
    return line.copay if line is not None else ZERO


def summary(block: VisitBlock) -> CheckoutSummary:
    """What each component of ``block`` costs the patient today (read-only)."""
    day = timezone.localdate(block.start, ZoneInfo(block.location.time_zone))
    coverage = next((c for c in block.patient.coverages.select_related("payer").filter(priority=Priority.PRIMARY)
                     if c.is_active_on(day)), None)
    open_direct = {c.encounter.appointment_id: c for c in invoices.uninvoiced_charges(block.patient_id)}
    active = list(block.patient.package_purchases.select_related("plan").filter(status="active"))
    lines = []
    for appt in block.appointments.select_related("service").order_by("position"):
        if appt.status not in ACTIVE_VALUES:
            continue
        direct = appt.service.coverage_category == CoverageCategory.DIRECT_PAY or coverage is None
        line = CheckoutLine(appt.pk, appt.service.name, Stream.DIRECT if direct else Stream.INSURANCE)
        if direct:
            line.charge = open_direct.get(appt.pk)
            if line.charge is None:
                line.note = "not coded yet" if not Charge.objects.filter(encounter__appointment=appt).exists() \
                    else "already settled"
            else:
                line.package_options = [p for p in active if packages.sessions_left(p, day) > 0
                                        and (not p.plan.procedure_codes
                                             or line.charge.procedure_code in p.plan.procedure_codes)]
        else:
            line.copay = _copay(coverage, appt.service.procedure_code)
        lines.append(line)
    return CheckoutSummary(block, lines)


@dataclass(frozen=True, slots=True)
class CheckoutResult:
    copay_paid: Decimal
    invoice: Invoice | None
    invoice_paid: Decimal
    packages_used: int
    products_invoice: Invoice | None = None


@transaction.atomic
def checkout(*, actor: Actor, block: VisitBlock, method: str, reference: str, use_packages: dict[int, int],
             products: Sequence[invoices.ProductLine] = (), product_method: str = "") -> CheckoutResult:
    """Settle a visit block: draw the chosen package sessions (charge id -> purchase id), take
    ``method`` for the copays and an invoice of the remaining direct-pay charges, and sell
    ``products`` on their own invoice paid by ``product_method`` (default ``method``; e.g. an HSA/FSA
    card for a supplement). All or nothing: any refusal (an HSA/FSA card on ineligible lines, a
    used-up package) raises 422/409 naming the field and posts nothing.
    """
    s = summary(block)
    if not reference.strip():
        raise validation_error([FieldError("reference", "Give the receipt or terminal reference.")])
    used = 0
    for line in s.lines:
        if line.charge is not None and line.charge.pk in use_packages:
            packages.draw_down(actor=actor, purchase_id=use_packages[line.charge.pk], charge_id=line.charge.pk)
            line.charge = None
            used += 1
    copay = s.copay
    if copay > 0:
        ledger.patient_payment_record(actor=actor, patient_id=block.patient_id, amount=copay, method=method,
                                      reference=f"{reference.strip()}-copay",
                                      memo=f"Copay, visit {block.start:%Y-%m-%d} ({method})")
    charge_ids = [li.charge.pk for li in s.lines if li.charge is not None]
    invoice = _settle(actor, block, method, reference.strip(), charge_ids=charge_ids) if charge_ids else None
    sold = _settle(actor, block, product_method or method, f"{reference.strip()}-items", charge_ids=[],
                   products=products) \
        if products else None
    if copay <= 0 and invoice is None and sold is None and not used:
        raise ApplicationError(ErrorCode.CONFLICT, "Nothing to settle for this visit.",
                               [FieldError("block", "Nothing due.")])
    return CheckoutResult(copay, invoice, invoices.paid(invoice) if invoice else ZERO, used, sold)


def _settle(actor: Actor, block: VisitBlock, method: str, reference: str, **lines) -> Invoice:
    """Issue an invoice for ``lines`` and pay its balance with ``method``."""
    invoice = invoices.invoice_issue(actor=actor, invoice=invoices.invoice_create(
        actor=actor, patient=block.patient, service_date=timezone.localdate(block.start), **lines))
    due = invoices.balance_due(invoice)
    if due > 0:
        invoices.invoice_pay(actor=actor, invoice=invoice, amount=due, method=method, reference=reference)
        invoice.refresh_from_db()
    return invoice
