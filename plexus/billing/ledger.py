"""The patient ledger: append-only entries, derived balances and A/R aging (DESIGN.md §6).

Two accounts per patient: ``insurance`` (charges waiting for a payer) and ``patient`` (what the
patient owes). Every movement is one entry with a signed amount and a unique key, so re-running
a posting (the same 835 twice, a retried task) can never post twice.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal

from django.db import IntegrityError, transaction
from django.db.models import Sum
from django.utils import timezone

from plexus.billing.models import Account, EntryKind, LedgerEntry
from plexus.core.audit import Actor, record
from plexus.core.models import AuditAction
from plexus.engines.claims import Entry, age

ZERO = Decimal("0.00")


def actor_name(actor: Actor) -> str:
    user = actor.user
    if user is not None and getattr(user, "is_authenticated", False):
        return user.username
    return f"system:{actor.via}"


def post(
    *, actor: Actor, patient_id: int, account: str, kind: str, amount: Decimal, key: str,
    posted_at: datetime | None = None, **fields,
) -> LedgerEntry | None:
    """Append one entry unless an entry with ``key`` exists; return it, or None when it already was.

    ``amount`` must be non-zero and have at most two decimal places.
    """
    if amount == 0:
        return None
    if amount != amount.quantize(Decimal("0.01")):
        raise ValueError(f"ledger amount {amount} has more than two decimal places")
    if LedgerEntry.objects.filter(key=key).exists():
        return None
    try:
        with transaction.atomic():
            return LedgerEntry.objects.create(
                patient_id=patient_id, account=account, kind=kind, amount=amount, key=key,
                posted_at=posted_at or timezone.now(), username=actor_name(actor), **fields)
    except IntegrityError:  # a concurrent poster won the unique key: it is posted once either way
        return None


@dataclass(frozen=True, slots=True)
class Balance:
    insurance_pending: Decimal
    patient_due: Decimal

    @property
    def total(self) -> Decimal:
        return self.insurance_pending + self.patient_due


def balance(patient_id: int) -> Balance:
    """Return the patient's balances: sums of their entries per account."""
    rows = dict(LedgerEntry.objects.filter(patient_id=patient_id).values_list("account")
                .annotate(s=Sum("amount")).values_list("account", "s"))
    cents = Decimal("0.01")  # SQLite sums lose the scale
    return Balance(Decimal(rows.get(Account.INSURANCE) or 0).quantize(cents),
                   Decimal(rows.get(Account.PATIENT) or 0).quantize(cents))


@dataclass(frozen=True, slots=True)
class AgingRow:
    account: str
    b0_30: Decimal
    b31_60: Decimal
    b61_90: Decimal
    b91_120: Decimal
    b120_plus: Decimal
    total: Decimal
    unapplied_credit: Decimal


def aging(as_of: date, patient_id: int | None = None) -> list[AgingRow]:
    """Age each account (practice-wide, or one patient's) in 30-day buckets, applying credits FIFO."""
    qs = LedgerEntry.objects.filter(posted_at__date__lte=as_of)
    if patient_id is not None:
        qs = qs.filter(patient_id=patient_id)
    per: dict[tuple[str, int], list[Entry]] = {}
    for account, pid, posted, amount in qs.values_list("account", "patient_id", "posted_at", "amount"):
        per.setdefault((account, pid), []).append(Entry(timezone.localdate(posted), amount))
    rows: list[AgingRow] = []
    for account in (Account.INSURANCE, Account.PATIENT):
        agg = [age(entries, as_of) for (acc, _), entries in per.items() if acc == account]
        rows.append(AgingRow(
            account=account,
            b0_30=sum((a.b0_30 for a in agg), ZERO), b31_60=sum((a.b31_60 for a in agg), ZERO),
            b61_90=sum((a.b61_90 for a in agg), ZERO), b91_120=sum((a.b91_120 for a in agg), ZERO),
            b120_plus=sum((a.b120_plus for a in agg), ZERO), total=sum((a.total for a in agg), ZERO),
            unapplied_credit=sum((a.unapplied_credit for a in agg), ZERO),
        ))
    return rows


def entries_for(patient_id: int):
    return (LedgerEntry.objects.filter(patient_id=patient_id)
            .select_related("claim", "charge").order_by("posted_at", "id"))



PAYMENT_METHODS = {"card": "Card (processor)", "card_external": "Card (external terminal)", "cash": "Cash",
                   "check": "Check", "hsa": "HSA/FSA card"}


def patient_payment_record(*, actor: Actor, patient_id: int, amount: Decimal, method: str, reference: str,
                           memo: str = "", now: datetime | None = None, invoice=None) -> LedgerEntry:
    """Record a payment the patient made (positive ``amount``) against their balance.

    ``reference`` must be unique per payment (receipt, check or terminal number): recording the same
    payment twice raises 409 instead of posting twice. Raise 422 naming the field for bad input.
    """
    from plexus.core.errors import ApplicationError, ErrorCode, FieldError, validation_error

    errors = []
    if amount <= 0 or amount != amount.quantize(Decimal("0.01")):
        errors.append(FieldError("amount", "Enter a positive amount in dollars and cents."))
    if method not in PAYMENT_METHODS:
        errors.append(FieldError("method", f"Use one of: {', '.join(PAYMENT_METHODS)}."))
    if not reference.strip():
        errors.append(FieldError("reference", "Give the receipt, check or terminal reference."))
    if errors:
        raise validation_error(errors)
    entry = post(actor=actor, patient_id=patient_id, account=Account.PATIENT, kind=EntryKind.PATIENT_PAYMENT,
                 amount=-amount, key=f"payment:{method}:{reference.strip()}", posted_at=now, method=method,
                 invoice=invoice,
                 memo=(memo or f"{PAYMENT_METHODS[method]} {reference.strip()}")[:300])
    if entry is None:
        raise ApplicationError(ErrorCode.CONFLICT, "This payment reference is already recorded.",
                               [FieldError("reference", "Already recorded.")])
    record(actor, AuditAction.CREATE, "patient_payment", entry.pk, patient_id=patient_id,
           changed_fields=["amount", "method"])
    return entry
