"""Consolidated visit-block reminders: one message per block per offset listing every component,
updates for moved blocks, cancellation notices, SMS replies C / X, signed links, staff preview and
send now, and the reconciler's idempotence and crash safety."""

from __future__ import annotations

import io
import json
from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.core import mail
from django.core.management import call_command

from plexus.core.models import Location
from plexus.messaging import services as messaging
from plexus.messaging.models import Message, PatientReply, Status
from plexus.scheduling import reminders, services
from plexus.scheduling.models import Appointment, VisitBlock
from plexus.scheduling.reminders import parse_offsets, reconcile_reminders

from .conftest import NOW

SMS_TIME = datetime(2026, 11, 30, 18, tzinfo=UTC)  # 10:00 in Portland, inside the 24 h window of the visit


@pytest.fixture(autouse=True)
def _messaging_env(settings, tmp_path, monkeypatch):
    settings.DATA_DIR = tmp_path
    settings.PLEXUS_PUBLIC_URL = "https://clinic.example.org"
    for name in ("PLEXUS_SMS_URL", "PLEXUS_SMS_AUTH_TOKEN"):
        monkeypatch.delenv(name, raising=False)


@pytest.fixture
def maria(patient):
    patient.consent_email = patient.consent_sms = True
    patient.save()
    return patient


@pytest.fixture
def block(admin_actor, maria, three) -> VisitBlock:
    """Maria's 3-component visit on Tuesday 1 December 09:00 Portland (33 h after NOW)."""
    return services.visit_block_book(actor=admin_actor, patient=maria, components=three)


def _shifted(three, days):
    from dataclasses import replace

    return [replace(p, start=p.start + timedelta(days=days)) for p in three]


def test_parse_offsets():
    offs = parse_offsets("24h:sms, 3d:email")
    assert [(o.label, o.channel) for o in offs] == [("3d", "email"), ("24h", "sms")]
    with pytest.raises(ValueError, match="72x:email"):
        parse_offsets("72x:email")
    with pytest.raises(ValueError):
        parse_offsets("24h:sms,1d:email")


def test_one_email_lists_every_component_and_what_to_prepare(block, prac):
    assert reconcile_reminders(now=NOW) == 1
    msg = Message.objects.get()
    assert (msg.channel, msg.kind, msg.to) == ("email", "reminder", "maria@example.com")
    assert msg.dedupe_key == f"visit_block:{block.pk}:72h:{reminders.fingerprint(list(block.appointments.all()))}"
    assert msg.subject == "Your visit on Tuesday 1 December at 9:00 AM"
    for line in ("9:00 AM-9:30 AM Established visit, moderate complexity with",
                 "9:30 AM-10:00 AM Acupuncture, initial 15 min with", "10:00 AM-11:00 AM Therapeutic massage 60 min with",
                 "Consult 1", "Treatment 1", "Massage A", prac["chen"].last_name, prac["li"].last_name,
                 prac["ortiz"].last_name, "Acupuncture: wear loose", "Massage: arrive", "Physician visit",
                 "https://clinic.example.org/schedule/visit/", "?do=confirm",
                 "Stop these emails: https://clinic.example.org/messaging/unsubscribe/"):
        assert line in msg.body, line
    assert "(99214)" not in msg.body and "locations" not in msg.body
    assert reconcile_reminders(now=NOW) == 0
    assert reconcile_reminders(now=NOW + timedelta(hours=3)) == 0  # still the 72 h window: nothing new


def test_sms_at_24_hours_carries_no_clinical_detail(block):
    reconcile_reminders(now=NOW)
    assert reconcile_reminders(now=SMS_TIME) == 1
    sms = Message.objects.get(channel="sms")
    assert sms.dedupe_key.startswith(f"visit_block:{block.pk}:24h:") and sms.next_attempt_at == SMS_TIME
    assert "Tuesday 1 December at 9:00 AM" in sms.body and "Reply C to confirm, X to cancel" in sms.body
    for clinical in ("Acupuncture", "massage", "Established", "Physician", "Chen"):
        assert clinical.lower() not in sms.body.lower()
    assert reconcile_reminders(now=SMS_TIME + timedelta(hours=1)) == 0


def test_no_stale_window_is_caught_up(block):
    # A reconciler that was down during the 72 h window does not send the 72 h email at 23 h.
    assert reconcile_reminders(now=SMS_TIME) == 1
    assert list(Message.objects.values_list("channel", flat=True)) == ["sms"]


def test_quiet_hours_hold_the_text_until_morning(block):
    assert reconcile_reminders(now=NOW, offsets=parse_offsets("36h:sms")) == 1  # NOW is midnight in Portland
    assert Message.objects.get().next_attempt_at == datetime(2026, 11, 30, 16, tzinfo=UTC)  # 08:00 local
    assert messaging.messages_send_due(now=NOW).sent == 0


def test_moved_block_gets_an_updated_message_once(block, admin_actor, three):
    reconcile_reminders(now=NOW)
    messaging.messages_send_due(now=NOW)
    services.visit_block_move(actor=admin_actor, block=block, components=_shifted(three, 1), now=NOW)
    assert reconcile_reminders(now=NOW) == 1
    updated = Message.objects.get(kind="updated")
    assert "has changed" in updated.body and "Wednesday 2 December" in updated.subject
    assert reconcile_reminders(now=NOW) == 0


def test_moved_far_ahead_gets_updated_now_and_reminder_later(block, admin_actor, three):
    reconcile_reminders(now=NOW)
    messaging.messages_send_due(now=NOW)
    services.visit_block_move(actor=admin_actor, block=block, components=_shifted(three, 7), now=NOW)
    assert reconcile_reminders(now=NOW) == 1
    assert Message.objects.filter(kind="updated", dedupe_key__contains=":updated:").count() == 1
    assert reconcile_reminders(now=datetime(2026, 12, 5, 18, tzinfo=UTC)) == 1  # 72 h before 8 December
    assert Message.objects.filter(kind="reminder").count() == 2


def test_change_before_sending_withdraws_the_stale_one(block, admin_actor, three):
    reconcile_reminders(now=NOW)
    services.visit_block_move(actor=admin_actor, block=block, components=_shifted(three, 1), now=NOW)
    assert reconcile_reminders(now=NOW) == 1
    assert set(Message.objects.values_list("status", "kind")) == {(Status.WITHDRAWN, "reminder"),
                                                                 (Status.QUEUED, "reminder")}


def test_cancelled_block_gets_one_cancellation_notice(block, admin_actor):
    reconcile_reminders(now=NOW)
    messaging.messages_send_due(now=NOW)
    services.visit_block_cancel(actor=admin_actor, block=block, reason="Patient called", now=NOW)
    assert reconcile_reminders(now=NOW) == 1
    notice = Message.objects.get(kind="cancelled")
    assert notice.subject == "Your visit on Tuesday 1 December is cancelled"
    assert reconcile_reminders(now=NOW + timedelta(minutes=1)) == 0


def test_components_at_two_locations_are_called_out(block):
    other = Location.objects.exclude(pk=block.location_id).first()
    Appointment.objects.filter(block=block, position=2).update(location=other)
    reconcile_reminders(now=NOW)
    reconcile_reminders(now=SMS_TIME)
    email, sms = Message.objects.get(channel="email"), Message.objects.get(channel="sms")
    # Each component's time is given in its own location's zone (Boulder is on Mountain time).
    assert f"this visit is at 2 locations: {block.location.name} (9:00 AM), {other.name} (11:00 AM)" in email.body
    assert f"Massage A, {other.name}" in email.body
    assert other.name in sms.body


def test_spanish_patient_gets_spanish(block, maria):
    maria.preferred_language = "es"
    maria.save()
    reconcile_reminders(now=NOW)
    msg = Message.objects.get()
    assert msg.language == "es" and msg.subject == "Su cita el martes 1 de diciembre a las 9:00"
    assert "Acupuntura: use ropa holgada" in msg.body and " con " in msg.body


def test_no_consent_means_no_message_and_preview_says_why(block, maria, client_for):
    maria.consent_email = maria.consent_sms = False
    maria.save()
    assert reconcile_reminders(now=NOW) == 0
    drafts = reminders.VisitBlockComposer().preview(reminders.block_ref(block.pk), now=NOW)
    assert {d.channel: d.problem for d in drafts} == {"email": "No consent to emails on file.",
                                                      "sms": "No consent to text messages on file."}
    resp = client_for("front_desk").post(f"/schedule/blocks/{block.pk}/reminders/send/")
    assert resp.status_code == 409 and b"cannot be reached" in resp.content
    assert not Message.objects.exists()


def test_sms_offset_falls_back_to_email(block, maria):
    maria.consent_sms = False
    maria.save()
    assert reconcile_reminders(now=SMS_TIME) == 1
    assert Message.objects.get().channel == "email"


def _sms_reminder_sent(block):
    reconcile_reminders(now=SMS_TIME)
    messaging.messages_send_due(now=SMS_TIME)
    assert Message.objects.get(channel="sms").status == Status.SENT


def test_reply_c_confirms_every_component(block):
    _sms_reminder_sent(block)
    reply = messaging.sms_inbound(sender="+15035550142", body="c", now=SMS_TIME)
    assert reply.ok and reply.ref == f"visit_block:{block.pk}", reply.result
    block.refresh_from_db()
    assert block.status == "confirmed"
    assert set(block.appointments.values_list("status", flat=True)) == {"confirmed"}
    assert Message.objects.filter(kind="confirmation", channel="sms").count() == 1
    assert "already confirmed" in messaging.sms_inbound(sender="+15035550142", body="C", now=SMS_TIME).result


def test_reply_x_cancels_the_block_as_a_late_cancel(block):
    _sms_reminder_sent(block)
    reply = messaging.sms_inbound(sender="+15035550142", body="X", now=SMS_TIME)
    assert reply.ok and "late cancellation" in reply.result
    block.refresh_from_db()
    assert block.status == "cancelled" and block.late_cancel
    assert reconcile_reminders(now=SMS_TIME) == 1
    assert Message.objects.filter(kind="cancelled").count() == 1


def test_reply_from_unknown_number_changes_nothing(block):
    _sms_reminder_sent(block)
    reply = messaging.sms_inbound(sender="+15035550177", body="X", now=SMS_TIME)
    assert not reply.ok and PatientReply.objects.filter(pk=reply.pk).exists()
    block.refresh_from_db()
    assert block.status == "booked"


def test_signed_link_page_confirms_and_cancels(block, client):
    token = reminders.sign_link(block)
    resp = client.get(f"/schedule/visit/{token}/?do=cancel")
    assert resp.status_code == 200 and b"Cancel your visit?" in resp.content and b"late-notice" not in resp.content
    block.refresh_from_db()
    assert block.status == "booked"  # opening the link changes nothing
    resp = client.post(f"/schedule/visit/{token}/", {"action": "confirm"})
    assert resp.status_code == 200 and b"Confirmed every part" in resp.content
    block.refresh_from_db()
    assert block.status == "confirmed"
    resp = client.post(f"/schedule/visit/{token}/", {"action": "reschedule"})
    assert b"front desk will contact" in resp.content
    with time_machine.travel(SMS_TIME, tick=False):
        assert b"late-notice" in client.get(f"/schedule/visit/{token}/?do=cancel").content
        resp = client.post(f"/schedule/visit/{token}/", {"action": "cancel"})
    assert b"late cancellation" in resp.content
    block.refresh_from_db()
    assert block.status == "cancelled" and block.late_cancel
    assert list(PatientReply.objects.order_by("id").values_list("action", "ok")) == [
        ("confirm", True), ("reschedule", True), ("cancel", True)]


def test_expired_or_tampered_link_changes_nothing_and_is_recorded(block, client):
    with time_machine.travel(NOW - timedelta(days=15), tick=False):
        old = reminders.sign_link(block)
    resp = client.post(f"/schedule/visit/{old}/", {"action": "cancel"})
    assert resp.status_code == 422 and b"expired" in resp.content
    resp = client.get(f"/schedule/visit/{reminders.sign_link(block)}x/")
    assert resp.status_code == 422 and b"not valid" in resp.content
    resp = client.post(f"/schedule/visit/{reminders.sign_link(block)}/", {"action": "delete"})
    assert resp.status_code == 422
    block.refresh_from_db()
    assert block.status == "booked"
    assert PatientReply.objects.filter(ok=False).count() == 2


def test_staff_preview_and_send_now(block, client_for):
    client = client_for("front_desk")
    page = client.get(f"/schedule/blocks/{block.pk}/")
    assert b"block-reminders-slot" in page.content
    resp = client.get(f"/schedule/blocks/{block.pk}/reminders/")
    assert resp.status_code == 200 and b"Send now" in resp.content and b"will be sent" in resp.content
    resp = client.post(f"/schedule/blocks/{block.pk}/reminders/send/")
    assert resp.status_code == 200 and b"reminder-sent" in resp.content
    msg = Message.objects.get()
    assert msg.status == Status.SENT and msg.created_by.username == "u_front_desk" and len(mail.outbox) == 1
    assert msg.dedupe_key.startswith(f"visit_block:{block.pk}:manual:")


@pytest.mark.parametrize(("role", "method", "path", "status"), [
    ("practitioner", "get", "reminders/", 403), ("billing", "get", "reminders/", 403),
    ("billing", "post", "reminders/send/", 403), ("practitioner", "post", "reminders/send/", 403),
    ("virtual_assistant", "get", "reminders/", 200), ("admin", "post", "reminders/send/", 200),
])
def test_reminder_views_permissions(block, client_for, role, method, path, status):
    resp = getattr(client_for(role), method)(f"/schedule/blocks/{block.pk}/{path}")
    assert resp.status_code == status
    if status == 403:
        assert not Message.objects.exists()
    assert b"block-reminders-slot" not in client_for("practitioner").get(f"/schedule/blocks/{block.pk}/").content


def test_api_preview_and_send_now(block, client_for):
    client = client_for("virtual_assistant")
    ref = f"visit_block:{block.pk}"
    drafts = client.get(f"/api/messaging/preview?ref={ref}").json()
    assert [d["channel"] for d in drafts] == ["email", "sms"] and drafts[0]["label"] == "will be sent"
    resp = client.post("/api/messaging/send-now", json.dumps({"ref": ref}), content_type="application/json")
    assert resp.status_code == 201 and resp.json()[0]["status"] == "sent"
    bad = client.post("/api/messaging/send-now", json.dumps({"ref": "visit_block:abc"}),
                      content_type="application/json")
    assert bad.status_code == 422 and bad.json()["errors"][0]["field"] == "ref"
    assert client.get("/api/messaging/preview?ref=visit_block:999999").status_code == 404
    assert client.get("/api/messaging/preview?ref=nothing:1").status_code == 404
    denied = client_for("practitioner").post("/api/messaging/send-now", json.dumps({"ref": ref}),
                                             content_type="application/json")
    assert denied.status_code == 403 and Message.objects.count() == 1


def test_reconcile_command(block):
    out = io.StringIO()
    call_command("reconcile", "reminders", stdout=out)
    assert out.getvalue().strip() == "reminders: 1 created"


def test_worker_crash_between_reconcile_and_send(block):
    assert reconcile_reminders(now=NOW) == 1
    # The worker dies before sending; a new one reconciles again and then sends.
    assert reconcile_reminders(now=NOW + timedelta(minutes=1)) == 0
    assert messaging.messages_send_due(now=NOW + timedelta(minutes=1)).sent == 1
    assert reconcile_reminders(now=NOW + timedelta(minutes=2)) == 0
    assert messaging.messages_send_due(now=NOW + timedelta(minutes=2)).sent == 0
    assert len(mail.outbox) == 1
