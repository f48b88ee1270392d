"""Staff screens (message log, per-patient log and preferences, template editor with preview) and
the public endpoints (email unsubscribe link, SMS webhooks for replies and delivery receipts)."""

from __future__ import annotations

import base64
import hashlib
import hmac
import os

from django.conf import settings
from django.core.paginator import Paginator
from django.http import HttpResponse, HttpResponseForbidden
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from plexus.core.audit import record
from plexus.core.errors import ApplicationError
from plexus.core.models import AuditAction
from plexus.core.permissions import Perm, user_has
from plexus.core.views_utils import apply_errors, staff_view, ui_actor
from plexus.messaging import selectors, services
from plexus.messaging.forms import LogFilterForm, PreferenceForm, TemplateForm
from plexus.messaging.models import MessageTemplate
from plexus.messaging.templating import ALLOWED, SAMPLE_CONTEXT, template_errors
from plexus.messaging.templating import render as render_text
from plexus.patients.selectors import access_patient


def _error(request, exc: ApplicationError):
    return render(request, "messaging/_error.html", {"error": exc}, status=exc.status)


@staff_view(Perm.MESSAGING_VIEW)
def log(request):
    """Practice-wide delivery log with filters (htmx swaps the rows)."""
    form = LogFilterForm(request.GET or None)
    f = selectors.LogFilter()
    if form.is_valid():
        c = form.cleaned_data
        f = selectors.LogFilter(status=c["status"], channel=c["channel"], kind=c["kind"], date_from=c["date_from"],
                                date_to=c["date_to"])
    qs = selectors.messages_query(f)
    page = Paginator(qs, 50).get_page(request.GET.get("page"))
    record(ui_actor(request), AuditAction.READ, "message.log", detail=f"{page.paginator.count} results",
           changed_fields=[k for k in ("status", "channel", "kind", "date_from", "date_to") if getattr(f, k)])
    context = {"form": form, "page": page, "counts": selectors.status_counts(qs),
               "replies": list(selectors.replies_query()[:10]), "open_requests": selectors.open_requests().count()}
    template = "messaging/_log_rows.html" if request.htmx else "messaging/log.html"
    return render(request, template, context, status=422 if form.errors else 200)


@staff_view(Perm.MESSAGING_VIEW)
def message_detail(request, message_id: int):
    try:
        msg = selectors.get_message(message_id)
        access_patient(ui_actor(request), msg.patient_id, Perm.MESSAGING_VIEW, what="message")
    except ApplicationError as exc:
        return _error(request, exc)
    return render(request, "messaging/detail.html", {"m": msg})


def _patient_context(request, patient, form=None) -> dict:
    pref = services.preference_for(patient)
    return {"patient": patient, "pref": pref, "who": services.recipient(patient, pref),
            "form": form or PreferenceForm(instance=pref),
            "messages_list": list(selectors.messages_query(selectors.LogFilter(patient_id=patient.pk))[:100]),
            "replies": list(selectors.replies_query(patient_id=patient.pk)[:50]),
            "can_edit": user_has(request.user, Perm.PATIENT_EDIT)}


@staff_view(Perm.MESSAGING_VIEW)
def patient_log(request, patient_id: int):
    try:
        patient = access_patient(ui_actor(request), patient_id, Perm.MESSAGING_VIEW, what="messages")
    except ApplicationError as exc:
        return _error(request, exc)
    return render(request, "messaging/patient.html", _patient_context(request, patient))


@require_POST
@staff_view(Perm.PATIENT_EDIT)
def preferences_edit(request, patient_id: int):
    act = ui_actor(request)
    try:
        patient = access_patient(act, patient_id, Perm.PATIENT_EDIT, what="contact_preference")
    except ApplicationError as exc:
        return _error(request, exc)
    form = PreferenceForm(request.POST, instance=services.preference_for(patient))
    if form.is_valid():
        try:
            services.preference_update(actor=act, patient=patient, now=timezone.now(),
                                       **{k: form.cleaned_data[k] for k in form.Meta.fields})
        except ApplicationError as exc:
            apply_errors(form, exc)
        else:
            return redirect("messaging:patient_log", patient.pk)
    patient.refresh_from_db()
    return render(request, "messaging/patient.html", _patient_context(request, patient, form), status=422)


@staff_view(Perm.TEMPLATES_MANAGE)
def templates(request):
    return render(request, "messaging/templates.html", {"templates": list(MessageTemplate.objects.all())})


@staff_view(Perm.TEMPLATES_MANAGE)
def template_edit(request, template_id: int):
    try:
        tpl = selectors.get_template(template_id)
    except ApplicationError as exc:
        return _error(request, exc)
    form = TemplateForm(request.POST or None, initial={"subject": tpl.subject, "body": tpl.body})
    saved = False
    if request.method == "POST" and form.is_valid():
        try:
            services.template_update(actor=ui_actor(request), template=tpl, subject=form.cleaned_data["subject"],
                                     body=form.cleaned_data["body"], now=timezone.now())
            saved = True
        except ApplicationError as exc:
            apply_errors(form, exc)
    context = {"tpl": tpl, "form": form, "saved": saved, "allowed": {k: sorted(v) for k, v in ALLOWED.items()
                                                                      if k.startswith(tpl.channel)},
               "preview": _preview(tpl.channel, tpl.subject, tpl.body)}
    return render(request, "messaging/template_edit.html", context,
                  status=422 if request.method == "POST" and not saved else 200)


def _preview(channel: str, subject: str, body: str) -> dict:
    errors = template_errors(channel=channel, subject=subject, body=body)
    return {"errors": errors, "subject": render_text(subject, SAMPLE_CONTEXT) if channel == "email" else "",
            "body": render_text(body, SAMPLE_CONTEXT), "chars": len(render_text(body, SAMPLE_CONTEXT))}


@require_POST
@staff_view(Perm.TEMPLATES_MANAGE)
def template_preview(request, template_id: int):
    """Render the unsaved wording with sample values (htmx); unknown placeholders are listed."""
    try:
        tpl = selectors.get_template(template_id)
    except ApplicationError as exc:
        return _error(request, exc)
    preview = _preview(tpl.channel, request.POST.get("subject", ""), request.POST.get("body", ""))
    return render(request, "messaging/_preview.html", {"tpl": tpl, "preview": preview},
                  status=422 if preview["errors"] else 200)


# --- Public endpoints ---------------------------------------------------------------------------

@csrf_exempt  # the signed token is the authority; mail clients POST one-click unsubscribes (RFC 8058)
def unsubscribe(request, token: str):
    """GET shows a button (link scanners must not unsubscribe anyone); POST unsubscribes."""
    try:
        services.unsubscribe_patient_id(token)
    except ApplicationError as exc:
        services.reply_record(channel="email", action="unsubscribe", patient_id=None, ref="", ok=False,
                              result="Tampered or invalid unsubscribe link; nothing changed.", now=timezone.now())
        return render(request, "messaging/unsubscribe.html", {"error": exc}, status=400)
    if request.method == "POST":
        services.email_unsubscribe(token=token, now=timezone.now())
        return render(request, "messaging/unsubscribe.html", {"done": True})
    return render(request, "messaging/unsubscribe.html", {"token": token})


def twilio_signature(url: str, params, token: str) -> str:
    """X-Twilio-Signature: base64 HMAC-SHA1 of the URL followed by each sorted POST key and value."""
    data = url + "".join(k + v for k in sorted(params) for v in params.getlist(k))
    return base64.b64encode(hmac.new(token.encode(), data.encode(), hashlib.sha1).digest()).decode()


def _webhook_allowed(request) -> bool:
    """With PLEXUS_SMS_AUTH_TOKEN set, only correctly signed requests; without it (file provider),
    only in DEBUG or tests."""
    token = os.environ.get("PLEXUS_SMS_AUTH_TOKEN", "")
    if not token:
        return bool(settings.DEBUG or getattr(settings, "TESTING", False))
    expected = twilio_signature(request.build_absolute_uri(), request.POST, token)
    return hmac.compare_digest(expected, request.headers.get("X-Twilio-Signature", ""))


TWIML_EMPTY = '<?xml version="1.0" encoding="UTF-8"?><Response></Response>'


@csrf_exempt
@require_POST
def sms_inbound(request):
    """Twilio-style inbound webhook (From, Body, MessageSid). Answers empty TwiML; the reply is logged."""
    if not _webhook_allowed(request):
        return HttpResponseForbidden("Bad signature.")
    services.sms_inbound(sender=request.POST.get("From", ""), body=request.POST.get("Body", ""),
                         provider_id=request.POST.get("MessageSid", ""), now=timezone.now())
    return HttpResponse(TWIML_EMPTY, content_type="application/xml")


@csrf_exempt
@require_POST
def sms_status(request):
    """Delivery receipts (MessageSid, MessageStatus, ErrorCode): delivered, undelivered (bounced), failed."""
    if not _webhook_allowed(request):
        return HttpResponseForbidden("Bad signature.")
    error = request.POST.get("ErrorCode", "")
    services.message_delivery_update(provider_id=request.POST.get("MessageSid", ""),
                                     provider_status=request.POST.get("MessageStatus", ""),
                                     error=f"provider error {error}" if error else "", now=timezone.now())
    return HttpResponse(status=204)


@staff_view(Perm.MESSAGING_VIEW)
def requests_list(request):
    """Patients who asked to reschedule and are waiting for the front desk, oldest first."""
    rows = list(selectors.open_requests()[:200])
    for r in rows:
        kind, _, ident = r.ref.partition(":")
        r.block_id = int(ident) if kind == "visit_block" and ident.isdigit() else None
    return render(request, "messaging/requests.html", {"rows": rows})


@require_POST
@staff_view(Perm.MESSAGING_SEND)
def request_handled(request, reply_id: int):
    try:
        services.reply_handle(actor=ui_actor(request), reply_id=reply_id, note=request.POST.get("note", ""),
                              now=timezone.now())
    except ApplicationError as exc:
        return _error(request, exc)
    return redirect("messaging:requests")
