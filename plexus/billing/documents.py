"""Patient-facing billing documents as PDF (WeasyPrint): the invoice / itemised HSA-FSA receipt and
the superbill for out-of-network reimbursement (contents: STANDARDS.md §4)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

from django.template.loader import render_to_string

from plexus.billing import invoices
from plexus.billing.models import Encounter, Invoice, InvoiceStatus
from plexus.core.models import Practice
from plexus.patients.models import Patient, Priority

ZERO = Decimal("0.00")


def to_pdf(html: str) -> bytes:
    """Render HTML to PDF. Imported lazily: WeasyPrint loads Pango, which only PDF requests need."""
    from weasyprint import HTML

    return HTML(string=html).write_pdf()


def invoice_html(invoice: Invoice) -> str:
    """The invoice; once paid it doubles as the itemised receipt plan administrators accept (date,
    provider, service, amount, HSA/FSA eligibility per line, payments)."""
    lines = list(invoice.lines.all())
    payments = list(invoice.ledger_entries.filter(kind__in=["patient_payment", "refund"]).order_by("posted_at"))
    return render_to_string("billing/pdf/invoice.html", {
        "invoice": invoice, "practice": Practice.objects.first(), "patient": invoice.patient,
        "lines": [(li, invoices.hsa_eligible(li, invoice.patient_id)) for li in lines],
        "total": invoices.total(invoice), "paid": invoices.paid(invoice), "due": invoices.balance_due(invoice),
        "payments": payments, "receipt": invoice.status == InvoiceStatus.PAID,
    })


@dataclass
class SuperbillVisit:
    encounter: Encounter
    lines: list = field(default_factory=list)  # (charge, pointers as letters)
    charged: Decimal = ZERO
    paid: Decimal = ZERO


def superbill_visits(patient: Patient, start: date, end: date) -> list[SuperbillVisit]:
    """Encounters with approved charges in [start, end], with what the patient paid toward each
    (the paid amount of the invoice lines that carry its charges)."""
    out = []
    encounters = (Encounter.objects.filter(patient=patient, service_date__gte=start, service_date__lte=end)
                  .select_related("practitioner__discipline", "appointment__location")
                  .prefetch_related("charges__invoice_line__invoice").order_by("service_date", "pk"))
    for enc in encounters:
        charges = [c for c in enc.charges.all() if c.status == "approved"]
        if not charges:
            continue
        visit = SuperbillVisit(enc)
        for c in charges:
            visit.lines.append((c, ",".join(str(p) for p in c.diagnosis_pointers)))
            visit.charged += c.amount
            line = getattr(c, "invoice_line", None)
            if line is not None and line.invoice.status == InvoiceStatus.PAID:
                visit.paid += c.amount
        out.append(visit)
    return out


def superbill_html(patient: Patient, start: date, end: date) -> str:
    visits = superbill_visits(patient, start, end)
    coverage = patient.coverages.filter(priority=Priority.PRIMARY).select_related("payer").first()
    practitioners = {v.encounter.practitioner for v in visits}
    return render_to_string("billing/pdf/superbill.html", {
        "patient": patient, "coverage": coverage, "practice": Practice.objects.first(), "visits": visits,
        "practitioners": sorted(practitioners, key=lambda p: p.last_name), "start": start, "end": end,
        "charged": sum((v.charged for v in visits), ZERO), "paid": sum((v.paid for v in visits), ZERO),
    })
