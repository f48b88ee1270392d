"""Staff screens for charges and claims: charge review and coding, the claims list and detail, 837P
batches, denials, A/R aging, and the patient's account (ledger) on the chart."""

from __future__ import annotations

import secrets
from decimal import Decimal

from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone

from plexus.billing import charges as charge_services
from plexus.billing import (
    checkout,
    documents,
    forms,
    invoices,
    ledger,
    packages,
    paylink,
    remittance,
    selectors,
    statements,
    visit_coverage,
)
from plexus.billing import claims as claim_services
from plexus.billing.models import ClaimStatus, Invoice, PackagePlan, RemittanceClaim
from plexus.billing.processor import get_processor
from plexus.billing.views import _error_page, _readable
from plexus.core.audit import record
from plexus.core.errors import ApplicationError, ErrorCode, FieldError
from plexus.core.models import AuditAction, Practice
from plexus.core.permissions import Perm, user_has
from plexus.core.views_utils import apply_errors, staff_view, ui_actor
from plexus.patients.selectors import access_patient, active_coverages
from plexus.scheduling.models import Appointment

STATUS_TABS = [("", "All"), *ClaimStatus.choices]


@staff_view(Perm.BILLING_MANAGE)
def charge_review(request):
    act = ui_actor(request)
    return render(request, "billing/charges.html", {
        "encounters": selectors.review_queue(act), "backlog": selectors.encounters_to_record(act)})


@staff_view(Perm.BILLING_MANAGE)
def encounter_approve(request, encounter_id: int):
    """POST: approve the encounter's charges; answer with the review row replaced by the outcome."""
    if request.method != "POST":
        return HttpResponse(status=405)
    act = ui_actor(request)
    try:
        enc = selectors.encounter_get(act, encounter_id)
        claim = charge_services.encounter_approve(actor=act, encounter=enc)
    except ApplicationError as exc:
        if exc.code in (ErrorCode.FORBIDDEN, ErrorCode.NOT_FOUND):
            return _error_page(request, exc)
        return render(request, "billing/_approved.html", {"error": exc.detail, "encounter_id": encounter_id},
                      status=409)
    if not request.htmx:
        return redirect("billing:claim_detail", claim.pk) if claim else redirect("billing:charges")
    return render(request, "billing/_approved.html", {"claim": claim, "encounter": enc})


@staff_view(Perm.BILLING_MANAGE)
def encounter_new(request, appointment_id: int):
    act = ui_actor(request)
    appt = (Appointment.objects.select_related("service", "practitioner", "location", "patient")
            .filter(pk=appointment_id).first())
    if appt is None:
        return _error_page(request, ApplicationError(ErrorCode.NOT_FOUND, f"No appointment {appointment_id}."))
    try:
        patient = access_patient(act, appt.patient_id, Perm.BILLING_MANAGE, what="encounter")
    except ApplicationError as exc:
        return _error_page(request, exc)
    day = timezone.localdate(appt.start)
    coverages = active_coverages(patient, day)
    minutes = int((appt.end - appt.start).total_seconds() // 60)
    initial = {"minutes": minutes, "place_of_service": appt.location.place_of_service,
               "coverage": coverages[0].pk if coverages and appt.service.coverage_category != "direct_pay" else ""}
    form = forms.EncounterForm(request.POST or None, initial=initial, coverages=coverages)
    if request.method == "POST" and form.is_valid():
        c = form.cleaned_data
        try:
            charge_services.encounter_record(actor=act, data=charge_services.EncounterInput(
                appointment_id=appt.pk, diagnoses=tuple(d for d in c["diagnoses"].split(",") if d.strip()),
                coverage_id=c["coverage"], minutes=c["minutes"], place_of_service=c["place_of_service"],
                improving=c["improving"]))
            return redirect(f"{reverse('billing:charges')}#review")
        except ApplicationError as exc:
            apply_errors(form, exc)
    return render(request, "billing/encounter_form.html", {"form": form, "appt": appt, "patient": patient},
                  status=422 if form.errors else 200)


@staff_view(Perm.BILLING_MANAGE)
def claims_list(request):
    act = ui_actor(request)
    status = request.GET.get("status", "")
    if status not in ClaimStatus.values:
        status = ""
    error = None
    if request.method == "POST":
        try:
            batch = claim_services.batch_build(actor=act)
            return redirect("billing:batch_detail", batch.pk)
        except ApplicationError as exc:
            error = exc.detail
    claims = list(selectors.claims_list(act, selectors.ClaimFilter(status=status))[:200])
    counts = selectors.claim_counts(act)
    tabs = [(value, label, sum(counts.values()) if not value else counts.get(value, 0)) for value, label in STATUS_TABS]
    return render(request, "billing/claims.html", {
        "claims": claims, "status": status, "tabs": tabs, "error": error,
        "batches": list(selectors.batches_list(act)[:10]), "ready": counts.get(ClaimStatus.READY, 0),
    }, status=409 if error else 200)


@staff_view(Perm.BILLING_MANAGE)
def claim_detail(request, claim_id: int):
    act = ui_actor(request)
    try:
        claim = selectors.claim_get(act, claim_id)
    except ApplicationError as exc:
        return _error_page(request, exc)
    form = forms.TransitionForm(request.POST or None)
    status = 200
    if request.method == "POST" and form.is_valid():
        try:
            if form.cleaned_data["to"] == "scrub":
                claim_services.claim_scrub(actor=act, claim=claim)
            else:
                claim_services.claim_transition(actor=act, claim=claim, to=form.cleaned_data["to"],
                                                note=form.cleaned_data["note"])
            return redirect("billing:claim_detail", claim.pk)
        except ApplicationError as exc:
            apply_errors(form, exc)
            status = 409 if exc.code == ErrorCode.CONFLICT else 422
    from plexus.billing.models import MANUAL_TRANSITIONS

    return render(request, "billing/claim_detail.html", {
        "claim": claim, "x12": selectors.claim_x12(claim), "form": form,
        "moves": [(to, ClaimStatus(to).label) for to in MANUAL_TRANSITIONS.get(claim.status, ())],
        "remits": list(claim.remittances.all()), "encounter": claim.encounter,
    }, status=status)


@staff_view(Perm.BILLING_MANAGE)
def batch_detail(request, batch_id: int):
    act = ui_actor(request)
    try:
        batch = selectors.batch_get(act, batch_id)
    except ApplicationError as exc:
        return _error_page(request, exc)
    if request.GET.get("download"):
        text = claim_services.batch_export(actor=act, batch=batch)
        response = HttpResponse(text, content_type="application/edi-x12")
        response["Content-Disposition"] = f'attachment; filename="837P-{batch.control_number:09d}.x12"'
        return response
    return render(request, "billing/batch_detail.html", {
        "batch": batch, "claims": list(batch.claims.select_related("patient", "payer")), "x12": _readable(batch.x12)})


@staff_view(Perm.BILLING_MANAGE)
def denials(request):
    """Denials, unmatched 835 claims (POST: match one to a claim, or dismiss it) and recent payments."""
    act = ui_actor(request)
    error, status = "", 200
    if request.method == "POST":
        rc = RemittanceClaim.objects.filter(pk=request.POST.get("remittance_claim") or 0, claim__isnull=True).first()
        try:
            if rc is None:
                raise ApplicationError(ErrorCode.VALIDATION, "Choose an unmatched claim payment.",
                                       [FieldError("remittance_claim", "Choose an unmatched claim payment.")])
            if request.POST.get("action") == "dismiss":
                remittance.unmatched_dismiss(actor=act, rc=rc, note=request.POST.get("note", ""))
            else:
                remittance.unmatched_match(actor=act, rc=rc,
                                           patient_control_number=request.POST.get("patient_control_number", ""))
            return redirect("billing:denials")
        except ApplicationError as exc:
            error = "; ".join(e.message for e in exc.errors) or exc.detail
            status = exc.status
    return render(request, "billing/denials.html", {
        "error": error,
        "denials": list(selectors.denials(act)[:200]), "unmatched": list(selectors.remittance_unmatched(act)[:200]),
        "remittances": list(selectors.remittances_list(act)[:20])}, status=status)


AGING_BUCKETS = ("b0_30", "b31_60", "b61_90", "b91_120", "b120_plus")


@staff_view(Perm.BILLING_MANAGE)
def aging(request):
    """A/R aging by account; ?account=&bucket= drills down to the patients in one cell."""
    act = ui_actor(request)
    today = timezone.localdate()
    account, bucket = request.GET.get("account", ""), request.GET.get("bucket", "")
    drill = None
    if account in ("insurance", "patient") and bucket in AGING_BUCKETS:
        drill = selectors.aging_by_patient(act, today, account, bucket)
    return render(request, "billing/aging.html", {"rows": selectors.ar_aging(act, today), "as_of": today,
                                                  "drill": drill, "account": account, "bucket": bucket})


@staff_view(Perm.BILLING_MANAGE)
def payments_report(request):
    """Money received by stream and method for a period (default: this month so far)."""
    from datetime import date as _date

    today = timezone.localdate()
    try:
        start = _date.fromisoformat(request.GET.get("start") or today.replace(day=1).isoformat())
        end = _date.fromisoformat(request.GET.get("end") or today.isoformat())
    except ValueError:
        start, end = today.replace(day=1), today
    rows = selectors.payments_report(ui_actor(request), start, end)
    return render(request, "billing/payments.html", {"rows": rows, "start": start, "end": end,
                                                     "total": sum((r.total for r in rows), Decimal(0))})


@staff_view(Perm.BALANCE_VIEW)
def patient_account(request, patient_id: int):
    """The chart's account panel (htmx): balances, ledger entries, claims; POST records a payment."""
    act = ui_actor(request)
    form = forms.PaymentForm(request.POST or None)
    can_manage = user_has(request.user, Perm.BILLING_MANAGE)
    status = 200
    if request.method == "POST":
        if not can_manage:
            return _error_page(request, ApplicationError(ErrorCode.FORBIDDEN, "Recording payments is for billing."))
        if form.is_valid():
            c = form.cleaned_data
            try:
                ledger.patient_payment_record(actor=act, patient_id=patient_id, amount=c["amount"], method=c["method"],
                                              reference=c["reference"])
                form = forms.PaymentForm()
            except ApplicationError as exc:
                apply_errors(form, exc)
        status = 422 if form.errors else 200
    return _account_panel(request, patient_id, form, status)


def _account_panel(request, patient_id: int, form=None, status: int = 200):
    """Render the chart's account panel (balances, ledger, invoices, packages, letters)."""
    act = ui_actor(request)
    form = form or forms.PaymentForm()
    can_manage = user_has(request.user, Perm.BILLING_MANAGE)
    try:
        patient, entries, balance = selectors.patient_ledger(act, patient_id)
    except ApplicationError as exc:
        return _error_page(request, exc)
    claims = list(patient.claims.select_related("payer").order_by("-service_date", "-id")[:20]) if can_manage else []
    return render(request, "billing/_account.html", {
        "patient": patient, "entries": entries[-50:], "balance": balance, "claims": claims, "form": form,
        "can_manage": can_manage, "uninvoiced": invoices.uninvoiced_charges(patient.pk),
        "invoices": list(patient.invoices.all()[:20]), "product_form": forms.ProductForm(),
        "letters": list(patient.medical_necessity_letters.select_related("practitioner")[:10]),
        "letter_form": forms.LetterForm(), "today": timezone.localdate(),
        "purchases": [(p, packages.sessions_left(p, timezone.localdate()))
                      for p in patient.package_purchases.select_related("plan")[:10]],
        "plans": list(PackagePlan.objects.filter(is_active=True))}, status=status)


@staff_view(Perm.ELIGIBILITY_RUN)
def day_eligibility(request):
    """The day's schedule panel (htmx): each visit block's light with reasons."""
    from datetime import date as _date

    from plexus.core.models import Location

    try:
        day = _date.fromisoformat(request.GET.get("date", ""))
    except ValueError:
        day = timezone.localdate()
    location = Location.objects.filter(pk=request.GET.get("location") or 0).first() or Location.objects.first()
    if location is None:
        return HttpResponse("")
    record(ui_actor(request), AuditAction.READ, "eligibility.day", detail=f"{day} {location.name}")
    return render(request, "billing/_day_eligibility.html", {
        "rows": visit_coverage.day_coverage(day, location), "day": day, "location": location})


@staff_view(Perm.ELIGIBILITY_RUN)
def block_coverage(request, block_id: int):
    """A visit block's coverage panel (htmx); POST records a signed waiver for one component."""
    from plexus.scheduling.models import VisitBlock

    act = ui_actor(request)
    block = VisitBlock.objects.select_related("patient", "location").filter(pk=block_id).first()
    if block is None:
        return _error_page(request, ApplicationError(ErrorCode.NOT_FOUND, f"No visit block {block_id}."))
    try:
        access_patient(act, block.patient_id, Perm.ELIGIBILITY_RUN, what="coverage")
    except ApplicationError as exc:
        return _error_page(request, exc)
    form = forms.WaiverForm(request.POST or None)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            c = form.cleaned_data
            appt = block.appointments.filter(pk=c["appointment_id"]).first()
            try:
                if appt is None:
                    raise ApplicationError(ErrorCode.VALIDATION, "Not a component of this visit.",
                                           [FieldError("appointment_id", "Not a component of this visit.")])
                visit_coverage.waiver_record(actor=act, appointment=appt, reason=c["reason"],
                                             estimated_cost=c["estimated_cost"], signed_name=c["signed_name"])
                form = forms.WaiverForm()
            except ApplicationError as exc:
                apply_errors(form, exc)
        status = 422 if form.errors else 200
    return render(request, "billing/_block_coverage.html", {"bc": visit_coverage.block_coverage(block), "form": form},
                  status=status)


# --- direct pay: invoices, letters of medical necessity, superbills ------------------------------------


def _patient_or_error(request, patient_id: int, perm: Perm = Perm.BALANCE_VIEW, what: str = "account"):
    return access_patient(ui_actor(request), patient_id, perm, what=what)


@staff_view(Perm.BALANCE_VIEW)
def invoice_new(request, patient_id: int):
    """POST: a draft invoice from the patient's uninvoiced direct-pay charges plus an optional item."""
    if request.method != "POST":
        return redirect("patients:chart", patient_id)
    act = ui_actor(request)
    try:
        patient = _patient_or_error(request, patient_id, what="invoice")
        products = []
        form = forms.ProductForm(request.POST)
        if request.POST.get("description"):
            if not form.is_valid():
                raise ApplicationError(ErrorCode.VALIDATION, "Check the item.",
                                       [FieldError(f, " ".join(e)) for f, e in form.errors.items()])
            c = form.cleaned_data
            products.append(invoices.ProductLine(c["description"], c["unit_price"], c["quantity"],
                                                 c["tax_rate"] or Decimal(0), c["hsa_eligibility"]))
        invoice = invoices.invoice_create(actor=act, patient=patient, products=products)
    except ApplicationError as exc:
        if exc.code in (ErrorCode.FORBIDDEN, ErrorCode.NOT_FOUND):
            return _error_page(request, exc)
        return render(request, "billing/_account_error.html", {"error": exc}, status=exc.status)
    return redirect("billing:invoice_detail", invoice.pk)


@staff_view(Perm.BALANCE_VIEW)
def invoice_detail(request, invoice_id: int):
    act = ui_actor(request)
    invoice = Invoice.objects.select_related("patient").filter(pk=invoice_id).first()
    if invoice is None:
        return _error_page(request, ApplicationError(ErrorCode.NOT_FOUND, f"No invoice {invoice_id}."))
    try:
        access_patient(act, invoice.patient_id, Perm.BALANCE_VIEW, what="invoice")
    except ApplicationError as exc:
        return _error_page(request, exc)
    if request.GET.get("pdf"):
        response = HttpResponse(documents.to_pdf(documents.invoice_html(invoice)), content_type="application/pdf")
        response["Content-Disposition"] = f'attachment; filename="{invoice.number}.pdf"'
        return response
    pay_form = forms.InvoicePaymentForm(request.POST or None) if request.POST.get("action") == "pay" else \
        forms.InvoicePaymentForm()
    error, status = "", 200
    if request.method == "POST":
        action = request.POST.get("action")
        try:
            if action == "issue":
                invoices.invoice_issue(actor=act, invoice=invoice)
            elif action == "email":
                paylink.email_invoice(actor=act, invoice=invoice)
            elif action == "refund":
                if not user_has(request.user, Perm.BILLING_MANAGE):
                    raise ApplicationError(ErrorCode.FORBIDDEN, "Refunds are for billing.")
                try:
                    amount = Decimal(request.POST.get("refund_amount") or "0")
                except ArithmeticError:
                    amount = Decimal(0)
                invoices.invoice_refund(actor=act, invoice=invoice, amount=amount,
                                        method=request.POST.get("refund_method", "card_external"),
                                        reference=request.POST.get("refund_reference", ""),
                                        reason=request.POST.get("reason", ""))
            elif action == "void":
                if not user_has(request.user, Perm.BILLING_MANAGE):
                    raise ApplicationError(ErrorCode.FORBIDDEN, "Voiding invoices is for billing.")
                invoices.invoice_void(actor=act, invoice=invoice, reason=request.POST.get("reason", ""))
            elif pay_form.is_valid():
                c = pay_form.cleaned_data
                invoices.invoice_pay(actor=act, invoice=invoice, amount=c["amount"], method=c["method"],
                                     reference=c["reference"], credit_overpayment=c["credit_overpayment"])
            else:
                raise ApplicationError(ErrorCode.VALIDATION, "Check the payment.",
                                       [FieldError(f, " ".join(e)) for f, e in pay_form.errors.items()])
            return redirect("billing:invoice_detail", invoice.pk)
        except ApplicationError as exc:
            if exc.code == ErrorCode.FORBIDDEN:
                return _error_page(request, exc)
            error = "; ".join(f"{e.field}: {e.message}" for e in exc.errors) or exc.detail
            status = exc.status
        invoice.refresh_from_db()
    lines = [(li, invoices.hsa_eligible(li, invoice.patient_id)) for li in invoice.lines.all()]
    return render(request, "billing/invoice_detail.html", {
        "invoice": invoice, "lines": lines, "total": invoices.total(invoice), "paid": invoices.paid(invoice),
        "due": invoices.balance_due(invoice), "hsa_room": invoices.hsa_room(invoice), "pay_form": pay_form,
        "payments": list(invoice.ledger_entries.filter(kind__in=["patient_payment", "refund"])), "error": error,
        "can_void": user_has(request.user, Perm.BILLING_MANAGE)}, status=status)


@staff_view(Perm.BALANCE_VIEW)
def letter_new(request, patient_id: int):
    """POST: record a letter of medical necessity (answers with the account panel)."""
    if request.method != "POST":
        return redirect("patients:chart", patient_id)
    act = ui_actor(request)
    form = forms.LetterForm(request.POST)
    try:
        patient = _patient_or_error(request, patient_id, what="letter")
        if not form.is_valid():
            raise ApplicationError(ErrorCode.VALIDATION, "Check the letter.",
                                   [FieldError(f, " ".join(e)) for f, e in form.errors.items()])
        c = form.cleaned_data
        invoices.letter_create(actor=act, patient=patient, practitioner_id=c["practitioner"].pk,
                               diagnoses=c["diagnoses"].split(","), procedure_codes=c["procedure_codes"].split(","),
                               frequency=c["frequency"], valid_from=c["valid_from"], valid_to=c["valid_to"])
    except ApplicationError as exc:
        if exc.code in (ErrorCode.FORBIDDEN, ErrorCode.NOT_FOUND):
            return _error_page(request, exc)
        return render(request, "billing/_account_error.html", {"error": exc}, status=exc.status)
    return _account_panel(request, patient_id)


@staff_view(Perm.BALANCE_VIEW)
def superbill(request, patient_id: int):
    """GET ?start=&end=: the superbill PDF for the period (default: the last 90 days)."""
    try:
        patient = _patient_or_error(request, patient_id, what="superbill")
    except ApplicationError as exc:
        return _error_page(request, exc)
    from datetime import date as _date
    from datetime import timedelta

    today = timezone.localdate()
    try:
        end = _date.fromisoformat(request.GET.get("end") or today.isoformat())
        start = _date.fromisoformat(request.GET.get("start") or (end - timedelta(days=90)).isoformat())
    except ValueError:
        return render(request, "billing/_account_error.html", {"error": ApplicationError(
            ErrorCode.VALIDATION, "Dates are YYYY-MM-DD.", [FieldError("start", "Dates are YYYY-MM-DD.")])},
            status=422)
    record(ui_actor(request), AuditAction.EXPORT, "superbill", patient.pk, patient_id=patient.pk,
           detail=f"{start}..{end}")
    response = HttpResponse(documents.to_pdf(documents.superbill_html(patient, start, end)),
                            content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="superbill-{patient.chart_number}-{start}-{end}.pdf"'
    return response


@staff_view(Perm.BALANCE_VIEW)
def packages_action(request, patient_id: int):
    """POST (htmx, from the account panel): buy a plan, draw a session down, refund, pause/resume/cancel."""
    if request.method != "POST":
        return redirect("patients:chart", patient_id)
    act = ui_actor(request)
    from datetime import date as _date

    try:
        patient = _patient_or_error(request, patient_id, what="packages")
        action = request.POST.get("action", "")
        purchase_id = int(request.POST.get("purchase_id") or 0)
        if purchase_id and not patient.package_purchases.filter(pk=purchase_id).exists():
            raise ApplicationError(ErrorCode.VALIDATION, "Not this patient's package.",
                                   [FieldError("purchase_id", "Not this patient's package.")])
        if action == "buy":
            plan = PackagePlan.objects.filter(pk=request.POST.get("plan_id") or 0, is_active=True).first()
            if plan is None:
                raise ApplicationError(ErrorCode.VALIDATION, "Choose a plan.", [FieldError("plan_id", "Choose a plan.")])
            packages.purchase(actor=act, patient=patient, plan=plan)
        elif action == "draw":
            packages.draw_down(actor=act, purchase_id=purchase_id, charge_id=int(request.POST.get("charge_id") or 0))
        elif action == "refund":
            packages.refund_unused(actor=act, purchase_id=purchase_id, reference=request.POST.get("reference", ""))
        else:
            until = request.POST.get("until") or ""
            packages.membership_set(actor=act, purchase_id=purchase_id, action=action,
                                    until=_date.fromisoformat(until) if until else None)
    except ApplicationError as exc:
        if exc.code in (ErrorCode.FORBIDDEN, ErrorCode.NOT_FOUND):
            return _error_page(request, exc)
        return render(request, "billing/_account_error.html", {"error": exc}, status=exc.status)
    except ValueError:
        return render(request, "billing/_account_error.html", {"error": ApplicationError(
            ErrorCode.VALIDATION, "Check the form.", [FieldError("until", "Dates are YYYY-MM-DD.")])}, status=422)
    return _account_panel(request, patient_id)


@staff_view(Perm.BALANCE_VIEW)
def statement(request, patient_id: int):
    """GET ?end=YYYY-MM-DD: the statement PDF for the month ending then (default: last month)."""
    from datetime import date as _date

    try:
        patient = _patient_or_error(request, patient_id, what="statement")
        end = _date.fromisoformat(request.GET["end"]) if request.GET.get("end") else \
            statements.month_end(timezone.localdate())
    except ApplicationError as exc:
        return _error_page(request, exc)
    except ValueError:
        return render(request, "billing/_account_error.html", {"error": ApplicationError(
            ErrorCode.VALIDATION, "Dates are YYYY-MM-DD.", [FieldError("end", "Dates are YYYY-MM-DD.")])}, status=422)
    record(ui_actor(request), AuditAction.EXPORT, "statement", patient.pk, patient_id=patient.pk, detail=str(end))
    response = HttpResponse(statements.statement_pdf(patient, end), content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="statement-{patient.chart_number}-{end:%Y-%m}.pdf"'
    return response


def pay_link(request, token: str):
    """The patient's pay-by-link page (no login): amount due and, with a card processor, a card form."""
    try:
        invoice = paylink.invoice_for(token)
    except ApplicationError as exc:
        return render(request, "billing/pay_link.html", {"gone": exc.detail}, status=410)
    processor = get_processor()
    error, paid_now = "", False
    if request.method == "POST":
        try:
            paylink.pay(invoice=invoice, token=request.POST.get("card", ""),
                        attempt=request.POST.get("attempt", "")[:40] or "web", processor=processor)
            paid_now = True
        except ApplicationError as exc:
            error = "; ".join(e.message for e in exc.errors) or exc.detail
        invoice.refresh_from_db()
    return render(request, "billing/pay_link.html", {
        "invoice": invoice, "due": invoices.balance_due(invoice), "practice": Practice.objects.first(),
        "card_payments": processor.name != "external", "error": error, "paid_now": paid_now,
        "attempt": request.POST.get("attempt") or secrets.token_hex(8)},
        status=422 if error else 200)


@staff_view(Perm.BALANCE_VIEW)
def checkout_view(request, block_id: int):
    """Check out a visit block: copays, direct-pay fees (or package sessions), items, one payment."""
    from plexus.scheduling.models import VisitBlock

    act = ui_actor(request)
    block = VisitBlock.objects.select_related("patient", "location").filter(pk=block_id).first()
    if block is None:
        return _error_page(request, ApplicationError(ErrorCode.NOT_FOUND, f"No visit block {block_id}."))
    try:
        access_patient(act, block.patient_id, Perm.BALANCE_VIEW, what="checkout")
    except ApplicationError as exc:
        return _error_page(request, exc)
    error, result, status = "", None, 200
    if request.method == "POST":
        p = request.POST
        try:
            use = {int(k.removeprefix("package_")): int(v) for k, v in p.items() if k.startswith("package_") and v}
            products = []
            if p.get("item_description"):
                products.append(invoices.ProductLine(p["item_description"], Decimal(p.get("item_price") or "0"),
                                                     hsa_eligibility=p.get("item_hsa") or "not_eligible"))
            result = checkout.checkout(actor=act, block=block, method=p.get("method", ""),
                                       reference=p.get("reference", ""), use_packages=use, products=products,
                                       product_method=p.get("item_method", ""))
        except ApplicationError as exc:
            error = "; ".join(f"{e.field}: {e.message}" for e in exc.errors) or exc.detail
            status = exc.status
        except (ValueError, ArithmeticError):
            error, status = "Check the amounts and choices.", 422
    s = checkout.summary(block)
    return render(request, "billing/checkout.html", {
        "s": s, "vb": block, "error": error, "result": result, "total": s.copay + s.direct,
        "methods": forms.InvoicePaymentForm().fields["method"].choices}, status=status)
