"""Staff screens for documents (the documents tab by discipline and type, upload, open, FHIR),
records requests (the tracker, overdue first) and external shares; plus the specialist's public
shared-link page. Logic lives in files.py, access_requests.py and sharing.py."""

from __future__ import annotations

import json
from datetime import date

from django import forms as djforms
from django.contrib import messages
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_POST

from plexus.core.audit import client_ip
from plexus.core.errors import ApplicationError, FieldError, validation_error
from plexus.core.models import Discipline
from plexus.core.permissions import Perm, user_has
from plexus.core.views_utils import staff_view, ui_actor
from plexus.patients.selectors import access_patient
from plexus.records import access_requests, files, sharing
from plexus.records.models import DeliveryMethod, Document, DocumentType, RequesterKind

FHIR_JSON = "application/fhir+json"


def _error(request, exc: ApplicationError):
    return render(request, "records/_doc_error.html", {"error": exc}, status=exc.status)


def _css(form: djforms.Form) -> None:
    for f in form.fields.values():
        if isinstance(f.widget, djforms.CheckboxSelectMultiple | djforms.CheckboxInput):
            continue
        f.widget.attrs.setdefault("class", "form-select form-select-sm" if isinstance(f, djforms.ChoiceField)
                                  else "form-control form-control-sm")


def _disciplines() -> list[tuple[str, str]]:
    return list(Discipline.objects.filter(is_clinical=True).values_list("code", "name"))


class UploadForm(djforms.Form):
    file = djforms.FileField(widget=djforms.ClearableFileInput(
        attrs={"accept": ".pdf,.png,.jpg,.jpeg,.heic,.heif,.tif,.tiff,.txt"}))
    doc_type = djforms.ChoiceField(label="Type", choices=DocumentType.choices)
    source = djforms.CharField(max_length=200, initial="Front desk scan")
    service_date = djforms.DateField(required=False, label="Date of service",
                                     widget=djforms.DateInput(attrs={"type": "date"}))
    disciplines = djforms.MultipleChoiceField(required=False, choices=[], widget=djforms.SelectMultiple(attrs={"size": 3}))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["disciplines"].choices = _disciplines()
        _css(self)


def _apply(form, exc: ApplicationError) -> None:
    if not exc.errors:
        form.add_error(None, exc.detail)
    for err in exc.errors:
        name = err.field.removesuffix("_id")
        form.add_error(name if name in form.fields else None, err.message)


def _tab_context(request, patient, form=None):
    docs = files.patient_documents(patient.pk)
    return {"patient": patient, "groups": files.filing(docs), "count": len(docs), "form": form or UploadForm(),
            "clinical": user_has(request.user, Perm.CLINICAL_VIEW),
            "can_manage": user_has(request.user, Perm.DOCUMENTS_MANAGE)}


@staff_view(Perm.DOCUMENTS_VIEW)
def patient_documents(request, patient_id: int):
    """The documents tab: grouped by discipline, then type; metadata for every role with
    documents.view, an Open link only where the role may read the content."""
    try:
        patient = access_patient(ui_actor(request), patient_id, Perm.DOCUMENTS_VIEW, what="documents")
    except ApplicationError as exc:
        return _error(request, exc)
    return render(request, "records/documents.html", _tab_context(request, patient))


@require_POST
@staff_view(Perm.DOCUMENTS_MANAGE)
def document_upload(request, patient_id: int):
    """Upload (htmx: the filing panel is swapped in place, the error shown next to the field)."""
    actor = ui_actor(request)
    try:
        patient = access_patient(actor, patient_id, Perm.DOCUMENTS_MANAGE, what="documents")
    except ApplicationError as exc:
        return _error(request, exc)
    form = UploadForm(request.POST, request.FILES)
    status = 422
    if form.is_valid():
        d = form.cleaned_data
        try:
            doc = files.document_store(actor=actor, patient=patient, uploaded_file=d["file"], doc_type=d["doc_type"],
                                       source=d["source"], service_date=d["service_date"],
                                       disciplines=d["disciplines"])
        except ApplicationError as exc:
            _apply(form, exc)
        else:
            status, form = 201, None
            if not request.htmx:
                messages.success(request, f"Filed: {doc.get_doc_type_display()} ({doc.original_name}).")
                return redirect("records:patient_documents", patient.pk)
    if not request.htmx and status != 201:
        return render(request, "records/documents.html", _tab_context(request, patient, form), status=status)
    ctx = _tab_context(request, patient, form)
    ctx["just_filed"] = status == 201
    return render(request, "records/_documents_panel.html", ctx, status=200 if status == 201 else status)


@staff_view(Perm.DOCUMENTS_VIEW)
def document_content(request, document_id: int):
    """The file itself (inline), audited; clinical documents need clinical.view."""
    try:
        doc = files.get_document(document_id)
        data = files.document_read(actor=ui_actor(request), document=doc,
                                   purpose="download" if request.GET.get("download") else "view")
    except ApplicationError as exc:
        return _error(request, exc)
    resp = HttpResponse(data, content_type=doc.content_type)
    disposition = "attachment" if request.GET.get("download") else "inline"
    resp["Content-Disposition"] = f'{disposition}; filename="document-{doc.pk}{_ext(doc)}"'
    resp["X-Content-Type-Options"] = "nosniff"
    resp["Content-Security-Policy"] = "default-src 'none'; img-src 'self'; style-src 'unsafe-inline'; sandbox"
    return resp


def _ext(doc: Document) -> str:
    return min(files.ALLOWED.get(doc.content_type, {""}), key=len) if doc.content_type in files.ALLOWED else ""


@staff_view(Perm.DOCUMENTS_VIEW)
def document_fhir(request, document_id: int):
    try:
        doc = files.get_document(document_id)
        data = files.fhir_export(actor=ui_actor(request), document=doc)
    except ApplicationError as exc:
        return _error(request, exc)
    resp = HttpResponse(json.dumps(data, indent=2), content_type=FHIR_JSON)
    resp["Content-Disposition"] = f'attachment; filename="documentreference-{doc.pk}.json"'
    return resp


@staff_view(Perm.DOCUMENTS_VIEW)
def patient_documents_fhir(request, patient_id: int):
    actor = ui_actor(request)
    try:
        patient = access_patient(actor, patient_id, Perm.DOCUMENTS_VIEW, what="documents")
        data = files.fhir_export_patient(actor=actor, patient=patient)
    except ApplicationError as exc:
        return _error(request, exc)
    resp = HttpResponse(json.dumps(data, indent=2), content_type=FHIR_JSON)
    resp["Content-Disposition"] = f'attachment; filename="documents-{patient.chart_number}.json"'
    return resp


# ----- external shares -------------------------------------------------------------------------


class ShareForm(djforms.Form):
    documents = djforms.ModelMultipleChoiceField(queryset=Document.objects.none(),
                                                 widget=djforms.CheckboxSelectMultiple)
    recipient_name = djforms.CharField(max_length=200, label="Specialist")
    recipient_email = djforms.EmailField(required=False, label="Their email (optional)")
    purpose = djforms.CharField(max_length=200)
    expires_in_days = djforms.IntegerField(min_value=1, max_value=sharing.MAX_DAYS, initial=sharing.DEFAULT_DAYS,
                                           label="Expires after (days)")
    passcode = djforms.CharField(required=False, max_length=64, label="Passcode (optional; give it by phone)",
                                 widget=djforms.PasswordInput(render_value=False, attrs={"autocomplete": "new-password"}))

    def __init__(self, *args, patient_id: int, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["documents"].queryset = Document.objects.filter(patient_id=patient_id, is_psychotherapy_note=False)
        self.fields["documents"].label_from_instance = (
            lambda d: f"{d.get_doc_type_display()} · {d.service_date or d.uploaded_at.date()} · {d.source}")
        _css(self)


class LetterForm(djforms.Form):
    recipient_name = djforms.CharField(max_length=200, label="Specialist")
    reason = djforms.CharField(max_length=300, label="Reason for referral")
    body = djforms.CharField(required=False, widget=djforms.Textarea(attrs={"rows": 4}), label="Letter")
    disciplines = djforms.MultipleChoiceField(required=False, choices=[])

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["disciplines"].choices = _disciplines()
        _css(self)


def _shares_page(request, patient, form=None, letter_form=None, new_link="", status=200):
    return render(request, "records/shares.html", {
        "patient": patient, "shares": sharing.patient_shares(patient.pk),
        "form": form or ShareForm(patient_id=patient.pk), "letter_form": letter_form or LetterForm(),
        "new_link": new_link, "now": timezone.now(), "clinical": user_has(request.user, Perm.CLINICAL_VIEW),
        "can_manage": user_has(request.user, Perm.DOCUMENTS_MANAGE)}, status=status)


@staff_view(Perm.DOCUMENTS_VIEW)
def patient_shares(request, patient_id: int):
    """A patient's shares (state, recipient, purpose, accesses) and the form to share documents."""
    try:
        patient = access_patient(ui_actor(request), patient_id, Perm.DOCUMENTS_VIEW, what="document_shares")
    except ApplicationError as exc:
        return _error(request, exc)
    if request.method == "POST":
        if not user_has(request.user, Perm.DOCUMENTS_MANAGE):
            return render(request, "403.html", {"perm": Perm.DOCUMENTS_MANAGE.value}, status=403)
        form = ShareForm(request.POST, patient_id=patient.pk)
        if form.is_valid():
            d = form.cleaned_data
            try:
                share = sharing.share_create(
                    actor=ui_actor(request), patient=patient, documents=list(d["documents"]),
                    recipient_name=d["recipient_name"], recipient_email=d["recipient_email"], purpose=d["purpose"],
                    expires_in_days=d["expires_in_days"], passcode=d["passcode"])
            except ApplicationError as exc:
                _apply(form, exc)
            else:
                return _shares_page(request, patient, new_link=sharing.share_url(share), status=201)
        return _shares_page(request, patient, form=form, status=422)
    return _shares_page(request, patient)


@staff_view(Perm.DOCUMENTS_VIEW)
def share_detail(request, share_id: int):
    """One share with its access log (when, IP, user agent, outcome)."""
    try:
        share = sharing.get_share(share_id)
        access_patient(ui_actor(request), share.patient_id, Perm.DOCUMENTS_VIEW, what="document_share")
    except ApplicationError as exc:
        return _error(request, exc)
    return render(request, "records/share_detail.html", {
        "share": share, "state": sharing.share_state(share), "documents": list(share.documents.all()),
        "accesses": sharing.share_accesses(share), "link": sharing.share_url(share),
        "can_manage": user_has(request.user, Perm.DOCUMENTS_MANAGE)})


@require_POST
@staff_view(Perm.DOCUMENTS_MANAGE)
def share_revoke(request, share_id: int):
    try:
        share = sharing.share_revoke(actor=ui_actor(request), share=sharing.get_share(share_id))
    except ApplicationError as exc:
        return _error(request, exc)
    messages.success(request, f"Link for {share.recipient_name} revoked: it can no longer be opened.")
    return redirect("records:share_detail", share.pk)


@require_POST
@staff_view(Perm.CLINICAL_VIEW)
def referral_letter(request, patient_id: int):
    """Write the referral letter PDF (filed as a letter document); it can then be ticked in a share."""
    actor = ui_actor(request)
    try:
        patient = access_patient(actor, patient_id, Perm.CLINICAL_VIEW, what="referral_letter")
    except ApplicationError as exc:
        return _error(request, exc)
    form = LetterForm(request.POST)
    if form.is_valid():
        d = form.cleaned_data
        try:
            doc = sharing.referral_letter_create(actor=actor, patient=patient, recipient_name=d["recipient_name"],
                                                 reason=d["reason"], body=d["body"], disciplines=d["disciplines"])
        except ApplicationError as exc:
            _apply(form, exc)
        else:
            messages.success(request, f"Referral letter to {d['recipient_name']} filed (document {doc.pk}); "
                                      "tick it below to attach it to a share.")
            return redirect("records:patient_shares", patient.pk)
    return _shares_page(request, patient, letter_form=form, status=422)


# ----- the specialist's side (no login: the signed link is the authority) -----------------------


def _who(request) -> dict:
    return {"ip": client_ip(request), "user_agent": request.META.get("HTTP_USER_AGENT", "")}


def _session_key(share) -> str:
    return f"share-ok-{share.pk}"


def shared_link(request, token: str):
    """The shared documents: passcode first when one was set; a revoked or expired link is refused
    with a clear page (410) and the attempt logged."""
    who = _who(request)
    try:
        share = sharing.share_resolve(token, **who)
        error = ""
        if share.passcode_hash and not request.session.get(_session_key(share)):
            if request.method == "POST":
                if sharing.share_check_passcode(share, request.POST.get("passcode", ""), **who):
                    request.session[_session_key(share)] = True
                    request.session.set_expiry(3600)
                    return redirect("records:shared", token)
                error = f"That passcode is not right. {sharing.MAX_ATTEMPTS - share.failed_attempts} attempt(s) left."
            return render(request, "records/shared.html", {"share": share, "ask_passcode": True, "error": error},
                          status=401 if error else 200)
        docs = sharing.share_opened(share, **who)
    except sharing.ShareRefused as exc:
        return render(request, "records/shared.html", {"refused": exc}, status=exc.status)
    return render(request, "records/shared.html", {"share": share, "documents": docs, "token": token})


def shared_document(request, token: str, document_id: int):
    who = _who(request)
    try:
        share = sharing.share_resolve(token, **who)
        if share.passcode_hash and not request.session.get(_session_key(share)):
            return redirect("records:shared", token)
        doc, data = sharing.share_document(share, document_id, **who)
    except sharing.ShareRefused as exc:
        return render(request, "records/shared.html", {"refused": exc}, status=exc.status)
    except ApplicationError as exc:
        return render(request, "records/shared.html", {"refused": sharing.ShareRefused(404, "missing", exc.detail)},
                      status=404)
    resp = HttpResponse(data, content_type=doc.content_type)
    resp["Content-Disposition"] = f'inline; filename="document-{doc.pk}{_ext(doc)}"'
    resp["X-Content-Type-Options"] = "nosniff"
    resp["Cache-Control"] = "no-store"
    resp["Content-Security-Policy"] = "default-src 'none'; img-src 'self'; style-src 'unsafe-inline'; sandbox"
    return resp


# ----- records requests --------------------------------------------------------------------------


class RequestForm(djforms.Form):
    patient_id = djforms.IntegerField(widget=djforms.HiddenInput)
    requester_kind = djforms.ChoiceField(choices=RequesterKind.choices, label="Requester")
    requester_name = djforms.CharField(max_length=200, label="Name")
    requester_email = djforms.EmailField(required=False, label="Email (for notices)")
    requester_address = djforms.CharField(required=False, widget=djforms.Textarea(attrs={"rows": 2}), label="Address")
    authorisation = djforms.ModelChoiceField(queryset=Document.objects.none(), required=False,
                                             label="Authorisation on file (records release)")
    authorisation_reference = djforms.CharField(required=False, max_length=200, label="…or authorisation reference")
    scope = djforms.CharField(required=False, widget=djforms.Textarea(attrs={"rows": 2}), label="What is asked for")
    received_on = djforms.DateField(widget=djforms.DateInput(attrs={"type": "date"}), label="Received on")

    def __init__(self, *args, patient_id: int | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        if patient_id:
            self.fields["authorisation"].queryset = Document.objects.filter(
                patient_id=patient_id, doc_type=DocumentType.RECORDS_RELEASE)
        _css(self)


class FulfilForm(djforms.Form):
    documents = djforms.ModelMultipleChoiceField(queryset=Document.objects.none(),
                                                 widget=djforms.CheckboxSelectMultiple)
    method = djforms.ChoiceField(choices=DeliveryMethod.choices)

    def __init__(self, *args, patient_id: int, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["documents"].queryset = access_requests.releasable(patient_id)
        self.fields["documents"].label_from_instance = (
            lambda d: f"{d.get_doc_type_display()} · {d.service_date or d.uploaded_at.date()} · {d.source}")
        _css(self)


class ReasonForm(djforms.Form):
    reason = djforms.CharField(widget=djforms.Textarea(attrs={"rows": 2}))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        _css(self)


@staff_view(Perm.DOCUMENTS_VIEW)
def request_tracker(request):
    """Records requests: overdue at the top, then by due date; closed ones with ?all=1."""
    today = timezone.localdate()
    rows = list(access_requests.tracker(today, include_closed=bool(request.GET.get("all"))))
    return render(request, "records/requests.html", {
        "rows": rows, "today": today, "overdue": sum(1 for r in rows if r.rank == 0),
        "show_all": bool(request.GET.get("all")), "can_manage": user_has(request.user, Perm.DOCUMENTS_MANAGE)})


@staff_view(Perm.DOCUMENTS_MANAGE)
def request_new(request):
    actor = ui_actor(request)
    pid = request.POST.get("patient_id") or request.GET.get("patient_id")
    try:
        patient = access_patient(actor, int(pid), Perm.DOCUMENTS_MANAGE, what="records_request")
    except (TypeError, ValueError):
        return _error(request, validation_error([FieldError("patient_id", "Open this from a patient's documents tab.")]))
    except ApplicationError as exc:
        return _error(request, exc)
    form = RequestForm(request.POST or None, patient_id=patient.pk,
                       initial={"patient_id": patient.pk, "received_on": date.isoformat(timezone.localdate())})
    if request.method == "POST" and form.is_valid():
        d = form.cleaned_data
        try:
            req = access_requests.request_create(
                actor=actor, patient=patient, requester_kind=d["requester_kind"], requester_name=d["requester_name"],
                requester_email=d["requester_email"], requester_address=d["requester_address"],
                authorisation=d["authorisation"], authorisation_reference=d["authorisation_reference"],
                scope=d["scope"], received_on=d["received_on"])
        except ApplicationError as exc:
            _apply(form, exc)
        else:
            return redirect("records:request_detail", req.pk)
    status = 422 if request.method == "POST" else 200
    return render(request, "records/request_new.html", {"form": form, "patient": patient}, status=status)


def _request_page(request, req, status=200, **forms):
    return render(request, "records/request_detail.html", {
        "req": req, "today": timezone.localdate(), "sent": list(req.documents_sent.all()),
        "fulfil_form": forms.get("fulfil") or FulfilForm(patient_id=req.patient_id),
        "extend_form": forms.get("extend") or ReasonForm(), "deny_form": forms.get("deny") or ReasonForm(),
        "can_manage": user_has(request.user, Perm.DOCUMENTS_MANAGE), "active": req.status in access_requests.ACTIVE,
    }, status=status)


@staff_view(Perm.DOCUMENTS_VIEW)
def request_detail(request, request_id: int):
    try:
        req = access_requests.get_request(request_id)
        access_patient(ui_actor(request), req.patient_id, Perm.DOCUMENTS_VIEW, what="records_request")
    except ApplicationError as exc:
        return _error(request, exc)
    return _request_page(request, req)


def _request_action(request, request_id: int, action: str):
    actor = ui_actor(request)
    try:
        req = access_requests.get_request(request_id)
        access_patient(actor, req.patient_id, Perm.DOCUMENTS_MANAGE, what="records_request")
    except ApplicationError as exc:
        return _error(request, exc)
    form = FulfilForm(request.POST, patient_id=req.patient_id) if action == "fulfil" else ReasonForm(request.POST)
    if form.is_valid():
        d = form.cleaned_data
        try:
            if action == "fulfil":
                access_requests.request_fulfil(actor=actor, request=req, documents=list(d["documents"]), method=d["method"])
            elif action == "extend":
                access_requests.request_extend(actor=actor, request=req, reason=d["reason"])
            else:
                access_requests.request_deny(actor=actor, request=req, reason=d["reason"])
        except ApplicationError as exc:
            if exc.status == 409:
                return _error(request, exc)
            _apply(form, exc)
        else:
            return redirect(reverse("records:request_detail", args=[req.pk]))
    return _request_page(request, req, status=422, **{action: form})


@require_POST
@staff_view(Perm.DOCUMENTS_MANAGE)
def request_extend(request, request_id: int):
    return _request_action(request, request_id, "extend")


@require_POST
@staff_view(Perm.DOCUMENTS_MANAGE)
def request_fulfil(request, request_id: int):
    return _request_action(request, request_id, "fulfil")


@require_POST
@staff_view(Perm.DOCUMENTS_MANAGE)
def request_deny(request, request_id: int):
    return _request_action(request, request_id, "deny")
