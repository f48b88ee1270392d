"""Staff screens for billing: the eligibility screen, a check's detail, the chart's eligibility
panel (htmx), and the X12 import screen with the unmatched list."""

from __future__ import annotations

from django.shortcuts import redirect, render
from django.utils import timezone

from plexus.billing import forms, selectors, services
from plexus.billing.benefits import DEFAULT_SERVICE_TYPES
from plexus.core.audit import record
from plexus.core.errors import ApplicationError, ErrorCode
from plexus.core.models import AuditAction
from plexus.core.permissions import Perm, user_has
from plexus.core.views_utils import apply_errors, staff_view, ui_actor
from plexus.patients.models import Patient
from plexus.patients.selectors import access_patient, active_coverages

RECENT = 25


def _error_page(request, exc: ApplicationError):
    status = 404 if exc.code == ErrorCode.NOT_FOUND else 403
    return render(request, "404.html" if status == 404 else "403.html", {"detail": exc.detail}, status=status)


def _readable(x12: str) -> str:
    """One segment per line, for people (excerpts of batch files already are)."""
    if len(x12) < 106 or not x12.startswith("ISA"):
        return x12
    terminator = x12[105]
    return "\n".join(s.strip() + terminator for s in x12.split(terminator) if s.strip())


@staff_view(Perm.ELIGIBILITY_RUN)
def eligibility_upcoming(request):
    """POST: check every patient with an insurance-billed visit in the next days (the reconciler, now)."""
    from plexus.billing.reconcilers import ELIGIBILITY_DAYS_AHEAD, reconcile_eligibility

    if request.method != "POST":
        return redirect("billing:eligibility")
    sent = reconcile_eligibility(now=timezone.now())
    record(ui_actor(request), AuditAction.CREATE, "eligibility.upcoming", detail=f"{sent} checks sent")
    request.session["eligibility_notice"] = (
        f"{sent} eligibility check{'s' if sent != 1 else ''} sent for patients booked in the next "
        f"{ELIGIBILITY_DAYS_AHEAD} days" + ("." if sent else " (everyone already has a recent answer)."))
    return redirect("billing:eligibility")


@staff_view(Perm.ELIGIBILITY_RUN)
def eligibility(request):
    act = ui_actor(request)
    initial = {"service_date": timezone.localdate(), "chart_number": request.GET.get("chart_number", "")}
    form = forms.EligibilityForm(request.POST or None, initial=initial)
    check = None
    if request.method == "POST" and form.is_valid():
        c = form.cleaned_data
        try:
            pk = Patient.objects.filter(chart_number__iexact=c["chart_number"].strip()).values_list("pk", flat=True)
            if not pk:
                raise ApplicationError(ErrorCode.VALIDATION, "No patient with this chart number.")
            patient = access_patient(act, pk[0], Perm.ELIGIBILITY_RUN, what="eligibility")
            coverage = next(iter(active_coverages(patient, c["service_date"])), None)
            if coverage is None:
                raise ApplicationError(ErrorCode.VALIDATION, f"{patient} has no coverage active on that date.")
            check = services.eligibility_check_run(actor=act, patient=patient, coverage_id=coverage.pk,
                                                   service_types=c["service_types"], service_date=c["service_date"])
        except ApplicationError as exc:
            if exc.code == ErrorCode.FORBIDDEN:
                return _error_page(request, exc)
            if exc.errors:
                apply_errors(form, exc)
            else:
                form.add_error("chart_number", exc.detail)
    recent = list(selectors.checks_list(act, selectors.CheckFilter())[:RECENT])
    return render(request, "billing/eligibility.html", {"form": form, "check": check, "recent": recent,
                                                        "notice": request.session.pop("eligibility_notice", "")},
                  status=422 if form.errors else 200)


@staff_view(Perm.ELIGIBILITY_RUN)
def check_detail(request, check_id: int):
    try:
        check = selectors.check_get(ui_actor(request), check_id)
    except ApplicationError as exc:
        return _error_page(request, exc)
    return render(request, "billing/check_detail.html", {
        "check": check, "lines": list(check.benefit_lines.all()),
        "request_text": _readable(check.request_x12), "response_text": _readable(check.response_x12),
    })


@staff_view(Perm.ELIGIBILITY_RUN)
def patient_panel(request, patient_id: int):
    """The chart's eligibility panel; POST runs a new check on the primary active coverage."""
    act = ui_actor(request)
    try:
        patient = access_patient(act, patient_id, Perm.ELIGIBILITY_RUN, what="eligibility")
    except ApplicationError as exc:
        return _error_page(request, exc)
    error = ""
    today = timezone.localdate()
    coverages = active_coverages(patient, today)
    if request.method == "POST":
        if not coverages:
            error = "No active coverage on file: the patient is self-pay."
        else:
            try:
                services.eligibility_check_run(actor=act, patient=patient, coverage_id=coverages[0].pk,
                                               service_types=DEFAULT_SERVICE_TYPES, service_date=today)
            except ApplicationError as exc:
                error = exc.detail
    answer = selectors.latest_answer(patient)
    lines = list(answer.benefit_lines.all()) if answer else []
    context = {
        "patient": patient, "answer": answer, "lines": lines, "error": error, "coverages": coverages,
        "general_only": [ln for ln in lines if not ln.specific and ln.service_type != "30"],
        "recent": selectors.recent_checks(patient), "can_manage": user_has(request.user, Perm.BILLING_MANAGE),
    }
    return render(request, "billing/_patient_panel.html", context, status=422 if error else 200)


@staff_view(Perm.BILLING_MANAGE)
def x12_upload(request):
    act = ui_actor(request)
    form = forms.X12UploadForm(request.POST or None, request.FILES or None)
    result, error = None, None
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data["file"]
        try:
            text = upload.read().decode("ascii")
            result = services.x12_import(actor=act, text=text, source_name=f"upload:{upload.name}")
        except UnicodeDecodeError:
            form.add_error("file", "X12 files are plain ASCII text.")
        except ApplicationError as exc:
            error = exc
    unmatched = list(selectors.unmatched_list(act)[:100])
    status = 422 if (error or form.errors) else 200
    return render(request, "billing/x12_import.html",
                  {"form": form, "result": result, "error": error, "unmatched": unmatched}, status=status)
