"""Staff screens for patients: search, chart, create and edit, coverage, CSV import."""

from __future__ import annotations

from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone

from plexus.core.errors import ApplicationError, ErrorCode
from plexus.core.permissions import Perm, user_has
from plexus.core.views_utils import apply_errors, staff_view, ui_actor
from plexus.patients import forms, imports, selectors, services
from plexus.patients.selectors import access_patient

CHART_TABS = (
    ("overview", "Overview", Perm.PATIENT_VIEW),
    ("visits", "Visits", Perm.SCHEDULE_VIEW),
    ("documents", "Documents", Perm.DOCUMENTS_VIEW),
    ("forms", "Forms", Perm.FORMS_VIEW),
    ("care", "Care team", Perm.CARE_VIEW),
    ("billing", "Billing", Perm.BALANCE_VIEW),
    ("messages", "Messages", Perm.PATIENT_VIEW),
    ("audit", "Audit", Perm.AUDIT_VIEW),
)


def _not_found(request, exc: ApplicationError):
    status = 404 if exc.code == ErrorCode.NOT_FOUND else 403
    return render(request, "403.html" if status == 403 else "404.html", {"detail": exc.detail}, status=status)


@staff_view(Perm.PATIENT_VIEW)
def search(request):
    form = forms.SearchForm(request.GET or None)
    total, page, searched = 0, [], False
    if form.is_valid() and any(form.cleaned_data.values()):
        c = form.cleaned_data
        query = selectors.PatientQuery(c["q"], c["date_of_birth"], c["phone"], c["member_id"])
        total, page = selectors.patient_search(ui_actor(request), query, limit=50)
        searched = True
    context = {"form": form, "total": total, "patients": page, "searched": searched}
    template = "patients/_results.html" if request.htmx else "patients/search.html"
    return render(request, template, context)


@staff_view(Perm.PATIENT_VIEW)
def chart(request, patient_id: int, tab: str = "overview"):
    try:
        patient = access_patient(ui_actor(request), patient_id, what="chart")
    except ApplicationError as exc:
        return _not_found(request, exc)
    tabs = [(key, label) for key, label, perm in CHART_TABS if user_has(request.user, perm)]
    if tab not in {k for k, _ in tabs}:
        tab = "overview"
    today = timezone.localdate()
    context = {
        "patient": patient, "tab": tab, "tabs": tabs, "age": patient.age_on(today),
        "coverages": selectors.patient_coverages(patient) if user_has(request.user, Perm.COVERAGE_VIEW) else [],
        "today": today,
    }
    template = "patients/_chart_tab.html" if request.htmx else "patients/chart.html"
    return render(request, template, context)


@staff_view(Perm.PATIENT_EDIT)
def patient_new(request):
    form = forms.PatientForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            patient = services.patient_create(actor=ui_actor(request), data=form.cleaned_data)
        except ApplicationError as exc:
            apply_errors(form, exc)
        else:
            return redirect("patients:chart", patient.pk)
    return render(request, "patients/form.html", {"form": form, "title": "New patient"},
                  status=422 if form.errors else 200)


@staff_view(Perm.PATIENT_EDIT)
def patient_edit(request, patient_id: int):
    try:
        patient = access_patient(ui_actor(request), patient_id, Perm.PATIENT_EDIT, what="edit")
    except ApplicationError as exc:
        return _not_found(request, exc)
    form = forms.PatientForm(request.POST or None, instance=patient)
    if request.method == "POST" and form.is_valid():
        data = {k: form.cleaned_data[k] for k in forms.PATIENT_FORM_FIELDS}
        try:
            services.patient_update(actor=ui_actor(request), patient=patient, data=data)
        except ApplicationError as exc:
            apply_errors(form, exc)
        else:
            return redirect("patients:chart", patient.pk)
    return render(request, "patients/form.html", {"form": form, "title": f"Edit {patient}", "patient": patient},
                  status=422 if form.errors else 200)


@staff_view(Perm.COVERAGE_EDIT)
def coverage_new(request, patient_id: int):
    try:
        patient = access_patient(ui_actor(request), patient_id, Perm.COVERAGE_EDIT, what="coverage.edit")
    except ApplicationError as exc:
        return _not_found(request, exc)
    form = forms.CoverageForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = dict(form.cleaned_data)
        data["payer_id"] = data.pop("payer").pk
        try:
            services.coverage_create(actor=ui_actor(request), patient=patient, data=data)
        except ApplicationError as exc:
            apply_errors(form, exc)
        else:
            return redirect(reverse("patients:chart", args=[patient.pk]))
    return render(request, "patients/form.html", {"form": form, "title": f"Add coverage for {patient}",
                                                  "patient": patient}, status=422 if form.errors else 200)


@staff_view(Perm.PATIENT_IMPORT)
def import_csv(request):
    form = forms.ImportForm(request.POST or None, request.FILES or None)
    result, error = None, None
    if request.method == "POST" and form.is_valid():
        try:
            text = form.cleaned_data["file"].read().decode("utf-8")
            result = imports.import_patients_csv(actor=ui_actor(request), text=text)
        except UnicodeDecodeError:
            form.add_error("file", "The file is not UTF-8 text.")
        except ApplicationError as exc:
            error = exc
    status = 422 if (error or form.errors) else 200
    return render(request, "patients/import.html", {"form": form, "result": result, "error": error,
                                                    "columns": imports.ALL_COLUMNS}, status=status)
