"""Monthly patient statements across both streams: what was charged, what insurance paid and
adjusted, what the patient paid, what they owe now (with aging) and what insurance still owes.

A reconciler makes one statement per patient per month-end when the patient owes money (unique per
patient and month, so a second pass makes none), emails the PDF to patients who accept email, and
sends follow-ups at 30, 60 and 90 days while the balance stays unpaid.
"""

from __future__ import annotations

import calendar
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal

from django.conf import settings
from django.core.mail import EmailMessage
from django.db import IntegrityError, transaction
from django.db.models import Sum
from django.template.loader import render_to_string
from django.utils import timezone

from plexus.billing import ledger
from plexus.billing.documents import to_pdf
from plexus.billing.models import Account, EntryKind, LedgerEntry, Statement
from plexus.core.audit import Actor, record
from plexus.core.models import AuditAction, Practice
from plexus.patients.models import Patient

ZERO = Decimal("0.00")
FOLLOW_UPS = (30, 60, 90)


def month_end(day: date) -> date:
    """The last day of the month before ``day``'s month (the period a statement on ``day`` covers)."""
    first = day.replace(day=1)
    return first - timedelta(days=1)


@dataclass(frozen=True, slots=True)
class StatementData:
    patient: Patient
    start: date
    end: date
    entries: list
    opening: Decimal
    charged: Decimal
    insurance_paid: Decimal
    adjusted: Decimal
    patient_paid: Decimal
    balance: ledger.Balance
    aging: ledger.AgingRow


def _until(end: date) -> datetime:
    return datetime.combine(end + timedelta(days=1), time(0), tzinfo=UTC)


def statement_data(patient: Patient, end: date) -> StatementData:
    """Everything a statement for the month ending ``end`` shows (read-only)."""
    start = end.replace(day=1)
    qs = LedgerEntry.objects.filter(patient=patient)
    before = qs.filter(posted_at__lt=_until(start - timedelta(days=1)))
    month = list(qs.filter(posted_at__gte=_until(start - timedelta(days=1)), posted_at__lt=_until(end))
                 .select_related("claim").order_by("posted_at", "pk"))

    def total(kinds, account=None) -> Decimal:
        return sum((e.amount for e in month if e.kind in kinds and (account is None or e.account == account)), ZERO)

    balances = dict(qs.filter(posted_at__lt=_until(end)).values_list("account").annotate(s=Sum("amount"))
                    .values_list("account", "s"))
    cents = Decimal("0.01")
    bal = ledger.Balance(Decimal(balances.get(Account.INSURANCE) or 0).quantize(cents),
                         Decimal(balances.get(Account.PATIENT) or 0).quantize(cents))
    aging = next(r for r in ledger.aging(end, patient.pk) if r.account == Account.PATIENT)
    return StatementData(
        patient=patient, start=start, end=end, entries=month,
        opening=(before.aggregate(s=Sum("amount"))["s"] or ZERO),
        charged=total({EntryKind.CHARGE}), insurance_paid=-total({EntryKind.INSURANCE_PAYMENT}),
        adjusted=-total({EntryKind.ADJUSTMENT}), patient_paid=-total({EntryKind.PATIENT_PAYMENT}),
        balance=bal, aging=aging)


def statement_html(data: StatementData) -> str:
    return render_to_string("billing/pdf/statement.html", {"d": data, "practice": Practice.objects.first()})


def statement_pdf(patient: Patient, end: date) -> bytes:
    return to_pdf(statement_html(statement_data(patient, end)))


def _email(patient: Patient, subject: str, body: str, pdf: bytes | None, filename: str) -> bool:
    """Email the patient when they accept email; the subject and body carry no clinical detail."""
    if not (patient.email and patient.consent_email):
        return False
    message = EmailMessage(subject, body, getattr(settings, "DEFAULT_FROM_EMAIL", None), [patient.email])
    if pdf is not None:
        message.attach(filename, pdf, "application/pdf")
    message.send()
    return True


def reconcile_statements(*, now: datetime) -> int:
    """Make and send last month's statements for patients who owe, and the 30/60/90-day follow-ups
    while a statement's balance stays unpaid. Return how many statements and follow-ups went out."""
    actor = Actor.system("worker")
    today = timezone.localdate(now)
    end = month_end(today)
    done = 0
    owing = (LedgerEntry.objects.filter(account=Account.PATIENT, posted_at__lt=_until(end))
             .values("patient_id").annotate(s=Sum("amount")).filter(s__gt=0))
    have = set(Statement.objects.filter(period_end=end).values_list("patient_id", flat=True))
    for row in owing:
        if row["patient_id"] in have:
            continue
        patient = Patient.objects.get(pk=row["patient_id"])
        data = statement_data(patient, end)
        try:
            with transaction.atomic():
                st = Statement.objects.create(patient=patient, period_end=end, patient_due=data.balance.patient_due,
                                              insurance_pending=data.balance.insurance_pending, created_at=now)
        except IntegrityError:
            continue  # another worker made it
        practice = Practice.objects.first()
        name = practice.legal_name if practice else "your care team"
        if _email(patient, f"Your statement from {name}", f"Your statement for {calendar.month_name[end.month]} "
                  f"{end.year} is attached. Amount due: ${data.balance.patient_due}.",
                  to_pdf(statement_html(data)), f"statement-{end:%Y-%m}.pdf"):
            Statement.objects.filter(pk=st.pk).update(emailed_to=patient.email)
        record(actor, AuditAction.CREATE, "statement", st.pk, patient_id=patient.pk)
        done += 1
    for st in Statement.objects.filter(created_at__lte=now - timedelta(days=FOLLOW_UPS[0])).select_related("patient"):
        due = ledger.balance(st.patient_id).patient_due
        age = (today - timezone.localdate(st.created_at)).days
        level = max((d for d in FOLLOW_UPS if d <= age), default=None)
        if due <= 0 or level is None or level in st.follow_ups:
            continue
        _email(st.patient, "A reminder about your balance", f"This is a reminder that ${due} is still due on "
               f"your account ({level} days since your statement). Reply or call us with any questions.", None, "")
        st.follow_ups = [*st.follow_ups, level]
        st.save(update_fields=["follow_ups"])
        done += 1
    return done
