"""Packages ('10 massages') and memberships ('monthly wellness: 1 acupuncture and 10% off').

A purchase is sold on an invoice (paid like any invoice, HSA/FSA rules included). Drawing a session
down for a direct-pay visit charge credits that charge on the ledger, so the visit costs nothing
more; sessions left are derived from the uses. Unused package sessions expire (a reconciler) or are
refunded by policy (PLEXUS_PACKAGE_REFUND: 'prorata' (default) or 'none'). Memberships are billed
each month by a reconciler (one bill per period, unique), and can be paused and cancelled.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal

from django.db import IntegrityError, transaction
from django.utils import timezone

from plexus.billing import invoices, ledger
from plexus.billing.models import (
    Account,
    Charge,
    ChargeStatus,
    EntryKind,
    MembershipBill,
    PackagePlan,
    PackagePurchase,
    PackageUse,
    PlanKind,
    PurchaseStatus,
    Stream,
)
from plexus.core.audit import Actor, record
from plexus.core.errors import ApplicationError, ErrorCode, FieldError, validation_error
from plexus.core.models import AuditAction, HsaEligibility, Service
from plexus.patients.models import Patient

CENT = Decimal("0.01")


def _next_month(day: date) -> date:
    """Same day next month (clamped to the month's last day)."""
    year, month = (day.year + 1, 1) if day.month == 12 else (day.year, day.month + 1)
    for d in (day.day, 30, 29, 28):
        try:
            return date(year, month, d)
        except ValueError:
            continue
    raise AssertionError("unreachable")


def _period_start(purchase: PackagePurchase, on: date) -> date:
    """The start of the membership month containing ``on`` (months run from the purchase date)."""
    start = timezone.localdate(purchase.purchased_at)
    while _next_month(start) <= on:
        start = _next_month(start)
    return start


def sessions_used(purchase: PackagePurchase, *, period_of: date | None = None) -> int:
    """Sessions drawn in all (package) or in the membership month containing ``period_of``."""
    uses = purchase.uses.all()
    if period_of is not None:
        start = _period_start(purchase, period_of)
        uses = uses.filter(used_on__gte=start, used_on__lt=_next_month(start))
    return uses.count()


def sessions_left(purchase: PackagePurchase, on: date) -> int:
    if purchase.plan.kind == PlanKind.MEMBERSHIP:
        return purchase.sessions_total - sessions_used(purchase, period_of=on)
    return purchase.sessions_total - sessions_used(purchase)


def _hsa_terms(plan: PackagePlan) -> dict:
    """A package of one service is as HSA/FSA-eligible as that service (massage: with a letter of
    medical necessity); memberships and mixed packages are not."""
    if plan.kind != PlanKind.PACKAGE or len(plan.procedure_codes) != 1:
        return {"hsa_eligibility": HsaEligibility.NOT_ELIGIBLE}
    code = plan.procedure_codes[0]
    levels = set(Service.objects.filter(procedure_code=code).values_list("hsa_eligibility", flat=True))
    level = HsaEligibility.NOT_ELIGIBLE if not levels or HsaEligibility.NOT_ELIGIBLE in levels else (
        HsaEligibility.NEEDS_LMN if HsaEligibility.NEEDS_LMN in levels else HsaEligibility.ELIGIBLE)
    return {"hsa_eligibility": level, "procedure_code": code}


@transaction.atomic
def purchase(*, actor: Actor, patient: Patient, plan: PackagePlan, now: datetime | None = None) -> PackagePurchase:
    """Sell ``plan`` to the patient: an issued invoice for its price and an active purchase."""
    now = now or timezone.now()
    if not plan.is_active:
        raise validation_error([FieldError("plan_id", "This plan is no longer sold.")])
    inv = invoices.invoice_create(actor=actor, patient=patient, now=now, charge_ids=[], products=[invoices.ProductLine(
        f"{plan.name}" + (" (first month)" if plan.kind == PlanKind.MEMBERSHIP else ""), plan.price,
        **_hsa_terms(plan))])
    inv = invoices.invoice_issue(actor=actor, invoice=inv, now=now)
    today = timezone.localdate(now)
    p = PackagePurchase.objects.create(
        patient=patient, plan=plan, purchased_at=now, price_paid=plan.price, sessions_total=plan.sessions,
        expires_on=today + timedelta(days=plan.validity_days) if plan.kind == PlanKind.PACKAGE else None,
        next_billing_date=_next_month(today) if plan.kind == PlanKind.MEMBERSHIP else None, invoice=inv)
    if plan.kind == PlanKind.MEMBERSHIP:
        MembershipBill.objects.create(purchase=p, period_start=today, invoice=inv)
    record(actor, AuditAction.CREATE, "package_purchase", p.pk, patient_id=patient.pk, changed_fields=["plan"])
    return p


@transaction.atomic
def draw_down(*, actor: Actor, purchase_id: int, charge_id: int, now: datetime | None = None) -> PackageUse:
    """Use one session of a purchase for a direct-pay visit charge; credit the charge on the ledger.

    Raise 422 naming the field when the charge is not the patient's approved, uninvoiced direct-pay
    charge of a covered service; 409 when the purchase is expired, paused, ended or used up.
    """
    now = now or timezone.now()
    p = PackagePurchase.objects.select_for_update(of=("self",)).select_related("plan").filter(pk=purchase_id).first()
    charge = Charge.objects.select_related("encounter").filter(pk=charge_id).first()
    if p is None:
        raise validation_error([FieldError("purchase_id", "No such package or membership.")])
    if charge is None or charge.patient_id != p.patient_id or charge.stream != Stream.DIRECT \
            or charge.status != ChargeStatus.APPROVED:
        raise validation_error([FieldError("charge_id", "Choose an approved direct-pay visit charge of this patient.")])
    if hasattr(charge, "invoice_line") or PackageUse.objects.filter(charge=charge).exists():
        raise validation_error([FieldError("charge_id", "This charge is already invoiced or drawn from a package.")])
    if p.plan.procedure_codes and charge.procedure_code not in p.plan.procedure_codes:
        raise validation_error([FieldError("charge_id", f"{p.plan.name} does not cover {charge.procedure_code}.")])
    day = charge.encounter.service_date
    if p.status != PurchaseStatus.ACTIVE:
        raise ApplicationError(ErrorCode.CONFLICT, f"{p.plan.name} is {p.get_status_display().lower()}.",
                               [FieldError("purchase_id", "Not active.")])
    if p.expires_on and day > p.expires_on:
        raise ApplicationError(ErrorCode.CONFLICT, f"{p.plan.name} expired on {p.expires_on:%Y-%m-%d}.",
                               [FieldError("purchase_id", "Expired.")])
    if sessions_left(p, day) < 1:
        raise ApplicationError(ErrorCode.CONFLICT, f"{p.plan.name} has no sessions left"
                               + (" this month." if p.plan.kind == PlanKind.MEMBERSHIP else "."),
                               [FieldError("purchase_id", "Used up.")])
    use = PackageUse.objects.create(purchase=p, charge=charge, used_on=day, used_at=now)
    ledger.post(actor=actor, patient_id=p.patient_id, account=Account.PATIENT, kind=EntryKind.CREDIT,
                amount=-charge.amount, key=f"package-use:{use.pk}", posted_at=now, service_date=day, charge=charge,
                memo=f"{charge.procedure_code} drawn from {p.plan.name}"[:300])
    record(actor, AuditAction.CREATE, "package_use", use.pk, patient_id=p.patient_id, changed_fields=["charge"])
    return use


def refund_amount(p: PackagePurchase, on: date) -> Decimal:
    """What unused sessions are worth back under the practice's policy."""
    if os.environ.get("PLEXUS_PACKAGE_REFUND", "prorata") == "none" or p.plan.kind != PlanKind.PACKAGE:
        return Decimal("0.00")
    if not p.sessions_total:
        return Decimal("0.00")
    return (p.price_paid * sessions_left(p, on) / p.sessions_total).quantize(CENT, ROUND_HALF_UP)


@transaction.atomic
def refund_unused(*, actor: Actor, purchase_id: int, reference: str, now: datetime | None = None) -> Decimal:
    """End a package and pay back its unused sessions (policy); return the amount refunded.

    The refund never exceeds what the patient paid on the purchase invoice (409 otherwise).
    """
    now = now or timezone.now()
    p = PackagePurchase.objects.select_for_update(of=("self",)).select_related("plan", "invoice").get(pk=purchase_id)
    if p.status not in (PurchaseStatus.ACTIVE, PurchaseStatus.EXPIRED) or p.plan.kind != PlanKind.PACKAGE:
        raise ApplicationError(ErrorCode.CONFLICT, "Only a package that is active or expired can be refunded.")
    if not reference.strip():
        raise validation_error([FieldError("reference", "Give the refund reference (card, check number).")])
    amount = refund_amount(p, timezone.localdate(now))
    if amount > invoices.paid(p.invoice):
        raise ApplicationError(ErrorCode.CONFLICT, f"The refund (${amount}) would exceed what was paid "
                                                   f"(${invoices.paid(p.invoice)}).")
    if amount:
        key = f"package-refund:{p.pk}"
        ledger.post(actor=actor, patient_id=p.patient_id, account=Account.PATIENT, kind=EntryKind.CREDIT,
                    amount=-amount, key=f"{key}:credit", posted_at=now, invoice=p.invoice,
                    memo=f"{p.plan.name}: unused sessions returned")
        ledger.post(actor=actor, patient_id=p.patient_id, account=Account.PATIENT, kind=EntryKind.REFUND,
                    amount=amount, key=f"{key}:refund", posted_at=now, invoice=p.invoice,
                    memo=f"{p.plan.name}: refund {reference.strip()}"[:300])
    p.status = PurchaseStatus.REFUNDED
    p.save(update_fields=["status"])
    record(actor, AuditAction.UPDATE, "package_purchase", p.pk, patient_id=p.patient_id,
           changed_fields=["status"], detail=f"refunded {amount}")
    return amount


@transaction.atomic
def membership_set(*, actor: Actor, purchase_id: int, action: str, until: date | None = None) -> PackagePurchase:
    """Pause (until a date), resume or cancel a membership; cancelled memberships bill no more."""
    p = PackagePurchase.objects.select_for_update(of=("self",)).select_related("plan").get(pk=purchase_id)
    if p.plan.kind != PlanKind.MEMBERSHIP:
        raise validation_error([FieldError("purchase_id", "Only memberships pause or cancel.")])
    if p.status == PurchaseStatus.CANCELLED:
        raise ApplicationError(ErrorCode.CONFLICT, "The membership is cancelled.")
    if action == "pause":
        if until is None or until <= timezone.localdate():
            raise validation_error([FieldError("until", "Pause until a future date.")])
        p.status, p.paused_until = PurchaseStatus.PAUSED, until
    elif action == "resume":
        p.status, p.paused_until = PurchaseStatus.ACTIVE, None
    elif action == "cancel":
        p.status, p.next_billing_date = PurchaseStatus.CANCELLED, None
    else:
        raise validation_error([FieldError("action", "Use pause, resume or cancel.")])
    p.save(update_fields=["status", "paused_until", "next_billing_date"])
    record(actor, AuditAction.UPDATE, "package_purchase", p.pk, patient_id=p.patient_id, changed_fields=["status"],
           detail=action)
    return p


@dataclass
class BillingPass:
    billed: int = 0
    expired: int = 0
    resumed: int = 0


def reconcile_packages(*, now: datetime) -> int:
    """Bill memberships due (one invoice per month, never twice), resume paused ones whose pause
    ended, expire packages past their date. Return the number of changes."""
    actor = Actor.system("worker")
    today = timezone.localdate(now)
    result = BillingPass()
    for p in PackagePurchase.objects.filter(status=PurchaseStatus.PAUSED, paused_until__lte=today):
        membership_set(actor=actor, purchase_id=p.pk, action="resume")
        result.resumed += 1
    result.expired = PackagePurchase.objects.filter(status=PurchaseStatus.ACTIVE, expires_on__lt=today).update(
        status=PurchaseStatus.EXPIRED)
    due = PackagePurchase.objects.filter(status=PurchaseStatus.ACTIVE, plan__kind=PlanKind.MEMBERSHIP,
                                         next_billing_date__lte=today).select_related("plan", "patient")
    for p in due:
        while p.next_billing_date and p.next_billing_date <= today:
            period = p.next_billing_date
            try:
                with transaction.atomic():
                    inv = invoices.invoice_create(actor=actor, patient=p.patient, now=now, service_date=period,
                                                  charge_ids=[],
                                                  products=[invoices.ProductLine(f"{p.plan.name} ({period:%B %Y})",
                                                                                 p.plan.price)])
                    invoices.invoice_issue(actor=actor, invoice=inv, now=now)
                    MembershipBill.objects.create(purchase=p, period_start=period, invoice=inv)
                    result.billed += 1
            except IntegrityError:
                pass  # another worker billed this period first
            p.next_billing_date = _next_month(period)
            PackagePurchase.objects.filter(pk=p.pk).update(next_billing_date=p.next_billing_date)
    return result.billed + result.expired + result.resumed


def active_discount(patient_id: int, procedure_code: str, on: date) -> tuple[PackagePurchase, Decimal] | None:
    """An active membership's discount that applies to ``procedure_code`` on ``on``, if any."""
    for p in PackagePurchase.objects.filter(patient_id=patient_id, status=PurchaseStatus.ACTIVE,
                                            plan__kind=PlanKind.MEMBERSHIP).select_related("plan"):
        codes = p.plan.procedure_codes
        if p.plan.discount_percent > 0 and timezone.localdate(p.purchased_at) <= on \
                and (not codes or procedure_code in codes):
            return p, p.plan.discount_percent
    return None
