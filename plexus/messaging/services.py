"""Writes for messaging: contact preferences, queueing, sending with retries, inbound replies,
unsubscribe, template edits.

Crash safety: ``messages_enqueue`` commits a ``queued`` row (unique ``dedupe_key``) before anything
is sent. ``messages_send_due`` claims due rows (``SELECT ... FOR UPDATE SKIP LOCKED`` on
PostgreSQL; on SQLite the IMMEDIATE transaction makes the claim single-writer), commits the claim
(status ``sending``), calls the provider outside any transaction, then marks each row ``sent``. A
worker killed before the provider call leaves a ``sending`` row whose lease expires: the next run
puts it back in the queue and sends it once. Rows already ``sent`` are never picked again.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

from django.conf import settings
from django.core import signing
from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.db.models import F
from django.urls import reverse

from plexus.core.audit import Actor, record
from plexus.core.errors import ApplicationError, ErrorCode, FieldError, validation_error
from plexus.core.models import AuditAction
from plexus.core.validators import normalize_email, normalize_phone
from plexus.messaging import channels
from plexus.messaging.models import (
    Channel,
    ContactPreference,
    Kind,
    Language,
    Message,
    MessageTemplate,
    PatientReply,
    ReplyAction,
    Status,
)
from plexus.messaging.registry import dispatch_reply
from plexus.messaging.templating import render, template_errors
from plexus.patients.models import Patient


def _env_int(name: str, default: int) -> int:
    return int(os.environ.get(name, str(default)))


MAX_ATTEMPTS = _env_int("PLEXUS_MESSAGE_MAX_ATTEMPTS", 5)
RETRY_BASE_SECONDS = _env_int("PLEXUS_MESSAGE_RETRY_SECONDS", 60)
RETRY_CAP_SECONDS = 6 * 3600
LEASE_SECONDS = _env_int("PLEXUS_MESSAGE_LEASE_SECONDS", 300)
UNSUBSCRIBE_SALT = "plexus.messaging.unsubscribe"


# --- Preferences and recipients ---------------------------------------------------------------

def default_preference(patient: Patient) -> ContactPreference:
    """An unsaved preference built from the patient's own consent and language fields."""
    off = patient.preferred_channel == "none"
    lang = patient.preferred_language if patient.preferred_language in Language.values else Language.EN
    return ContactPreference(patient=patient, email_enabled=not off, sms_enabled=not off,
                             email_consent=patient.consent_email, sms_consent=patient.consent_sms, language=lang)


def preference_for(patient: Patient) -> ContactPreference:
    """Return the patient's saved preference, creating it from the patient's fields the first time."""
    pref = ContactPreference.objects.filter(patient=patient).first()
    if pref is None:
        pref = default_preference(patient)
        pref.save()
    return pref


def preferences_for(patients: Iterable[Patient]) -> dict[int, ContactPreference]:
    """Saved or default (unsaved) preferences for many patients in one query."""
    patients = list(patients)
    saved = {p.patient_id: p for p in ContactPreference.objects.filter(patient_id__in=[p.pk for p in patients])}
    return {p.pk: saved.get(p.pk) or default_preference(p) for p in patients}


@dataclass(slots=True)
class Recipient:
    """Where a patient can be reached now: channels in the patient's order of preference, and why
    the others cannot be used."""

    patient: Patient
    preference: ContactPreference
    addresses: dict[str, str] = field(default_factory=dict)
    problems: dict[str, str] = field(default_factory=dict)

    @property
    def channels(self) -> list[str]:
        order = [Channel.SMS, Channel.EMAIL] if self.patient.preferred_channel == "sms" else [Channel.EMAIL,
                                                                                             Channel.SMS]
        return [c.value for c in order if c in self.addresses]

    def pick(self, wanted: str) -> str | None:
        """The wanted channel when usable, else the patient's other usable channel, else None."""
        if wanted in self.addresses:
            return wanted
        return self.channels[0] if self.channels else None


def recipient(patient: Patient, pref: ContactPreference | None = None) -> Recipient:
    pref = pref or preferences_for([patient])[patient.pk]
    out = Recipient(patient, pref)
    checks = {
        Channel.EMAIL: (pref.email_enabled, pref.email_consent, pref.email_opted_out_at, patient.email,
                        normalize_email, "email address"),
        Channel.SMS: (pref.sms_enabled, pref.sms_consent, pref.sms_opted_out_at, patient.phone_mobile,
                      normalize_phone, "mobile number"),
    }
    for channel, (enabled, consent, opted_out, raw, normalize, what) in checks.items():
        if not enabled:
            out.problems[channel] = f"{channel.label} reminders are turned off."
        elif opted_out:
            out.problems[channel] = f"Opted out of {channel.label.lower()}s on {opted_out:%Y-%m-%d}."
        elif not consent:
            out.problems[channel] = f"No consent to {channel.label.lower()}s on file."
        elif not raw:
            out.problems[channel] = f"No {what} on file."
        else:
            try:
                out.addresses[channel] = normalize(raw)
            except ValidationError as exc:
                out.problems[channel] = f"Invalid {what}: {exc.messages[0]}"
    return out


def quiet_end(pref: ContactPreference, tz_name: str, at: datetime) -> datetime | None:
    """Return when the patient's quiet hours end if ``at`` falls inside them (local time), else None."""
    start, end = pref.quiet_start, pref.quiet_end
    if start == end:
        return None
    tz = ZoneInfo(tz_name or settings.TIME_ZONE)
    local = at.astimezone(tz)
    t = local.time()
    if start > end:  # wraps midnight, e.g. 21:00-08:00
        if t >= start:
            return datetime.combine(local.date() + timedelta(days=1), end, tzinfo=tz)
        if t < end:
            return datetime.combine(local.date(), end, tzinfo=tz)
        return None
    return datetime.combine(local.date(), end, tzinfo=tz) if start <= t < end else None


def first_send_time(channel: str, pref: ContactPreference, tz_name: str, now: datetime) -> datetime:
    """Texts wait for the end of quiet hours; email (silent) goes at once."""
    if channel == Channel.SMS:
        return quiet_end(pref, tz_name, now) or now
    return now


# --- Templates --------------------------------------------------------------------------------

def templates_map() -> dict[tuple[str, str, str], MessageTemplate]:
    return {(t.kind, t.channel, t.language): t for t in MessageTemplate.objects.all()}


def render_template(templates: dict, *, kind: str, channel: str, language: str,
                    context: dict[str, str]) -> tuple[str, str, str]:
    """Return (language used, subject, body); falls back to English when the language has none."""
    tpl = templates.get((kind, channel, language)) or templates.get((kind, channel, Language.EN))
    if tpl is None:
        raise ApplicationError(ErrorCode.CONFLICT, f"No {kind} template for {channel}; restore the defaults.")
    subject = render(tpl.subject, context) if channel == Channel.EMAIL else ""
    return tpl.language, subject.replace("\n", " ")[:200], render(tpl.body, context)


@transaction.atomic
def template_update(*, actor: Actor, template: MessageTemplate, subject: str, body: str,
                    now: datetime) -> MessageTemplate:
    """Save new wording; 422 naming ``subject`` or ``body`` for unknown placeholders (nothing saved)."""
    subject, body = (subject or "").strip(), (body or "").replace("\r\n", "\n").strip()
    errors = template_errors(channel=template.channel, subject=subject, body=body)
    if errors:
        raise validation_error(errors)
    template.subject, template.body, template.updated_at = subject, body, now
    template.updated_by = actor.user if getattr(actor.user, "is_authenticated", False) else None
    template.full_clean()
    template.save()
    record(actor, AuditAction.UPDATE, "message_template", template.pk, changed_fields=["subject", "body"])
    return template


# --- Queueing -------------------------------------------------------------------------------

@dataclass(frozen=True, slots=True)
class Outgoing:
    patient_id: int
    channel: str
    kind: str
    language: str
    to: str
    subject: str
    body: str
    dedupe_key: str
    next_attempt_at: datetime
    ref: str = ""
    version: str = ""


def _chunks(items: list, size: int = 500):
    for i in range(0, len(items), size):
        yield items[i : i + size]


def existing_keys(keys: Iterable[str]) -> set[str]:
    keys = list(keys)
    found: set[str] = set()
    for chunk in _chunks(keys):
        found.update(Message.objects.filter(dedupe_key__in=chunk).values_list("dedupe_key", flat=True))
    return found


def messages_enqueue(*, actor: Actor, items: list[Outgoing], now: datetime) -> list[str]:
    """Queue each item whose dedupe key is new; return the keys queued. Safe to call twice and
    against a racing worker: the unique dedupe key makes a second insert a no-op."""
    have = existing_keys(i.dedupe_key for i in items)
    fresh, seen = [], set()
    for i in items:
        if i.dedupe_key in have or i.dedupe_key in seen:
            continue
        seen.add(i.dedupe_key)
        fresh.append(i)
    if not fresh:
        return []
    user = actor.user if getattr(actor.user, "is_authenticated", False) else None
    rows = [Message(patient_id=i.patient_id, channel=i.channel, kind=i.kind, language=i.language, to=i.to,
                    subject=i.subject, body=i.body, dedupe_key=i.dedupe_key, ref=i.ref, version=i.version,
                    next_attempt_at=i.next_attempt_at, created_at=now, updated_at=now, created_by=user)
            for i in fresh]
    with transaction.atomic():
        Message.objects.bulk_create(rows, batch_size=500, ignore_conflicts=True)
        patients = {i.patient_id for i in fresh}
        record(actor, AuditAction.CREATE, "message", "", patient_id=next(iter(patients)) if len(patients) == 1 else None,
               changed_fields=["body", "to"], detail=f"{len(fresh)} queued ({', '.join(sorted({i.kind for i in fresh}))})")
    return [i.dedupe_key for i in fresh]


def messages_withdraw(*, refs: Iterable[str], keep_version: str | None = None, reason: str, now: datetime,
                      channel: str | None = None, to: str | None = None) -> int:
    """Withdraw queued (not yet sent) messages about refs, except those of ``keep_version``."""
    qs = Message.objects.filter(status=Status.QUEUED)
    refs = list(refs)
    if refs:
        qs = qs.filter(ref__in=refs)
    if keep_version is not None:
        qs = qs.exclude(version=keep_version)
    if channel:
        qs = qs.filter(channel=channel)
    if to:
        qs = qs.filter(to=to)
    return qs.update(status=Status.WITHDRAWN, error=reason[:500], updated_at=now)


# --- Sending --------------------------------------------------------------------------------

@dataclass(slots=True)
class SendReport:
    sent: int = 0
    retried: int = 0
    failed: int = 0
    deferred: int = 0
    withdrawn: int = 0
    requeued: int = 0
    ids: list[int] = field(default_factory=list)

    def __str__(self) -> str:
        return (f"{self.sent} sent, {self.retried} to retry, {self.failed} failed, {self.deferred} deferred "
                f"(quiet hours), {self.withdrawn} withdrawn, {self.requeued} re-queued after an interrupted send")


def backoff(attempts: int) -> timedelta:
    """Exponential: 1, 2, 4, 8 ... minutes (base PLEXUS_MESSAGE_RETRY_SECONDS), at most 6 hours."""
    return timedelta(seconds=min(RETRY_BASE_SECONDS * 2 ** max(0, attempts - 1), RETRY_CAP_SECONDS))


def _claim(now: datetime, limit: int, ids: list[int] | None) -> list[int]:
    with transaction.atomic():
        qs = Message.objects.filter(status=Status.QUEUED, next_attempt_at__lte=now)
        if ids is not None:
            qs = qs.filter(pk__in=ids)
        qs = qs.order_by("next_attempt_at", "id")
        if connection.vendor == "postgresql":
            qs = qs.select_for_update(skip_locked=True)
        claimed = list(qs.values_list("pk", flat=True)[:limit])
        if claimed:
            Message.objects.filter(pk__in=claimed, status=Status.QUEUED).update(
                status=Status.SENDING, claimed_at=now, attempts=F("attempts") + 1, updated_at=now)
    return claimed


def unsubscribe_url(patient_id: int) -> str:
    token = signing.dumps({"p": patient_id}, salt=UNSUBSCRIBE_SALT)
    return settings.PLEXUS_PUBLIC_URL.rstrip("/") + reverse("messaging:unsubscribe", args=[token])


def messages_send_due(*, now: datetime, limit: int = 500, ids: list[int] | None = None, sms=None,
                      email_connection=None) -> SendReport:
    """Send queued messages that are due (or just ``ids``); return what happened.

    Before each send the patient's preference is checked again (opted out since queueing:
    withdrawn) and texts inside quiet hours wait. Failures retry with exponential backoff; a
    permanent failure, or the last of PLEXUS_MESSAGE_MAX_ATTEMPTS, marks the message failed."""
    report = SendReport()
    report.requeued = Message.objects.filter(status=Status.SENDING, claimed_at__lt=now - timedelta(
        seconds=LEASE_SECONDS)).update(status=Status.QUEUED, updated_at=now,
                                       error="Re-queued: a worker stopped while sending.")
    claimed = _claim(now, limit, ids)
    if not claimed:
        return report
    sms = sms or channels.get_sms_provider()
    msgs = list(Message.objects.filter(pk__in=claimed).select_related("patient").order_by("next_attempt_at", "id"))
    prefs = preferences_for(m.patient for m in msgs)
    for msg in msgs:
        live = Message.objects.filter(pk=msg.pk, status=Status.SENDING)
        who = recipient(msg.patient, prefs[msg.patient_id])
        if who.addresses.get(msg.channel) != msg.to:
            problem = who.problems.get(msg.channel, "The patient's address changed since this was queued.")
            live.update(status=Status.WITHDRAWN, error=problem[:500], updated_at=now)
            report.withdrawn += 1
            continue
        wait = quiet_end(who.preference, msg.patient.time_zone, now) if msg.channel == Channel.SMS else None
        if wait is not None:
            live.update(status=Status.QUEUED, next_attempt_at=wait, attempts=F("attempts") - 1, updated_at=now)
            report.deferred += 1
            continue
        reference = f"plexus-{msg.pk}"
        try:
            if msg.channel == Channel.SMS:
                provider_id = sms.send(to=msg.to, body=msg.body, reference=reference)
            else:
                provider_id = channels.send_email(to=msg.to, subject=msg.subject, body=msg.body, reference=reference,
                                                  unsubscribe_url=unsubscribe_url(msg.patient_id),
                                                  connection=email_connection)
        except channels.SendError as exc:
            if exc.permanent or msg.attempts >= MAX_ATTEMPTS:  # attempts already counts this one
                live.update(status=Status.FAILED, error=str(exc)[:500], updated_at=now)
                report.failed += 1
            else:
                live.update(status=Status.QUEUED, error=str(exc)[:500], updated_at=now,
                            next_attempt_at=now + backoff(msg.attempts))
                report.retried += 1
            continue
        live.update(status=Status.SENT, provider_id=provider_id[:200], sent_at=now, error="", updated_at=now)
        report.sent += 1
        report.ids.append(msg.pk)
    if report.sent:
        record(Actor.system("worker"), AuditAction.EXPORT, "message", "", detail=f"sent {report.sent} messages")
    return report


PROVIDER_STATUS = {"delivered": Status.DELIVERED, "undelivered": Status.BOUNCED, "failed": Status.FAILED,
                   "bounced": Status.BOUNCED}


def message_delivery_update(*, provider_id: str, provider_status: str, error: str = "", now: datetime) -> bool:
    """Record a delivery receipt (Twilio MessageStatus, or a bounce). Unknown ids change nothing."""
    status = PROVIDER_STATUS.get((provider_status or "").lower())
    if status is None or not provider_id:
        return False
    fields = {"status": status, "updated_at": now}
    if status == Status.DELIVERED:
        fields["delivered_at"] = now
    else:
        fields["error"] = (error or f"provider reported {provider_status}")[:500]
    return bool(Message.objects.filter(provider_id=provider_id, status__in=[Status.SENT, Status.DELIVERED])
                .update(**fields))


# --- Inbound ----------------------------------------------------------------------------------

STOP_WORDS = {"STOP", "STOPALL", "UNSUBSCRIBE", "END", "QUIT", "CANCEL", "OPTOUT", "REVOKE"}  # CTIA opt-out keywords
START_WORDS = {"START", "UNSTOP", "YES"}
CONFIRM_WORDS = {"C", "CONFIRM", "CONFIRMAR"}
CANCEL_WORDS = {"X", "CANCELAR"}


def parse_reply(body: str) -> str:
    word = re.sub(r"[^A-Z]", "", (body or "").strip().split(maxsplit=1)[0].upper()) if (body or "").strip() else ""
    if word in STOP_WORDS:
        return ReplyAction.OPT_OUT
    if word in START_WORDS:
        return ReplyAction.OPT_IN
    if word in CONFIRM_WORDS:
        return ReplyAction.CONFIRM
    if word in CANCEL_WORDS:
        return ReplyAction.CANCEL
    return ReplyAction.UNKNOWN


def _patients_with_mobile(number: str) -> list[Patient]:
    digits = re.sub(r"\D", "", number)[-10:]
    if len(digits) < 10:
        return []
    return [p for p in Patient.objects.filter(phone_mobile__endswith=digits[-4:])
            if re.sub(r"\D", "", p.phone_mobile).endswith(digits)]


REPLY_WINDOW = timedelta(days=14)


@transaction.atomic
def sms_inbound(*, sender: str, body: str, provider_id: str = "", now: datetime) -> PatientReply:
    """Act on a text from ``sender``: STOP opts the number out (every patient with it), START opts
    back in, C / X confirm or cancel the visit of the latest reminder sent to that number (through
    the registered reply handler). Unknown numbers and unclear replies change nothing; every reply
    is recorded with what was done."""
    action = parse_reply(body)
    try:
        number = normalize_phone(sender)
    except ValidationError:
        number = ""
    reply = PatientReply(channel="sms", sender=sender[:254], body=(body or "")[:500], action=action,
                         provider_id=provider_id[:200], received_at=now)
    patients = _patients_with_mobile(number) if number else []
    actor = Actor.system("worker")
    if not patients:
        reply.result = "No patient has this mobile number; nothing changed."
    elif action in (ReplyAction.OPT_OUT, ReplyAction.OPT_IN):
        for patient in patients:
            pref = preference_for(patient)
            pref.sms_opted_out_at = now if action == ReplyAction.OPT_OUT else None
            if action == ReplyAction.OPT_IN:
                pref.sms_consent = True
            pref.updated_at = now
            pref.save(update_fields=["sms_opted_out_at", "sms_consent", "updated_at"])
            record(actor, AuditAction.UPDATE, "contact_preference", pref.pk, patient_id=patient.pk,
                   changed_fields=["sms_opted_out_at"], detail=f"SMS {action}")
        if action == ReplyAction.OPT_OUT:
            Message.objects.filter(status=Status.QUEUED, channel=Channel.SMS, to=number).update(
                status=Status.WITHDRAWN, error="The patient replied STOP.", updated_at=now)
        reply.patient, reply.ok = patients[0], True
        reply.result = ("Opted out of text messages." if action == ReplyAction.OPT_OUT
                        else "Opted back in to text messages.")
    elif action in (ReplyAction.CONFIRM, ReplyAction.CANCEL):
        latest = (Message.objects.filter(channel=Channel.SMS, to=number, kind__in=[Kind.REMINDER, Kind.UPDATED],
                                         status__in=[Status.SENT, Status.DELIVERED], sent_at__gte=now - REPLY_WINDOW)
                  .order_by("-sent_at", "-id").first())
        reply.patient = latest.patient if latest else patients[0]
        if latest is None or not latest.ref:
            reply.result = "No recent reminder was sent to this number; nothing changed."
        else:
            reply.ref = latest.ref
            outcome = dispatch_reply(action=action, ref=latest.ref, patient_id=latest.patient_id, now=now,
                                     channel="sms")
            reply.ok, reply.result = outcome.ok, outcome.result[:300]
    else:
        reply.patient = patients[0]
        reply.result = "Reply not understood (use C, X, STOP or START); nothing changed."
    reply.save()
    return reply


def reply_record(*, channel: str, action: str, patient_id: int | None, ref: str, ok: bool, result: str,
                 now: datetime, sender: str = "", body: str = "") -> PatientReply:
    """Record a patient's answer that arrived another way (a signed link)."""
    return PatientReply.objects.create(channel=channel, action=action, patient_id=patient_id, ref=ref, ok=ok,
                                       result=result[:300], received_at=now, sender=sender[:254], body=body[:500])


def unsubscribe_patient_id(token: str) -> int:
    """Return the patient id in an unsubscribe token; 422 naming ``token`` when tampered."""
    try:
        data = signing.loads(token, salt=UNSUBSCRIBE_SALT)
    except signing.BadSignature as exc:
        raise validation_error([FieldError("token", "This unsubscribe link is not valid.")]) from exc
    return int(data["p"])


def email_unsubscribe(*, token: str, now: datetime) -> Patient:
    """Opt the token's patient out of email (idempotent); queued emails to them are withdrawn. A
    tampered token is recorded and refused (422 naming ``token``)."""
    try:
        patient_id = unsubscribe_patient_id(token)
    except ApplicationError:
        reply_record(channel="email", action=ReplyAction.UNSUBSCRIBE, patient_id=None, ref="", ok=False,
                     result="Tampered or invalid unsubscribe link; nothing changed.", now=now)
        raise
    patient = Patient.objects.filter(pk=patient_id).first()
    if patient is None:
        raise ApplicationError(ErrorCode.NOT_FOUND, "This unsubscribe link is no longer valid.")
    with transaction.atomic():
        _unsubscribe(patient, now)
    return patient


def _unsubscribe(patient: Patient, now: datetime) -> None:
    pref = preference_for(patient)
    if pref.email_opted_out_at is None:
        pref.email_opted_out_at, pref.updated_at = now, now
        pref.save(update_fields=["email_opted_out_at", "updated_at"])
        Message.objects.filter(patient=patient, channel=Channel.EMAIL, status=Status.QUEUED).update(
            status=Status.WITHDRAWN, error="The patient unsubscribed.", updated_at=now)
        record(Actor.system("web"), AuditAction.UPDATE, "contact_preference", pref.pk, patient_id=patient.pk,
               changed_fields=["email_opted_out_at"], detail="email unsubscribe link")
        reply_record(channel="email", action=ReplyAction.UNSUBSCRIBE, patient_id=patient.pk, ref="", ok=True,
                     result="Unsubscribed from email.", now=now)


PREFERENCE_FIELDS = ("email_enabled", "sms_enabled", "email_consent", "sms_consent", "language", "quiet_start",
                     "quiet_end")


@transaction.atomic
def preference_update(*, actor: Actor, patient: Patient, now: datetime, **changes) -> ContactPreference:
    """Change a patient's contact preferences; 422 naming the field for bad values (nothing saved).
    Turning consent back on clears an earlier opt-out on that channel."""
    unknown = sorted(set(changes) - set(PREFERENCE_FIELDS))
    if unknown:
        raise validation_error([FieldError(name, "Not a contact preference.") for name in unknown])
    pref = preference_for(patient)
    errors = []
    if "language" in changes and changes["language"] not in Language.values:
        errors.append(FieldError("language", f"Use one of {', '.join(Language.values)}."))
    for name in ("quiet_start", "quiet_end"):
        if name in changes and not isinstance(changes[name], time):
            errors.append(FieldError(name, "Give a time such as 21:00."))
    if errors:
        raise validation_error(errors)
    changed = [k for k, v in changes.items() if getattr(pref, k) != v]
    for name, value in changes.items():
        setattr(pref, name, value)
    if changes.get("sms_consent") and "sms_consent" in changed:
        pref.sms_opted_out_at = None
    if changes.get("email_consent") and "email_consent" in changed:
        pref.email_opted_out_at = None
    pref.updated_at = now
    pref.full_clean()
    pref.save()
    record(actor, AuditAction.UPDATE, "contact_preference", pref.pk, patient_id=patient.pk, changed_fields=changed)
    return pref



@transaction.atomic
def reply_handle(*, actor: Actor, reply_id: int, note: str = "", now: datetime) -> PatientReply:
    """Mark a patient's request (asked to reschedule) as handled by staff. 404 for an unknown
    reply, 422 for one that is not an open request, 409 when already handled."""
    reply = PatientReply.objects.select_for_update().filter(pk=reply_id).first()
    if reply is None:
        raise ApplicationError(ErrorCode.NOT_FOUND, f"No reply {reply_id}.")
    if reply.action != ReplyAction.RESCHEDULE or not reply.ok:
        raise validation_error([FieldError("reply_id", "Only a patient's request to reschedule is handled here.")])
    if reply.handled_at is not None:
        raise ApplicationError(ErrorCode.CONFLICT, f"Already handled at {reply.handled_at:%Y-%m-%d %H:%M}.")
    reply.handled_at, reply.handled_by, reply.handled_note = now, actor.user, (note or "").strip()[:200]
    reply.save(update_fields=["handled_at", "handled_by", "handled_note"])
    record(actor, AuditAction.UPDATE, "message.reply", reply.pk, patient_id=reply.patient_id,
           changed_fields=["handled_at"])
    return reply
