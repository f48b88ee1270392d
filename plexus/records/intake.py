"""Intake packets: the forms a new patient fills before the first visit.

The forms follow the disciplines of the patient's booked visit blocks (a questionnaire applies to
the disciplines listed on it). The ``intake`` reconciler (every few minutes in the worker;
``manage.py reconcile intake``):

1. creates and sends a packet for each new patient (no completed visit yet) whose first booked
   visit is within ``PLEXUS_INTAKE_SEND_DAYS`` (7) days, with a signed portal link;
2. adds forms to an open packet when visits of new disciplines are booked;
3. follows up on incomplete packets every ``PLEXUS_INTAKE_FOLLOWUP_HOURS`` (24), at most
   ``PLEXUS_INTAKE_MAX_FOLLOWUPS`` (3) times, while the visit is ahead;
4. flags packets still incomplete 24 hours before the visit (shown on the intake board and the
   practitioner's day list until the work queue exists).

Messages carry no clinical content: the practice, the visit date and the link.
"""

from __future__ import annotations

import os
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from django.conf import settings
from django.core import signing
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.urls import reverse

from plexus.core.audit import Actor, record
from plexus.core.errors import ApplicationError, ErrorCode
from plexus.core.models import AuditAction, Practice
from plexus.messaging import services as messaging
from plexus.messaging.models import Channel, Kind
from plexus.patients.models import Patient
from plexus.records.models import (
    IntakePacket,
    PacketForm,
    PacketStatus,
    Questionnaire,
    QuestionnaireStatus,
    ResponseStatus,
)
from plexus.scheduling.models import ACTIVE_VALUES, Appointment, Status

SALT = "plexus.records.portal"
# Every new patient answers these whatever they booked (their history is the whole person).
EVERY_NEW_PATIENT = ("general-health-history",)


def _env_int(name: str, default: int) -> int:
    try:
        return int(os.environ.get(name, default))
    except ValueError:
        return default


SEND_DAYS = _env_int("PLEXUS_INTAKE_SEND_DAYS", 7)
FOLLOWUP_HOURS = _env_int("PLEXUS_INTAKE_FOLLOWUP_HOURS", 24)
MAX_FOLLOWUPS = _env_int("PLEXUS_INTAKE_MAX_FOLLOWUPS", 3)
LINK_DAYS = _env_int("PLEXUS_INTAKE_LINK_DAYS", 14)
FLAG_HOURS = 24

TEXT = {
    "en": ("Your intake forms",
           "{practice}: before your first visit on {date}, please fill in your intake forms (about 20 minutes; "
           "you can stop and come back): {link}",
           "{practice}: a reminder to finish your intake forms before your visit on {date}: {link}"),
    "es": ("Sus formularios de ingreso",
           "{practice}: antes de su primera visita el {date}, complete sus formularios de ingreso (unos 20 minutos; "
           "puede pausar y volver): {link}",
           "{practice}: recuerde terminar sus formularios de ingreso antes de su visita del {date}: {link}"),
}


# ----- which forms ------------------------------------------------------------------------------


def active_forms() -> dict[str, Questionnaire]:
    """The newest active version of each questionnaire, by slug."""
    out: dict[str, Questionnaire] = {}
    for q in Questionnaire.objects.filter(status=QuestionnaireStatus.ACTIVE).order_by("slug", "-published_at", "-pk"):
        out.setdefault(q.slug, q)
    return out


def forms_for(disciplines: set[str]) -> list[tuple[Questionnaire, str]]:
    """(questionnaire, reason) for a new patient booked with these discipline codes, in a stable
    order: the forms for everyone first, then by title."""
    forms = active_forms()
    picked: dict[str, tuple[Questionnaire, str]] = {}
    for slug in EVERY_NEW_PATIENT:
        if slug in forms:
            picked[slug] = (forms[slug], "every new patient")
    for slug, q in sorted(forms.items(), key=lambda kv: kv[1].title):
        hit = sorted(set(q.disciplines or []) & disciplines)
        if slug not in picked and hit:
            picked[slug] = (q, ", ".join(hit))
    return list(picked.values())


def upcoming(patient_id: int, now: datetime) -> list[Appointment]:
    return list(Appointment.objects.filter(patient_id=patient_id, status__in=ACTIVE_VALUES, start__gte=now)
                .exclude(status=Status.COMPLETED).select_related("practitioner__discipline").order_by("start"))


def is_new_patient(patient_id: int) -> bool:
    return not Appointment.objects.filter(patient_id=patient_id, status=Status.COMPLETED).exists()


# ----- packets ----------------------------------------------------------------------------------


def open_packet(patient_id: int) -> IntakePacket | None:
    return IntakePacket.objects.filter(patient_id=patient_id).exclude(status=PacketStatus.COMPLETE).first()


def _add_forms(packet: IntakePacket, disciplines: set[str]) -> int:
    have = set(packet.forms.values_list("questionnaire__slug", flat=True))
    position = packet.forms.count()
    added = 0
    for q, reason in forms_for(disciplines):
        if q.slug in have:
            continue
        PacketForm.objects.create(packet=packet, questionnaire=q, position=position, reason=reason[:100])
        position += 1
        added += 1
    return added


@transaction.atomic
def packet_prepare(*, patient: Patient, now: datetime, actor: Actor | None = None) -> IntakePacket | None:
    """Create the patient's packet (or extend the open one) from their upcoming visits. None when
    the patient has no upcoming visit. Forms already in the packet stay."""
    appts = upcoming(patient.pk, now)
    if not appts:
        return None
    disciplines = {a.practitioner.discipline.code for a in appts}
    packet = open_packet(patient.pk)
    if packet is None:
        try:
            with transaction.atomic():
                packet = IntakePacket.objects.create(patient=patient, first_visit_at=appts[0].start,
                                                     first_block_id=appts[0].block_id, created_at=now)
        except IntegrityError:
            packet = open_packet(patient.pk)
    added = _add_forms(packet, disciplines)
    if added and packet.status == PacketStatus.COMPLETE:
        packet.status = PacketStatus.IN_PROGRESS
    if appts[0].start < packet.first_visit_at or packet.first_visit_at < now:
        packet.first_visit_at, packet.first_block_id = appts[0].start, appts[0].block_id
    packet.save()
    if added:
        record(actor or Actor.system("worker"), AuditAction.CREATE, "intake_packet", packet.pk, patient_id=patient.pk,
               detail=f"{added} forms")
    return packet


def token_for(packet: IntakePacket) -> str:
    return signing.dumps({"k": packet.pk, "v": packet.link_version}, salt=SALT)


def portal_url(packet: IntakePacket) -> str:
    return settings.PLEXUS_PUBLIC_URL.rstrip("/") + reverse("records:portal", args=[token_for(packet)])


def packet_from_token(token: str) -> IntakePacket:
    """The packet a portal link points to. 404 for a tampered link; 409 (shown as "expired") for
    an expired or revoked one."""
    try:
        data = signing.loads(token, salt=SALT, max_age=LINK_DAYS * 86400)
    except signing.SignatureExpired:
        raise ApplicationError(ErrorCode.CONFLICT, "This link has expired. Call the clinic for a new one.") from None
    except signing.BadSignature:
        raise ApplicationError(ErrorCode.NOT_FOUND, "This link is not valid. Check that you copied all of it.") from None
    packet = IntakePacket.objects.filter(pk=data.get("k")).select_related("patient").first()
    if packet is None:
        raise ApplicationError(ErrorCode.NOT_FOUND, "This link is not valid. Check that you copied all of it.")
    if data.get("v") != packet.link_version:
        raise ApplicationError(ErrorCode.CONFLICT, "This link was replaced by a newer one. Use the latest message "
                                                   "from the clinic.")
    return packet


def _send(packet: IntakePacket, *, followup: bool, now: datetime, actor: Actor) -> bool:
    patient = packet.patient
    rec = messaging.recipient(patient)
    channel = rec.pick(Channel.SMS if patient.preferred_channel == "sms" else Channel.EMAIL)
    if channel is None:
        record(actor, AuditAction.UPDATE, "intake_packet", packet.pk, patient_id=patient.pk,
               detail="not sent: no usable channel")
        return False
    lang = patient.preferred_language if patient.preferred_language in TEXT else "en"
    subject, first, again = TEXT[lang]
    practice = Practice.objects.order_by("pk").first()
    local = packet.first_visit_at.astimezone(ZoneInfo(patient.time_zone or settings.TIME_ZONE))
    body = (again if followup else first).format(practice=practice.legal_name if practice else "Your clinic",
                                                 date=local.strftime("%a %d %b"), link=portal_url(packet))
    n = packet.followups_sent + (1 if followup else 0)
    messaging.messages_enqueue(actor=actor, now=now, items=[messaging.Outgoing(
        patient_id=patient.pk, channel=channel, kind=Kind.INTAKE, language=lang, to=rec.addresses[channel],
        subject=subject if channel == Channel.EMAIL else "", body=body,
        dedupe_key=f"intake:{packet.pk}:v{packet.link_version}:{n}",
        next_attempt_at=messaging.first_send_time(channel, rec.preference, patient.time_zone, now),
        ref=f"intake_packet:{packet.pk}")])
    return True


@transaction.atomic
def packet_send(*, packet: IntakePacket, now: datetime, actor: Actor, new_link: bool = False) -> IntakePacket:
    """Send (or re-send) the portal link. ``new_link`` revokes every earlier link first."""
    packet = IntakePacket.objects.select_for_update().get(pk=packet.pk)
    if packet.status == PacketStatus.COMPLETE:
        raise ApplicationError(ErrorCode.CONFLICT, "This packet is complete; nothing to send.")
    if new_link:
        packet.link_version += 1
        packet.failed_attempts, packet.locked_until = 0, None
    if _send(packet, followup=False, now=now, actor=actor):
        if packet.status == PacketStatus.NOT_SENT:
            packet.status = PacketStatus.SENT
        packet.sent_at = packet.sent_at or now
        packet.last_contact_at = now
    packet.save()
    record(actor, AuditAction.UPDATE, "intake_packet", packet.pk, patient_id=packet.patient_id,
           changed_fields=["sent_at"] + (["link_version"] if new_link else []))
    return packet


def refresh_status(packet: IntakePacket, now: datetime) -> IntakePacket:
    """Derive in progress / complete from the packet's responses (complete when every form is)."""
    forms = list(packet.forms.select_related("response"))
    done = sum(1 for f in forms if f.response and f.response.status == ResponseStatus.COMPLETED)
    started = any(f.response and f.response.pages_saved for f in forms)
    if forms and done == len(forms):
        packet.status, packet.completed_at = PacketStatus.COMPLETE, now
    elif started or done:
        packet.status = PacketStatus.IN_PROGRESS
    packet.save(update_fields=["status", "completed_at"])
    return packet


def reconcile_intake(*, now: datetime) -> int:
    """One pass of the intake reconciler (see the module docstring). Returns how many packets were
    sent, extended, followed up or flagged."""
    actor = Actor.system("worker")
    done = 0
    horizon = now + timedelta(days=SEND_DAYS)
    candidates = (Appointment.objects.filter(status__in=ACTIVE_VALUES, start__gte=now, start__lt=horizon)
                  .exclude(status=Status.COMPLETED).values_list("patient_id", flat=True).distinct())
    for patient_id in candidates:
        if not is_new_patient(patient_id):
            continue
        packet = open_packet(patient_id)
        before = packet.forms.count() if packet else 0
        packet = packet_prepare(patient=Patient.objects.get(pk=patient_id), now=now, actor=actor)
        if packet is None:
            continue
        if packet.status == PacketStatus.NOT_SENT:
            packet_send(packet=packet, now=now, actor=actor)
            done += 1
        elif packet.forms.count() > before:
            done += 1
    due = now - timedelta(hours=FOLLOWUP_HOURS)
    for packet in IntakePacket.objects.filter(
            status__in=[PacketStatus.SENT, PacketStatus.OPENED, PacketStatus.IN_PROGRESS], first_visit_at__gt=now,
            followups_sent__lt=MAX_FOLLOWUPS, last_contact_at__lte=due).select_related("patient"):
        with transaction.atomic():
            if _send(packet, followup=True, now=now, actor=actor):
                IntakePacket.objects.filter(pk=packet.pk).update(followups_sent=packet.followups_sent + 1,
                                                                 last_contact_at=now)
                done += 1
    flagged = IntakePacket.objects.filter(~Q(status=PacketStatus.COMPLETE), flagged_at__isnull=True,
                                          first_visit_at__gt=now, first_visit_at__lte=now + timedelta(hours=FLAG_HOURS))
    done += flagged.update(flagged_at=now)
    return done


PREPARE = {"en": "Please complete your intake forms before the visit: {link}",
           "es": "Complete sus formularios de ingreso antes de la visita: {link}"}


def reminder_preparation(patient_id: int, language: str) -> list[str]:
    """For visit reminders (messaging registry): the portal link while the patient's packet is
    open and has been sent."""
    packet = IntakePacket.objects.filter(patient_id=patient_id).exclude(
        status__in=[PacketStatus.COMPLETE, PacketStatus.NOT_SENT]).first()
    if packet is None:
        return []
    return [PREPARE.get(language, PREPARE["en"]).format(link=portal_url(packet))]
