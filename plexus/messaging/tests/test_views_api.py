"""Messaging over HTTP: staff screens, API, public webhooks and links, and every route against
every role (allowed where the matrix grants the permission, 403 otherwise)."""

from __future__ import annotations

import json
from datetime import date

import pytest

from plexus.core.models import AuditEvent, Role
from plexus.core.permissions import Perm, role_has
from plexus.messaging import registry, services
from plexus.messaging.models import ContactPreference, Message, MessageTemplate, PatientReply, Status
from plexus.messaging.views import twilio_signature
from plexus.testing.matrix import api_routes_tagged, send

from .conftest import NOW


def _queue(patient, key="k1", channel="email", status=None):
    item = services.Outgoing(patient_id=patient.pk, channel=channel, kind="reminder", language="en",
                             to=patient.email if channel == "email" else patient.phone_mobile,
                             subject="Your visit on Tuesday" if channel == "email" else "", body="Hello",
                             dedupe_key=key, next_attempt_at=NOW, ref="test:1")
    services.messages_enqueue(actor=services.Actor.system("worker"), items=[item], now=NOW)
    msg = Message.objects.get(dedupe_key=key)
    if status:
        Message.objects.filter(pk=msg.pk).update(status=status)
    return msg


class _TestComposer:
    """Stands in for a higher layer's composer (messaging may not import scheduling)."""

    patient = 0

    def patient_id(self, ref):
        return self.patient

    def preview(self, ref, *, now):
        return [registry.Draft(channel="email", kind="reminder", language="en", to="a@example.com", subject="S",
                               body="B")]

    def send_now(self, ref, *, actor, now):
        return list(Message.objects.values_list("pk", flat=True)[:1])


@pytest.fixture
def ctx(maria):
    msg = _queue(maria)
    composer = _TestComposer()
    composer.patient = maria.pk
    registry.register_composer("test", composer)
    asked = PatientReply.objects.create(channel="web", patient=maria, action="reschedule", ok=True,
                                        ref="visit_block:4242", result="Asked to reschedule")
    return {"patient": maria.pk, "message": msg.pk, "request": asked.pk, "template": MessageTemplate.objects.get(
        kind="reminder", channel="sms", language="en").pk}


def test_reschedule_requests_listed_and_handled_once(client_for, ctx, maria):
    desk = client_for("front_desk")
    PatientReply.objects.create(channel="sms", patient=maria, action="confirm", ok=True, ref="visit_block:1")
    items = desk.get("/api/messaging/requests").json()["items"]
    assert [(i["id"], i["visit_block_id"]) for i in items] == [(ctx["request"], 4242)]
    page = desk.get("/messaging/requests/")
    assert b"/schedule/blocks/4242/reschedule/" in page.content and b"Maria Lopez" in page.content
    assert b"1 asked to reschedule" in desk.get("/messaging/").content
    r = desk.post(f"/api/messaging/requests/{ctx['request']}/handled", data=json.dumps({"note": "Moved to Fri"}),
                  content_type="application/json")
    assert r.status_code == 200 and r.json()["handled_note"] == "Moved to Fri"
    again = desk.post(f"/api/messaging/requests/{ctx['request']}/handled", data="{}", content_type="application/json")
    assert again.status_code == 409
    confirm = PatientReply.objects.get(action="confirm")
    bad = desk.post(f"/api/messaging/requests/{confirm.pk}/handled", data="{}", content_type="application/json")
    assert bad.status_code == 422 and bad.json()["errors"][0]["field"] == "reply_id"
    assert PatientReply.objects.get(action="confirm").handled_at is None
    assert desk.get("/api/messaging/requests").json()["items"] == []
    assert b"No one is waiting" in desk.get("/messaging/requests/").content


API_ROUTES = [
    ("get", "/api/messaging/messages", Perm.MESSAGING_VIEW, None),
    ("get", "/api/messaging/messages/{message}", Perm.MESSAGING_VIEW, None),
    ("get", "/api/messaging/replies", Perm.MESSAGING_VIEW, None),
    ("get", "/api/messaging/templates", Perm.TEMPLATES_MANAGE, None),
    ("put", "/api/messaging/templates/{template}", Perm.TEMPLATES_MANAGE, {"body": "Visit {date}"}),
    ("post", "/api/messaging/templates/preview", Perm.TEMPLATES_MANAGE, {"channel": "sms", "body": "{date}"}),
    ("get", "/api/messaging/preview?ref=test:1", Perm.MESSAGING_VIEW, None),
    ("post", "/api/messaging/send-now", Perm.MESSAGING_SEND, {"ref": "test:1"}),
    ("get", "/api/messaging/requests", Perm.MESSAGING_VIEW, None),
    ("post", "/api/messaging/requests/{request}/handled", Perm.MESSAGING_SEND, {"note": "rebooked"}),
    ("get", "/api/messaging/patients/{patient}/preferences", Perm.PATIENT_VIEW, None),
    ("patch", "/api/messaging/patients/{patient}/preferences", Perm.PATIENT_EDIT, {"language": "es"}),
]
VIEW_ROUTES = [
    ("get", "/messaging/", Perm.MESSAGING_VIEW, None),
    ("get", "/messaging/?status=queued&channel=email", Perm.MESSAGING_VIEW, None),
    ("get", "/messaging/{message}/", Perm.MESSAGING_VIEW, None),
    ("get", "/messaging/patients/{patient}/", Perm.MESSAGING_VIEW, None),
    ("post", "/messaging/patients/{patient}/preferences/", Perm.PATIENT_EDIT, {}),
    ("get", "/messaging/requests/", Perm.MESSAGING_VIEW, None),
    ("post", "/messaging/requests/{request}/handled/", Perm.MESSAGING_SEND, {}),
    ("get", "/messaging/templates/", Perm.TEMPLATES_MANAGE, None),
    ("get", "/messaging/templates/{template}/", Perm.TEMPLATES_MANAGE, None),
    ("post", "/messaging/templates/{template}/", Perm.TEMPLATES_MANAGE, {"body": "x {date}"}),
    ("post", "/messaging/templates/{template}/preview/", Perm.TEMPLATES_MANAGE, {"body": "{date}"}),
]


@pytest.mark.parametrize("role", Role.values)
@pytest.mark.parametrize(("method", "url", "perm", "body"), API_ROUTES, ids=[f"{m} {u}" for m, u, _, _ in API_ROUTES])
def test_api_role_matrix(client_for, ctx, role, method, url, perm, body):
    resp = send(client_for(role), method, url.format(**ctx), body, api=True)
    if role_has(role, perm):
        assert resp.status_code < 400, (resp.status_code, resp.content[:300])
    else:
        assert resp.status_code == 403 and resp["Content-Type"] == "application/problem+json"


@pytest.mark.parametrize("role", Role.values)
@pytest.mark.parametrize(("method", "url", "perm", "body"), VIEW_ROUTES, ids=[f"{m} {u}" for m, u, _, _ in VIEW_ROUTES])
def test_view_role_matrix(client_for, ctx, role, method, url, perm, body):
    resp = send(client_for(role), method, url.format(**ctx), body, api=False)
    if role_has(role, perm):
        assert resp.status_code in (200, 302, 422), resp.status_code
    else:
        assert resp.status_code == 403


def test_anonymous(client, ctx):
    assert client.get("/api/messaging/messages").status_code == 401
    resp = client.get("/messaging/")
    assert resp.status_code == 302 and resp["Location"].startswith("/login/")


def test_every_messaging_route_is_listed():
    names = {"{message}": "{message_id}", "{template}": "{template_id}", "{patient}": "{patient_id}",
             "{request}": "{reply_id}"}
    listed = set()
    for m, u, _, _ in API_ROUTES:
        path = u.split("?")[0]
        for short, long in names.items():
            path = path.replace(short, long)
        listed.add((m.upper(), path))
    for method, path in api_routes_tagged({"messaging"}):
        assert (method, path) in listed, f"{method} {path} missing"


def test_log_filters_and_htmx_rows(client_for, maria, patient):
    _queue(maria, "a")
    _queue(maria, "b", channel="sms", status=Status.FAILED)
    client = client_for("front_desk")
    page = client.get("/messaging/")
    assert page.status_code == 200 and page.content.count(b"data-message=") == 2
    rows = client.get("/messaging/?status=failed", headers={"HX-Request": "true"})
    assert rows.content.count(b"data-message=") == 1 and b"<html" not in rows.content
    assert client.get("/messaging/?channel=email&kind=reminder").content.count(b"data-message=") == 1
    today = NOW.date().isoformat()
    assert client.get(f"/messaging/?date_from={today}&date_to={today}").content.count(b"data-message=") == 2
    assert client.get("/messaging/?date_from=2026-12-01").content.count(b"data-message=") == 0
    bad = client.get("/messaging/?date_from=2026-12-02&date_to=2026-12-01")
    assert bad.status_code == 422 and b"before the start date" in bad.content
    assert AuditEvent.objects.filter(object_type="message.log").exists()


def test_patient_log_and_preferences(client_for, maria):
    _queue(maria)
    client = client_for("front_desk")
    page = client.get(f"/messaging/patients/{maria.pk}/")
    assert page.status_code == 200 and b"maria@example.com" in page.content and b"Your visit on Tuesday" in page.content
    resp = client.post(f"/messaging/patients/{maria.pk}/preferences/",
                       {"email_enabled": "on", "sms_enabled": "on", "email_consent": "on", "sms_consent": "on",
                        "language": "xx", "quiet_start": "21:00", "quiet_end": "08:00"})
    assert resp.status_code == 422 and b'data-field="language"' in resp.content
    assert ContactPreference.objects.get(patient=maria).language == "en"
    resp = client.post(f"/messaging/patients/{maria.pk}/preferences/",
                       {"email_enabled": "on", "email_consent": "on", "sms_consent": "on", "language": "es",
                        "quiet_start": "20:00", "quiet_end": "09:00"})
    assert resp.status_code == 302
    pref = ContactPreference.objects.get(patient=maria)
    assert (pref.language, pref.sms_enabled, str(pref.quiet_start)) == ("es", False, "20:00:00")
    assert client.get("/messaging/patients/999999/").status_code == 404


def test_template_editor_saves_previews_and_refuses_unknown_placeholders(client_for):
    tpl = MessageTemplate.objects.get(kind="reminder", channel="email", language="en")
    client = client_for("admin")
    page = client.get(f"/messaging/templates/{tpl.pk}/")
    assert page.status_code == 200 and b"Preview with sample values" in page.content and b"Maria" in page.content
    preview = client.post(f"/messaging/templates/{tpl.pk}/preview/", {"subject": "Hi {patient_first_name}",
                                                                    "body": "On {date}: {diagnosis}"})
    assert preview.status_code == 422 and b"{diagnosis}" in preview.content and b"Tuesday 1 December" in preview.content
    bad = client.post(f"/messaging/templates/{tpl.pk}/", {"subject": "{components}", "body": "On {date}"})
    assert bad.status_code == 422 and b'data-field="subject"' in bad.content
    tpl.refresh_from_db()
    assert "{components}" not in tpl.subject
    ok = client.post(f"/messaging/templates/{tpl.pk}/", {"subject": "Visit {date}", "body": "See you {date}"})
    assert ok.status_code == 200 and b"template-saved" in ok.content
    tpl.refresh_from_db()
    assert (tpl.subject, tpl.body) == ("Visit {date}", "See you {date}")
    assert client.get("/messaging/templates/").status_code == 200


def test_api_log_and_bad_filters(client_for, maria):
    _queue(maria, "a")
    _queue(maria, "b", channel="sms")
    client = client_for("virtual_assistant")
    page = client.get("/api/messaging/messages?channel=sms").json()
    assert page["count"] == 1 and page["items"][0]["to"] == "+15035550142"
    assert client.get(f"/api/messaging/messages?patient_id={maria.pk}&limit=1").json()["count"] == 2
    bad = client.get("/api/messaging/messages?status=lost")
    assert bad.status_code == 422 and bad.json()["errors"][0]["field"] == "status"
    bad = client.get("/api/messaging/messages?date_from=2026-12-02&date_to=2026-12-01")
    assert bad.json()["errors"][0]["field"] == "date_to"
    assert client.get("/api/messaging/messages/999999").status_code == 404


def test_api_templates(client_for):
    tpl = MessageTemplate.objects.get(kind="reminder", channel="sms", language="es")
    client = client_for("admin")
    assert len(client.get("/api/messaging/templates").json()) == 16
    bad = client.put(f"/api/messaging/templates/{tpl.pk}", json.dumps({"body": "Cita {date} {diagnosis}"}),
                     content_type="application/json")
    assert bad.status_code == 422 and bad.json()["errors"][0]["field"] == "body"
    tpl.refresh_from_db()
    assert "{diagnosis}" not in tpl.body
    preview = client.post("/api/messaging/templates/preview",
                          json.dumps({"channel": "email", "subject": "{date}", "body": "{components}"}),
                          content_type="application/json")
    assert preview.json()["subject"] == "Tuesday 1 December" and "Acupuncture" in preview.json()["body"]
    bad = client.post("/api/messaging/templates/preview", json.dumps({"channel": "fax", "body": "x"}),
                      content_type="application/json")
    assert bad.json()["errors"][0]["field"] == "channel"


def test_api_preferences(client_for, maria):
    client = client_for("front_desk")
    pref = client.get(f"/api/messaging/patients/{maria.pk}/preferences").json()
    assert pref["usable_channels"] == ["email", "sms"] and pref["quiet_start"] == "21:00:00"
    bad = client.patch(f"/api/messaging/patients/{maria.pk}/preferences", json.dumps({"quiet_end": "8 o'clock"}),
                       content_type="application/json")
    assert bad.status_code == 422 and bad.json()["errors"][0]["field"] == "quiet_end"
    ok = client.patch(f"/api/messaging/patients/{maria.pk}/preferences", json.dumps({"sms_enabled": False}),
                      content_type="application/json").json()
    assert ok["usable_channels"] == ["email"] and "turned off" in ok["problems"]["sms"]


def test_sms_webhook_stop_and_unknown(client, maria):
    _queue(maria, channel="sms")
    resp = client.post("/messaging/sms/inbound/", {"From": "+15035550142", "Body": "STOP", "MessageSid": "SM1"})
    assert resp.status_code == 200 and resp["Content-Type"] == "application/xml"
    assert ContactPreference.objects.get(patient=maria).sms_opted_out_at == NOW
    assert Message.objects.get().status == Status.WITHDRAWN
    client.post("/messaging/sms/inbound/", {"From": "+19995550100", "Body": "X"})
    reply = PatientReply.objects.order_by("-id").first()
    assert not reply.ok and reply.patient is None and reply.sender == "+19995550100"


def test_sms_webhook_signature_when_configured(client, maria, monkeypatch):
    monkeypatch.setenv("PLEXUS_SMS_AUTH_TOKEN", "tok")
    form = {"From": "+15035550142", "Body": "STOP", "MessageSid": "SM9"}
    assert client.post("/messaging/sms/inbound/", form).status_code == 403
    assert client.post("/messaging/sms/inbound/", form, headers={"X-Twilio-Signature": "forged"}).status_code == 403
    assert not PatientReply.objects.exists()

    class Params(dict):
        def getlist(self, key):
            return [self[key]]

    sig = twilio_signature("http://testserver/messaging/sms/inbound/", Params(form), "tok")
    assert client.post("/messaging/sms/inbound/", form, headers={"X-Twilio-Signature": sig}).status_code == 200
    assert PatientReply.objects.get().ok


def test_sms_webhook_refused_in_production_without_a_token(client, settings, maria):
    settings.DEBUG, settings.TESTING = False, False
    assert client.post("/messaging/sms/inbound/", {"From": "+15035550142", "Body": "STOP"}).status_code == 403


def test_delivery_status_webhook(client, maria):
    msg = _queue(maria, channel="sms")
    services.messages_send_due(now=NOW)
    msg.refresh_from_db()
    resp = client.post("/messaging/sms/status/", {"MessageSid": msg.provider_id, "MessageStatus": "undelivered",
                                                  "ErrorCode": "30003"})
    assert resp.status_code == 204
    msg.refresh_from_db()
    assert msg.status == Status.BOUNCED and "30003" in msg.error


def test_unsubscribe_link(client, maria):
    url = services.unsubscribe_url(maria.pk).replace("https://clinic.example.org", "")
    page = client.get(url)
    assert page.status_code == 200 and b"unsubscribe-button" in page.content
    assert not ContactPreference.objects.filter(email_opted_out_at__isnull=False).exists()  # GET changes nothing
    done = client.post(url)
    assert done.status_code == 200 and b"You are unsubscribed" in done.content
    assert ContactPreference.objects.get(patient=maria).email_opted_out_at == NOW
    tampered = client.post(url.rstrip("/") + "x/")
    assert tampered.status_code == 400 and b"does not work" in tampered.content
    assert PatientReply.objects.filter(ok=False, action="unsubscribe").count() == 1
    assert date(2026, 11, 30) == NOW.date()
