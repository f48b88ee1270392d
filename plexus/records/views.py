"""Staff screens for forms as data: the forms list, a preview of every item, FHIR export and import,
publish/retire, and a patient's responses with their scores (and PDF)."""

from __future__ import annotations

import json

from django import forms as djforms
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from plexus.core.audit import record
from plexus.core.errors import ApplicationError
from plexus.core.models import AuditAction
from plexus.core.permissions import Perm, user_has
from plexus.core.views_utils import staff_view, ui_actor
from plexus.engines.forms import missing_required
from plexus.patients.selectors import access_patient
from plexus.records import documents, fhir, selectors, services
from plexus.records.models import QuestionnaireStatus
from plexus.records.presenting import answer_pages


def _error(request, exc: ApplicationError):
    return render(request, "records/_error.html", {"error": exc}, status=exc.status)


class FilterForm(djforms.Form):
    status = djforms.ChoiceField(required=False, choices=[("", "Any status"), *QuestionnaireStatus.choices])
    discipline = djforms.ChoiceField(required=False, choices=[])
    q = djforms.CharField(required=False, label="Title")

    def __init__(self, *args, disciplines: dict[str, str], **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["discipline"].choices = [("", "Any discipline"), *sorted(disciplines.items(), key=lambda kv: kv[1])]
        for f in self.fields.values():
            f.widget.attrs["class"] = "form-select form-select-sm" if isinstance(f, djforms.ChoiceField) else "form-control form-control-sm"


class ImportForm(djforms.Form):
    file = djforms.FileField(label="FHIR Questionnaire (JSON)", widget=djforms.ClearableFileInput(attrs={"class": "form-control", "accept": ".json,application/json,application/fhir+json"}))


@staff_view(Perm.FORMS_VIEW)
def form_list(request):
    """Every questionnaire version: title, version, disciplines, status (filters swap the rows via htmx)."""
    names = selectors.discipline_names()
    form = FilterForm(request.GET or None, disciplines=names)
    f = selectors.FormFilter()
    if form.is_valid():
        f = selectors.FormFilter(**form.cleaned_data)
    every = set(names)
    rows = [(q, "all" if every and every <= set(q.disciplines) else [names.get(c, c) for c in q.disciplines])
            for q in selectors.questionnaires(f)]
    context = {"form": form, "rows": rows, "can_manage": user_has(request.user, Perm.FORMS_MANAGE)}
    template = "records/_form_rows.html" if request.htmx else "records/forms.html"
    return render(request, template, context)


@staff_view(Perm.FORMS_VIEW)
def form_preview(request, questionnaire_id: int):
    """The form as a patient would see it: every page and item, follow-ups marked with their condition."""
    try:
        q = selectors.get_questionnaire(questionnaire_id)
    except ApplicationError as exc:
        return _error(request, exc)
    names = selectors.discipline_names()
    form = selectors.form_of(q)
    versions = selectors.questionnaires(selectors.FormFilter())
    return render(request, "records/preview.html", {
        "q": q, "form": form,
        "disciplines": ["All disciplines"] if names and set(names) <= set(q.disciplines) else [names.get(c, c) for c in q.disciplines],
        "other_versions": [v for v in versions if v.slug == q.slug and v.pk != q.pk],
        "can_manage": user_has(request.user, Perm.FORMS_MANAGE),
        "texts": {it.link_id: it.text for it, _ in form.walk()},
    })


@staff_view(Perm.FORMS_VIEW)
def form_fhir(request, questionnaire_id: int):
    try:
        q = selectors.get_questionnaire(questionnaire_id)
        data = fhir.questionnaire_export(selectors.form_of(q), q.status)
    except ApplicationError as exc:
        return _error(request, exc)
    resp = HttpResponse(json.dumps(data, indent=2, ensure_ascii=False), content_type="application/fhir+json")
    resp["Content-Disposition"] = f'attachment; filename="questionnaire-{q.slug}-{q.version}.json"'
    return resp


@staff_view(Perm.FORMS_MANAGE)
def form_import(request):
    """Upload a FHIR R4 Questionnaire; it becomes a draft version. Errors name the element; nothing is saved."""
    form = ImportForm(request.POST or None, request.FILES or None)
    error = None
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data["file"]
        try:
            data = fhir.load_json(upload.read(fhir.MAX_UPLOAD + 1), "file")
            q = services.questionnaire_import_fhir(actor=ui_actor(request), data=data)
        except ApplicationError as exc:
            error = exc
        else:
            return redirect("records:form_preview", q.pk)
    status = 422 if (error or form.errors) else 200
    return render(request, "records/import.html", {"form": form, "error": error}, status=status)


@require_POST
@staff_view(Perm.FORMS_MANAGE)
def form_publish(request, questionnaire_id: int):
    try:
        q = selectors.get_questionnaire(questionnaire_id)
        services.questionnaire_publish(actor=ui_actor(request), questionnaire=q)
    except ApplicationError as exc:
        return _error(request, exc)
    return redirect("records:form_preview", q.pk)


@require_POST
@staff_view(Perm.FORMS_MANAGE)
def form_retire(request, questionnaire_id: int):
    try:
        q = selectors.get_questionnaire(questionnaire_id)
        services.questionnaire_retire(actor=ui_actor(request), questionnaire=q)
    except ApplicationError as exc:
        return _error(request, exc)
    return redirect("records:form_preview", q.pk)


@staff_view(Perm.FORMS_VIEW)
def patient_forms(request, patient_id: int):
    """A patient's questionnaire responses with status and scores."""
    try:
        patient = access_patient(ui_actor(request), patient_id, Perm.FORMS_VIEW, what="questionnaire_responses")
    except ApplicationError as exc:
        return _error(request, exc)
    return render(request, "records/patient_forms.html",
                  {"patient": patient, "responses": selectors.patient_responses(patient.pk),
                   "clinical": user_has(request.user, Perm.CLINICAL_VIEW)})


def _response(request, response_id: int):
    r = selectors.get_response(response_id)
    access_patient(ui_actor(request), r.patient_id, Perm.CLINICAL_VIEW, what="questionnaire_response")
    return r


@staff_view(Perm.CLINICAL_VIEW)
def response_detail(request, response_id: int):
    """One response: scores (with band and flags) at the top, then the answers page by page."""
    try:
        r = _response(request, response_id)
    except ApplicationError as exc:
        return _error(request, exc)
    form = selectors.form_of(r.questionnaire)
    missing = missing_required(form, r.answers) if r.status == "in-progress" else []
    texts = {it.link_id: it.text for it, _ in form.walk()}
    return render(request, "records/response.html", {
        "r": r, "form": form, "pages": answer_pages(form, r.answers), "scores": r.scores,
        "missing": [texts.get(m.split("[")[0], m) for m in missing],
    })


@staff_view(Perm.CLINICAL_VIEW)
def response_pdf(request, response_id: int):
    try:
        r = _response(request, response_id)
        pdf = documents.response_pdf(r)
    except ApplicationError as exc:
        return _error(request, exc)
    record(ui_actor(request), AuditAction.EXPORT, "questionnaire_response", r.pk, patient_id=r.patient_id, detail="pdf")
    resp = HttpResponse(pdf, content_type="application/pdf")
    resp["Content-Disposition"] = f'inline; filename="{documents.filename(r)}"'
    return resp
