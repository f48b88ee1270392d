"""Messaging services: templates, queueing with dedupe, sending with retries and backoff, quiet
hours, opt-outs, the SMS adapter against a real local HTTP server, and crash safety."""

from __future__ import annotations

import base64
import json
from datetime import UTC, datetime, time, timedelta

import pytest
from django.core import mail

from plexus.core.audit import Actor
from plexus.core.errors import ApplicationError
from plexus.messaging import services
from plexus.messaging.channels import FileSms, SendError, TwilioSms, get_sms_provider
from plexus.messaging.defaults import DEFAULTS, ensure_default_templates
from plexus.messaging.models import ContactPreference, Message, MessageTemplate, Status
from plexus.messaging.templating import render, template_errors

from .conftest import NOW

SYSTEM = Actor.system("worker")


def _queue(patient, channel="email", key="k1", kind="reminder", when=NOW, body="Hello {x}", to=None):
    to = to or (patient.email if channel == "email" else patient.phone_mobile)
    item = services.Outgoing(patient_id=patient.pk, channel=channel, kind=kind, language="en", to=to,
                             subject="Your visit" if channel == "email" else "", body=body, dedupe_key=key,
                             next_attempt_at=when, ref="test:1", version="v1")
    return services.messages_enqueue(actor=SYSTEM, items=[item], now=NOW)


# --- templates ------------------------------------------------------------------------------------

def test_defaults_are_shipped_in_english_and_spanish(db):
    assert MessageTemplate.objects.count() == len(DEFAULTS) == 16
    assert set(MessageTemplate.objects.values_list("language", flat=True)) == {"en", "es"}
    for tpl in MessageTemplate.objects.all():
        assert template_errors(channel=tpl.channel, subject=tpl.subject, body=tpl.body) == [], tpl
    assert ensure_default_templates() == 0  # idempotent; edited templates are never overwritten


def test_unknown_placeholder_is_rejected_naming_the_field(db, admin_actor):
    tpl = MessageTemplate.objects.get(kind="reminder", channel="email", language="en")
    before = (tpl.subject, tpl.body)
    with pytest.raises(ApplicationError) as exc:
        services.template_update(actor=admin_actor, template=tpl, subject="Visit {date}",
                                 body="Hi {patient_first_name}, your {diagnosis} visit", now=NOW)
    assert exc.value.status == 422 and exc.value.errors[0].field == "body"
    assert "{diagnosis}" in exc.value.errors[0].message
    tpl.refresh_from_db()
    assert (tpl.subject, tpl.body) == before


def test_minimum_necessary_whitelists_per_field():
    # Components and preparation notes may appear in an email body only.
    assert template_errors(channel="email", subject="S", body="{components} {preparation}") == []
    sms = template_errors(channel="sms", subject="", body="Your {components} visit")
    assert [e.field for e in sms] == ["body"]
    subject = template_errors(channel="email", subject="{components}", body="ok")
    assert [e.field for e in subject] == ["subject"]
    assert [e.field for e in template_errors(channel="sms", subject="Hi", body="x")] == ["subject"]
    assert [e.field for e in template_errors(channel="email", subject="", body="x")] == ["subject"]
    stray = template_errors(channel="sms", subject="", body="Visit {date at {start_time}")
    assert stray and "stray" in stray[0].message


def test_template_update_saves_and_audits(db, admin_actor):
    tpl = MessageTemplate.objects.get(kind="reminder", channel="sms", language="en")
    services.template_update(actor=admin_actor, template=tpl, subject="", body="See you {date}, {patient_first_name}",
                             now=NOW)
    tpl.refresh_from_db()
    assert tpl.body == "See you {date}, {patient_first_name}" and tpl.updated_by == admin_actor.user
    assert render(tpl.body, {"date": "Tuesday", "patient_first_name": "Maria"}) == "See you Tuesday, Maria"


# --- recipients and preferences -------------------------------------------------------------------

def test_recipient_needs_consent_address_and_no_opt_out(maria, patient):
    who = services.recipient(maria)
    assert who.addresses == {"email": "maria@example.com", "sms": "+15035550142"}
    maria.email = "not-an-email"
    maria.consent_sms = False
    who = services.recipient(maria)
    assert who.channels == [] and "Invalid email address" in who.problems["email"]
    assert "No consent" in who.problems["sms"]


def test_preference_update_bad_input_names_field_and_changes_nothing(maria, admin_actor):
    pref = services.preference_for(maria)
    with pytest.raises(ApplicationError) as exc:
        services.preference_update(actor=admin_actor, patient=maria, now=NOW, language="fr", sms_enabled=False)
    assert exc.value.errors[0].field == "language"
    pref.refresh_from_db()
    assert pref.language == "en" and pref.sms_enabled
    with pytest.raises(ApplicationError) as exc:
        services.preference_update(actor=admin_actor, patient=maria, now=NOW, colour="blue")
    assert exc.value.errors[0].field == "colour"


def test_consent_back_on_clears_opt_out(maria, admin_actor):
    pref = services.preference_for(maria)
    pref.sms_opted_out_at, pref.sms_consent = NOW, False
    pref.save()
    services.preference_update(actor=admin_actor, patient=maria, now=NOW, sms_consent=True)
    pref.refresh_from_db()
    assert pref.sms_opted_out_at is None


# --- queueing and sending -------------------------------------------------------------------------

def test_dedupe_key_queues_once(maria):
    assert _queue(maria) == ["k1"]
    assert _queue(maria) == []
    assert Message.objects.filter(dedupe_key="k1").count() == 1


def test_email_is_sent_with_message_id_and_unsubscribe_header(maria):
    _queue(maria)
    report = services.messages_send_due(now=NOW)
    assert report.sent == 1
    msg = Message.objects.get()
    assert msg.status == Status.SENT and msg.sent_at == NOW and msg.attempts == 1
    assert len(mail.outbox) == 1
    sent = mail.outbox[0]
    assert sent.to == ["maria@example.com"] and sent.extra_headers["Message-ID"] == msg.provider_id
    assert sent.extra_headers["List-Unsubscribe"].startswith("<https://clinic.example.org/messaging/unsubscribe/")
    assert services.messages_send_due(now=NOW).sent == 0  # nothing twice


def test_file_sms_provider_writes_to_data_dir(maria, data_dir):
    assert isinstance(get_sms_provider(), FileSms)
    _queue(maria, channel="sms", body="Visit tomorrow")
    services.messages_send_due(now=NOW)
    msg = Message.objects.get()
    out = json.loads((data_dir / "outbox-sms" / f"plexus-{msg.pk}.json").read_text())
    assert out == {"to": "+15035550142", "from": "", "body": "Visit tomorrow", "reference": f"plexus-{msg.pk}"}
    assert msg.provider_id == f"file:plexus-{msg.pk}"


def test_twilio_adapter_real_http_exchange(maria, sms_server):
    assert isinstance(get_sms_provider(), TwilioSms)
    _queue(maria, channel="sms", body="Visit tomorrow at 9")
    report = services.messages_send_due(now=NOW)
    assert report.sent == 1
    [req] = sms_server.requests
    assert req["path"] == "/2010-04-01/Accounts/AC0123456789/Messages.json"
    assert req["headers"]["Authorization"] == "Basic " + base64.b64encode(b"AC0123456789:secret-token").decode()
    assert req["form"] == {"To": "+15035550142", "From": "+15035550199", "Body": "Visit tomorrow at 9"}
    msg = Message.objects.get()
    assert msg.status == Status.SENT and msg.provider_id == "SM" + "0" * 31 + "1"


def test_retries_with_exponential_backoff_then_fail(maria, sms_server, fixed_clock):
    sms_server.answers = [(500, {"message": "Internal"})] * 5
    _queue(maria, channel="sms")
    at = NOW
    for attempt, wait in enumerate([60, 120, 240, 480], start=1):
        services.messages_send_due(now=at)
        msg = Message.objects.get()
        assert (msg.status, msg.attempts) == (Status.QUEUED, attempt)
        assert msg.next_attempt_at == at + timedelta(seconds=wait) and "HTTP 500: Internal" in msg.error
        assert services.messages_send_due(now=at + timedelta(seconds=wait - 1)).sent == 0  # not due yet
        at += timedelta(seconds=wait)
    services.messages_send_due(now=at)
    msg = Message.objects.get()
    assert (msg.status, msg.attempts) == (Status.FAILED, 5) and len(sms_server.requests) == 5


def test_permanent_error_fails_at_once_and_rate_limit_retries(maria, patient, sms_server):
    sms_server.answers = [(400, {"message": "Invalid 'To' Phone Number"}), (429, {"message": "Too many"})]
    _queue(maria, channel="sms", key="a")
    _queue(maria, channel="sms", key="b")
    report = services.messages_send_due(now=NOW)
    assert (report.failed, report.retried) == (1, 1)
    assert Message.objects.get(dedupe_key="a").status == Status.FAILED
    assert "Invalid 'To'" in Message.objects.get(dedupe_key="a").error
    assert Message.objects.get(dedupe_key="b").status == Status.QUEUED


def test_unreachable_provider_is_retried(maria, monkeypatch):
    monkeypatch.setenv("PLEXUS_SMS_URL", "http://127.0.0.1:9/2010-04-01")  # discard port: refused
    _queue(maria, channel="sms")
    assert services.messages_send_due(now=NOW).retried == 1
    assert "unreachable" in Message.objects.get().error


def test_quiet_hours_hold_texts_until_morning_in_patient_time_zone(maria):
    pref = services.preference_for(maria)
    late = datetime(2026, 12, 1, 6, 30, tzinfo=UTC)  # 22:30 in Portland
    assert services.quiet_end(pref, maria.time_zone, late) == datetime(2026, 12, 1, 16, 0, tzinfo=UTC)  # 08:00
    assert services.first_send_time("email", pref, maria.time_zone, late) == late
    maria.time_zone = "America/New_York"  # 01:30 there, still quiet until 08:00 Eastern
    assert services.quiet_end(pref, maria.time_zone, late) == datetime(2026, 12, 1, 13, 0, tzinfo=UTC)
    maria.time_zone = "America/Los_Angeles"
    _queue(maria, channel="sms")  # queued for now, but sent at 22:30: deferred, no attempt used
    report = services.messages_send_due(now=late)
    msg = Message.objects.get()
    assert report.deferred == 1 and msg.status == Status.QUEUED and msg.attempts == 0
    assert msg.next_attempt_at == datetime(2026, 12, 1, 16, 0, tzinfo=UTC)
    assert services.messages_send_due(now=datetime(2026, 12, 1, 16, 0, tzinfo=UTC)).sent == 1


def test_no_quiet_hours_when_start_equals_end(maria):
    pref = services.preference_for(maria)
    pref.quiet_start = pref.quiet_end = time(0)
    assert services.quiet_end(pref, maria.time_zone, datetime(2026, 12, 1, 6, 30, tzinfo=UTC)) is None


def test_opt_out_after_queueing_withdraws_at_send(maria):
    _queue(maria, channel="sms")
    pref = services.preference_for(maria)
    pref.sms_opted_out_at = NOW
    pref.save()
    report = services.messages_send_due(now=NOW)
    msg = Message.objects.get()
    assert report.withdrawn == 1 and msg.status == Status.WITHDRAWN and "Opted out" in msg.error


class Killed(BaseException):
    """The worker process dying (not an Exception: nothing in the send loop may swallow it)."""


class DyingSms:
    name = "dying"

    def __init__(self, die_on: int | None = None):
        self.calls, self.delivered, self.die_on = 0, [], die_on

    def send(self, *, to, body, reference):
        self.calls += 1
        if self.calls == self.die_on:
            raise Killed
        self.delivered.append(reference)
        return f"ok-{reference}"


def test_crash_between_enqueue_and_send_loses_nothing_and_sends_nothing_twice(maria):
    assert _queue(maria, channel="sms") == ["k1"]
    # The worker dies here, before sending. The reconciler runs again: the same key queues nothing.
    assert _queue(maria, channel="sms") == []
    provider = DyingSms()
    assert services.messages_send_due(now=NOW, sms=provider).sent == 1
    assert services.messages_send_due(now=NOW + timedelta(minutes=1), sms=provider).sent == 0
    assert provider.delivered == [f"plexus-{Message.objects.get().pk}"]


def test_crash_in_the_middle_of_a_batch(maria, fixed_clock):
    for key in ("a", "b", "c"):
        _queue(maria, channel="sms", key=key)
    provider = DyingSms(die_on=2)
    with pytest.raises(Killed):
        services.messages_send_due(now=NOW, sms=provider)
    status = dict(Message.objects.values_list("dedupe_key", "status"))
    assert status == {"a": Status.SENT, "b": Status.SENDING, "c": Status.SENDING}
    provider.die_on = None
    # A new worker a minute later: the claims are still leased, nothing is sent twice.
    assert services.messages_send_due(now=NOW + timedelta(minutes=1), sms=provider).sent == 0
    # After the lease the interrupted ones go back to the queue and are sent once.
    later = NOW + timedelta(seconds=services.LEASE_SECONDS + 60)
    report = services.messages_send_due(now=later, sms=provider)
    assert (report.requeued, report.sent) == (2, 2)
    assert sorted(provider.delivered) == sorted(f"plexus-{m.pk}" for m in Message.objects.all())
    assert set(Message.objects.values_list("status", flat=True)) == {Status.SENT}
    assert services.messages_send_due(now=later + timedelta(hours=1), sms=provider).sent == 0


def test_send_error_class_marks_permanence():
    assert SendError("x", permanent=True).permanent and not SendError("x").permanent


# --- inbound --------------------------------------------------------------------------------------

def test_stop_opts_the_number_out_and_withdraws_queued_texts(maria):
    _queue(maria, channel="sms")
    reply = services.sms_inbound(sender="+1 (503) 555-0142", body=" stop ", now=NOW)
    assert reply.ok and reply.action == "opt_out" and reply.patient == maria
    pref = ContactPreference.objects.get(patient=maria)
    assert pref.sms_opted_out_at == NOW
    assert Message.objects.get().status == Status.WITHDRAWN
    assert "sms" not in services.recipient(maria).channels
    services.sms_inbound(sender="+15035550142", body="START", now=NOW)
    pref.refresh_from_db()
    assert pref.sms_opted_out_at is None and services.recipient(maria).channels == ["email", "sms"]


def test_unknown_number_and_unclear_reply_change_nothing(maria):
    reply = services.sms_inbound(sender="+15035550177", body="STOP", now=NOW)
    assert not reply.ok and reply.patient is None and "No patient" in reply.result
    assert not ContactPreference.objects.exists()
    reply = services.sms_inbound(sender="+15035550142", body="what time is it?", now=NOW)
    assert not reply.ok and reply.action == "unknown" and "not understood" in reply.result
    reply = services.sms_inbound(sender="+15035550142", body="C", now=NOW)
    assert not reply.ok and "No recent reminder" in reply.result
    assert services.sms_inbound(sender="garbage", body="X", now=NOW).result.startswith("No patient")


def test_delivery_receipts(maria):
    _queue(maria)
    services.messages_send_due(now=NOW)
    msg = Message.objects.get()
    assert services.message_delivery_update(provider_id=msg.provider_id, provider_status="delivered", now=NOW)
    msg.refresh_from_db()
    assert msg.status == Status.DELIVERED and msg.delivered_at == NOW
    assert services.message_delivery_update(provider_id=msg.provider_id, provider_status="undelivered", now=NOW)
    msg.refresh_from_db()
    assert msg.status == Status.BOUNCED
    assert not services.message_delivery_update(provider_id="nope", provider_status="delivered", now=NOW)


def test_unsubscribe_token_round_trip_and_tampering(maria):
    _queue(maria)
    url = services.unsubscribe_url(maria.pk)
    token = url.rstrip("/").rsplit("/", 1)[1]
    services.email_unsubscribe(token=token, now=NOW)
    assert ContactPreference.objects.get(patient=maria).email_opted_out_at == NOW
    assert Message.objects.get().status == Status.WITHDRAWN
    with pytest.raises(ApplicationError) as exc:
        services.email_unsubscribe(token=token[:-2] + "xx", now=NOW)
    assert exc.value.errors[0].field == "token"
