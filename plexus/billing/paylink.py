"""Pay by link: a signed, expiring link to one invoice that a patient opens without an account, and
the card payment it takes through the configured processor (plexus.billing.processor). Emailing an
invoice sends its PDF and this link.

The link carries only the invoice id, signed (django.core.signing with its own salt) and valid for
PLEXUS_PAY_LINK_DAYS (default 14). The page shows the practice, the invoice number and the amount
due, not the services (minimum necessary for someone who may have been forwarded the email).
"""

from __future__ import annotations

import os
from decimal import Decimal

from django.conf import settings
from django.core import signing
from django.core.mail import EmailMessage
from django.db import transaction
from django.urls import reverse

from plexus.billing import invoices
from plexus.billing.documents import invoice_html, to_pdf
from plexus.billing.models import Invoice, InvoiceStatus, LedgerEntry
from plexus.billing.processor import PaymentProcessor, ProcessorError, get_processor
from plexus.core.audit import Actor, record
from plexus.core.errors import ApplicationError, ErrorCode, FieldError, validation_error
from plexus.core.models import AuditAction, Practice

SALT = "plexus.billing.paylink"


def max_age_seconds() -> int:
    return int(os.environ.get("PLEXUS_PAY_LINK_DAYS", "14")) * 86400


def sign(invoice: Invoice) -> str:
    return signing.TimestampSigner(salt=SALT).sign_object({"i": invoice.pk})


def pay_url(invoice: Invoice) -> str:
    return settings.PLEXUS_PUBLIC_URL.rstrip("/") + reverse("billing:pay_link", args=[sign(invoice)])


def invoice_for(token: str) -> Invoice:
    """Return the link's invoice; raise 410 for an expired link and 404 for a tampered one."""
    try:
        data = signing.TimestampSigner(salt=SALT).unsign_object(token, max_age=max_age_seconds())
    except signing.SignatureExpired as exc:
        raise ApplicationError(ErrorCode.NOT_FOUND, "This payment link has expired; ask the practice for a new "
                                                    "one.") from exc
    except signing.BadSignature as exc:
        raise ApplicationError(ErrorCode.NOT_FOUND, "This payment link is not valid.") from exc
    invoice = Invoice.objects.select_related("patient").filter(pk=data.get("i")).first()
    if invoice is None:
        raise ApplicationError(ErrorCode.NOT_FOUND, "This payment link is not valid.")
    return invoice


@transaction.atomic
def pay(*, invoice: Invoice, token: str, attempt: str, processor: PaymentProcessor | None = None) -> LedgerEntry:
    """Charge the card ``token`` for the invoice's balance and record the payment.

    ``attempt`` makes the processor call idempotent (a double-submitted form charges once).
    Raise 422 naming ``card`` on a decline, 409 when nothing is due, and 503 when the processor
    cannot be reached (nothing recorded; the patient may retry).
    """
    processor = processor or get_processor()
    invoice = Invoice.objects.select_for_update().get(pk=invoice.pk)
    due = invoices.balance_due(invoice)
    if invoice.status not in (InvoiceStatus.ISSUED, InvoiceStatus.PARTIAL) or due <= 0:
        raise ApplicationError(ErrorCode.CONFLICT, "Nothing is due on this invoice.")
    if not token.strip():
        raise validation_error([FieldError("card", "Enter the card.")])
    practice = Practice.objects.first()
    try:
        result = processor.charge(amount=due, currency="usd", token=token.strip(), description=invoice.number,
                                  idempotency_key=f"{invoice.number}:{attempt}",
                                  metadata={"invoice": invoice.number, "practice": practice.legal_name[:40]
                                            if practice else "plexus"})
    except ProcessorError as exc:
        raise ApplicationError(ErrorCode.CONFLICT, "The card could not be charged right now; nothing was taken. "
                                                   "Please try again.") from exc
    if not result.ok:
        raise validation_error([FieldError("card", result.error or f"The card was not charged ({result.status}).")])
    actor = Actor.system("web")
    return invoices.invoice_pay(actor=actor, invoice=invoice, amount=Decimal(result.amount), method="card",
                                reference=result.processor_id)


def email_invoice(*, actor: Actor, invoice: Invoice) -> bool:
    """Email the invoice PDF and its pay link to the patient (when they accept email)."""
    patient = invoice.patient
    if invoice.status == InvoiceStatus.DRAFT:
        raise ApplicationError(ErrorCode.CONFLICT, "Issue the invoice before sending it.")
    if not (patient.email and patient.consent_email):
        raise validation_error([FieldError("email", "The patient has no email address or does not accept email.")])
    practice = Practice.objects.first()
    name = practice.legal_name if practice else "your care team"
    message = EmailMessage(
        f"Invoice {invoice.number} from {name}",
        f"Your invoice {invoice.number} is attached. Amount due: ${invoices.balance_due(invoice)}.\n\n"
        f"Pay online: {pay_url(invoice)}\n(The link works for {max_age_seconds() // 86400} days.)",
        None, [patient.email])
    message.attach(f"{invoice.number}.pdf", to_pdf(invoice_html(invoice)), "application/pdf")
    message.send()
    record(actor, AuditAction.EXPORT, "invoice_email", invoice.pk, patient_id=patient.pk)
    return True
