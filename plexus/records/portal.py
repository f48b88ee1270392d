"""The patient portal for intake packets: no account; the signed link plus the date of birth.

- Five wrong dates of birth lock the link for 15 minutes (audited as denied); the right one
  unlocks this browser session for that packet (and that link version) only.
- Each page of a form is saved on its own; a page with a problem is shown again with what was
  typed and each problem next to its question, and pages saved before stay saved.
- Answers to follow-up questions that no longer apply (e.g. "which medications?" after "no")
  are dropped before saving, as the patient would expect.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any

from django.db import transaction

from plexus.core.audit import Actor, record
from plexus.core.errors import ApplicationError, ErrorCode, FieldError, validation_error
from plexus.core.models import AuditAction
from plexus.engines.forms import Item, ItemType
from plexus.engines.forms.answers import is_enabled
from plexus.records import intake, services
from plexus.records.models import IntakePacket, PacketForm, PacketStatus, ResponseStatus
from plexus.records.selectors import form_of

MAX_ATTEMPTS = 5
LOCK_MINUTES = 15
PORTAL = Actor.system("portal")


def session_key(packet: IntakePacket) -> str:
    return f"portal:{packet.pk}"


def is_unlocked(session, packet: IntakePacket) -> bool:
    return session.get(session_key(packet)) == packet.link_version


def verify(*, packet: IntakePacket, dob_text: str, now: datetime, ip: str | None = None) -> bool:
    """Check the date of birth. 409 while locked; a wrong date counts an attempt (the fifth locks
    the link for 15 minutes) and is audited; the right one marks the packet opened. The attempt is
    committed before the error is raised (a rollback would forget it)."""
    try:
        given = date.fromisoformat((dob_text or "").strip())
    except ValueError:
        raise validation_error([FieldError("date_of_birth", "Enter your date of birth.")]) from None
    with transaction.atomic():
        packet = IntakePacket.objects.select_for_update().select_related("patient").get(pk=packet.pk)
        if packet.locked_until and packet.locked_until > now:
            locked_until = packet.locked_until
            problem: ApplicationError | None = ApplicationError(
                ErrorCode.CONFLICT, f"Too many tries. Try again after {locked_until:%H:%M} UTC, or call the clinic.")
        elif given != packet.patient.date_of_birth:
            packet.failed_attempts += 1
            left = MAX_ATTEMPTS - packet.failed_attempts
            if left <= 0:
                packet.failed_attempts, packet.locked_until = 0, now + timedelta(minutes=LOCK_MINUTES)
            packet.save(update_fields=["failed_attempts", "locked_until"])
            record(Actor(user=None, ip=ip, via="portal"), AuditAction.DENIED, "intake_portal", packet.pk,
                   patient_id=packet.patient_id, detail="wrong date of birth")
            message = ("That date of birth does not match our records. "
                       + (f"{left} tr{'y' if left == 1 else 'ies'} left." if left > 0 else
                          f"The link is locked for {LOCK_MINUTES} minutes."))
            problem = validation_error([FieldError("date_of_birth", message)])
        else:
            problem = None
            packet.failed_attempts, packet.locked_until = 0, None
            if packet.status in (PacketStatus.NOT_SENT, PacketStatus.SENT):
                packet.status = PacketStatus.OPENED
            packet.opened_at = packet.opened_at or now
            packet.save(update_fields=["failed_attempts", "locked_until", "status", "opened_at"])
            record(Actor(user=None, ip=ip, via="portal"), AuditAction.READ, "intake_portal", packet.pk,
                   patient_id=packet.patient_id, detail="identity confirmed")
    if problem is not None:
        raise problem
    return True


def packet_form(packet: IntakePacket, form_id: int) -> PacketForm:
    pf = packet.forms.select_related("questionnaire", "response").filter(pk=form_id).first()
    if pf is None:
        raise ApplicationError(ErrorCode.NOT_FOUND, "That form is not part of your packet.")
    return pf


def ensure_response(pf: PacketForm) -> PacketForm:
    """Start the form's response the first time the patient opens it."""
    if pf.response_id is None:
        with transaction.atomic():
            locked = PacketForm.objects.select_for_update().get(pk=pf.pk)
            if locked.response_id is None:
                locked.response = services.response_start(actor=PORTAL, patient=pf.packet.patient,
                                                          questionnaire=pf.questionnaire)
                locked.save(update_fields=["response"])
            pf = PacketForm.objects.select_related("questionnaire", "response", "packet").get(pk=pf.pk)
    return pf


# ----- reading a posted page --------------------------------------------------------------------


def _value(item: Item, post, name: str) -> Any:
    t = item.type
    if t is ItemType.MULTI:
        return post.getlist(name) or None
    raw = (post.get(name) or "").strip()
    if not raw:
        return None
    if t is ItemType.BOOLEAN:
        return {"yes": True, "no": False}.get(raw, raw)
    if t in (ItemType.INTEGER, ItemType.SCALE):
        try:
            return int(raw)
        except ValueError:
            return raw  # kept as typed: the check names the question ("must be a whole number")
    return raw


def _read(items, post, prefix: str, out: dict) -> None:
    for it in items:
        if it.type is ItemType.DISPLAY or it.calculated:
            continue
        if it.type is ItemType.GROUP and not it.repeats:
            _read(it.items, post, prefix, out)
            continue
        path = f"{prefix}{it.link_id}"
        if it.type is ItemType.GROUP:
            try:
                slots = max(0, min(int(post.get(f"n:{path}", "0")), 50))
            except ValueError:
                slots = 0
            entries = []
            for i in range(slots):
                entry: dict = {}
                _read(it.items, post, f"{path}.{i}.", entry)
                if entry:
                    entries.append(entry)
            if entries:
                out[it.link_id] = entries
            continue
        value = _value(it, post, f"a:{path}")
        if value is not None:
            out[it.link_id] = value


def _prune(items, scope: dict, scopes: tuple) -> None:
    """Drop answers to items that are not asked given the other answers (follow-ups of a "no")."""
    for it in items:
        if not is_enabled(it, scopes):
            _drop(it, scope)
            continue
        if it.type is ItemType.GROUP and not it.repeats:
            _prune(it.items, scope, scopes)
        elif it.type is ItemType.GROUP:
            for entry in scope.get(it.link_id) or []:
                _prune(it.items, entry, (*scopes, entry))


def _drop(item: Item, scope: dict) -> None:
    scope.pop(item.link_id, None)
    if item.type is ItemType.GROUP and not item.repeats:
        for child in item.items:
            _drop(child, scope)


def read_page(pf: PacketForm, page: str, post) -> dict:
    """The answers of one page from a posted form, follow-ups that no longer apply removed."""
    form = form_of(pf.questionnaire)
    section = form.section(page)
    if section is None:
        raise validation_error([FieldError("page", "That page is not part of this form.")])
    answers: dict = {}
    _read(section.items, post, "", answers)
    merged = {**(pf.response.answers if pf.response else {}), **answers}
    for _ in range(2):  # a follow-up of a follow-up
        _prune(section.items, answers, (merged,))
        merged = {**(pf.response.answers if pf.response else {}), **answers}
    return answers


def save_page(*, pf: PacketForm, page: str, post, now: datetime) -> PacketForm:
    """Save one page from the portal (422 naming each question; nothing saved on that page)."""
    if pf.response and pf.response.status == ResponseStatus.COMPLETED:
        raise ApplicationError(ErrorCode.CONFLICT, "You already sent this form. Thank you!")
    answers = read_page(pf, page, post)
    services.response_save_page(actor=PORTAL, response=pf.response, page=page, answers=answers)
    intake.refresh_status(pf.packet, now)
    return PacketForm.objects.select_related("questionnaire", "response", "packet").get(pk=pf.pk)


def complete_form(*, pf: PacketForm, now: datetime) -> PacketForm:
    """Send a form (every required answer present); a second time is a 409 and changes nothing."""
    services.response_complete(actor=PORTAL, response=pf.response)
    intake.refresh_status(pf.packet, now)
    return PacketForm.objects.select_related("questionnaire", "response", "packet").get(pk=pf.pk)
