"""Consolidated visit-block reminders (DESIGN.md §2: reconciled, not triggered).

One message per patient per visit block per offset (PLEXUS_REMINDER_OFFSETS, default
``72h:email,24h:sms``), listing every component (service, practitioner, location, room, local
time) and what to prepare, and calling out components at a second location. The dedupe key is
``visit_block:<id>:<offset>:<fingerprint>``: the fingerprint changes when the block is moved, so a
moved block is reminded again and the patient is told with an *updated* message; a cancelled block
gets one cancellation notice. Queued messages that no longer apply are withdrawn.

Offset windows: the 72 h reminder is due from 72 h before the start until the 24 h reminder is
due; the 24 h reminder until the start. A reconciler that was down catches up with the window it
is in, never with a stale one (no 72 h reminder 10 hours before the visit).

Patients answer with signed, expiring links (confirm, cancel, ask to reschedule) or SMS replies
C / X; both update the whole block through the scheduling services.
"""

from __future__ import annotations

import hashlib
import os
import re
from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import NamedTuple
from zoneinfo import ZoneInfo

from django.conf import settings
from django.core import signing
from django.db import transaction
from django.db.models import Prefetch
from django.urls import reverse

from plexus.core.audit import Actor, record
from plexus.core.errors import ApplicationError, ErrorCode, FieldError, validation_error
from plexus.core.models import AuditAction, Practice
from plexus.core.validators import format_phone
from plexus.messaging import registry as messaging_registry
from plexus.messaging import services as messaging
from plexus.messaging.models import INFORMED, Channel, Kind, Language, Message, ReplyAction, Status
from plexus.messaging.registry import Draft, ReplyOutcome
from plexus.scheduling import services
from plexus.scheduling.models import Appointment, VisitBlock
from plexus.scheduling.models import Status as Visit

PREFIX = "visit_block"
LINK_SALT = "plexus.scheduling.visit-link"
LINK_MAX_AGE = timedelta(days=int(os.environ.get("PLEXUS_REMINDER_LINK_DAYS", "14")))
CHANGE_LOOKBACK = timedelta(days=1)  # blocks changed this recently are checked even outside the windows
LIVE = (Visit.BOOKED, Visit.CONFIRMED)


@dataclass(frozen=True, slots=True)
class Offset:
    label: str
    delta: timedelta
    channel: str


def parse_offsets(raw: str) -> tuple[Offset, ...]:
    """Parse ``72h:email,24h:sms`` (units m, h, d); largest first. ValueError names the bad part."""
    out = []
    for part in [p.strip() for p in raw.split(",") if p.strip()]:
        m = re.fullmatch(r"(\d+)([mhd]):(email|sms)", part)
        if not m:
            raise ValueError(f"PLEXUS_REMINDER_OFFSETS: {part!r} is not like 72h:email or 24h:sms")
        n, unit, channel = int(m.group(1)), m.group(2), m.group(3)
        delta = {"m": timedelta(minutes=n), "h": timedelta(hours=n), "d": timedelta(days=n)}[unit]
        out.append(Offset(f"{n}{unit}", delta, channel))
    if not out or len({o.delta for o in out}) != len(out):
        raise ValueError("PLEXUS_REMINDER_OFFSETS needs at least one offset and no two alike")
    return tuple(sorted(out, key=lambda o: o.delta, reverse=True))


OFFSETS = parse_offsets(os.environ.get("PLEXUS_REMINDER_OFFSETS", "72h:email,24h:sms"))


def block_ref(block_id: int) -> str:
    return f"{PREFIX}:{block_id}"


def block_id_of(ref: str) -> int | None:
    prefix, _, rest = ref.partition(":")
    return int(rest) if prefix == PREFIX and rest.isdigit() else None


def live_components(appts: list[Appointment]) -> list[Appointment]:
    return sorted((a for a in appts if a.status in LIVE), key=lambda a: (a.start, a.position))


def fingerprint(appts: list[Appointment]) -> str:
    """Changes whenever a live component's time, practitioner, room or location changes (not its status)."""
    parts = [f"{a.service_id}/{a.practitioner_id}/{a.room_id}/{a.location_id}/{a.start.timestamp():.0f}/"
             f"{a.end.timestamp():.0f}" for a in live_components(appts)]
    return hashlib.sha1("|".join(parts).encode(), usedforsecurity=False).hexdigest()[:12]


def current_offset(start: datetime, now: datetime, offsets: tuple[Offset, ...]) -> Offset | None:
    """The offset whose window ``[start - delta, start - next delta)`` holds ``now``."""
    for i, off in enumerate(offsets):
        until = start - offsets[i + 1].delta if i + 1 < len(offsets) else start
        if start - off.delta <= now < until:
            return off
    return None


# --- Wording ----------------------------------------------------------------------------------

DAYS = {"en": ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"],
        "es": ["lunes", "martes", "miércoles", "jueves", "viernes", "sábado", "domingo"]}
MONTHS = {"en": ["January", "February", "March", "April", "May", "June", "July", "August", "September", "October",
                 "November", "December"],
          "es": ["enero", "febrero", "marzo", "abril", "mayo", "junio", "julio", "agosto", "septiembre", "octubre",
                 "noviembre", "diciembre"]}
# What to prepare, by discipline code (room type "infusion" too). Shown only in email bodies.
PREPARATION = {
    "en": {"lac": "Acupuncture: wear loose, comfortable clothing and eat a light meal 1-2 hours before.",
           "lmt": "Massage: arrive 10 minutes early; avoid a heavy meal just before.",
           "dc": "Chiropractic: wear comfortable clothing you can move in.",
           "md": "Physician visit: bring a list of your medicines and supplements.",
           "np": "Nurse practitioner visit: bring a list of your medicines and supplements.",
           "rd": "Nutrition: bring a 3-day food diary if you keep one.",
           "infusion": "Infusion: drink water and eat beforehand; the infusion room has Wi-Fi.",
           "none": "Nothing special: just arrive 10 minutes early.",
           "intake": "New patients: please complete your intake forms before the visit."},
    "es": {"lac": "Acupuntura: use ropa holgada y cómoda y coma algo ligero 1-2 horas antes.",
           "lmt": "Masaje: llegue 10 minutos antes; evite una comida pesada justo antes.",
           "dc": "Quiropráctica: use ropa cómoda que le permita moverse.",
           "md": "Consulta médica: traiga una lista de sus medicamentos y suplementos.",
           "np": "Consulta con enfermera practicante: traiga una lista de sus medicamentos y suplementos.",
           "rd": "Nutrición: traiga un diario de comidas de 3 días si lo lleva.",
           "infusion": "Infusión: beba agua y coma antes; la sala de infusión tiene Wi-Fi.",
           "none": "Nada especial: llegue 10 minutos antes.",
           "intake": "Pacientes nuevos: complete sus formularios de admisión antes de la visita."},
}
CODE_SUFFIX = re.compile(r"\s*\([0-9A-Z]{5}\)$")


def _date(local: datetime, lang: str) -> str:
    if lang == "es":
        return f"{DAYS['es'][local.weekday()]} {local.day} de {MONTHS['es'][local.month - 1]}"
    return f"{DAYS['en'][local.weekday()]} {local.day} {MONTHS['en'][local.month - 1]}"


def _time(local: datetime, lang: str) -> str:
    if lang == "es":
        return f"{local.hour}:{local.minute:02d}"
    return f"{local.hour % 12 or 12}:{local.minute:02d} {'AM' if local.hour < 12 else 'PM'}"


def _practitioner(appt: Appointment) -> str:
    p = appt.practitioner
    return f"{p.first_name} {p.last_name}, {p.credentials}".strip(", ")


def sign_link(block: VisitBlock) -> str:
    return signing.TimestampSigner(salt=LINK_SALT).sign_object({"b": block.pk, "p": block.patient_id})


def read_link(token: str, *, now: datetime) -> tuple[int, int]:
    """Return (block id, patient id) of a link token; 422 naming ``token`` when expired or tampered."""
    signer = signing.TimestampSigner(salt=LINK_SALT)
    try:
        data = signer.unsign_object(token, max_age=LINK_MAX_AGE)
    except signing.SignatureExpired as exc:
        raise validation_error([FieldError("token", "This link has expired. Please call the clinic.")]) from exc
    except signing.BadSignature as exc:
        raise validation_error([FieldError("token", "This link is not valid.")]) from exc
    return int(data["b"]), int(data["p"])


def link_urls(block: VisitBlock) -> dict[str, str]:
    base = settings.PLEXUS_PUBLIC_URL.rstrip("/") + reverse("scheduling:visit_link", args=[sign_link(block)])
    return {"manage_url": base, "confirm_url": f"{base}?do=confirm", "cancel_url": f"{base}?do=cancel",
            "reschedule_url": f"{base}?do=reschedule"}


def compose_context(block: VisitBlock, appts: list[Appointment], lang: str, practice: Practice | None) -> dict:
    """The placeholder values for one block in one language (times in each location's zone)."""
    live = live_components(appts) or sorted(appts, key=lambda a: (a.start, a.position))
    first = live[0]
    tz = ZoneInfo(block.location.time_zone)
    start = first.start.astimezone(tz)
    locations: dict[int, tuple[str, datetime]] = {}
    for a in live:
        locations.setdefault(a.location_id, (a.location.name, a.start.astimezone(ZoneInfo(a.location.time_zone))))
    multi = len(locations) > 1
    lines, prep = [], []
    for a in live:
        local = a.start.astimezone(ZoneInfo(a.location.time_zone))
        end = a.end.astimezone(ZoneInfo(a.location.time_zone))
        where = f"{a.room.name}, {a.location.name}" if multi else a.room.name
        lines.append(f"- {_time(local, lang)}-{_time(end, lang)} {CODE_SUFFIX.sub('', a.service.name)} "
                     f"{'con' if lang == 'es' else 'with'} {_practitioner(a)} · {where}")
        key = "infusion" if a.room.room_type == "infusion" else a.practitioner.discipline.code
        text = PREPARATION[lang].get(key)
        if text and text not in prep:
            prep.append(text)
    prep.extend(line for line in messaging_registry.preparation_lines(block.patient_id, lang) if line not in prep)
    note = ""
    if multi:
        places = ", ".join(f"{name} ({_time(at, lang)})" for name, at in locations.values())
        note = (f"Atención: esta visita es en {len(locations)} lugares: {places}." if lang == "es"
                else f"Please note: this visit is at {len(locations)} locations: {places}.")
    loc = block.location
    patient = block.patient
    return {
        "patient_first_name": patient.preferred_name or patient.legal_first_name,
        "practice_name": practice.legal_name if practice else "Plexus",
        "practice_phone": format_phone(practice.phone) if practice else "",
        "date": _date(start, lang), "start_time": _time(start, lang),
        "location_name": loc.name,
        "location_address": f"{loc.address_line1}, {loc.city}, {loc.state} {loc.postal_code}",
        "locations_note": note, "component_count": str(len(live)),
        "unsubscribe_url": messaging.unsubscribe_url(patient.pk),
        "components": "\n".join(lines), "preparation": "\n".join(f"- {p}" for p in prep or [PREPARATION[lang]["none"]]),
        **link_urls(block),
    }


# --- The reconciler -----------------------------------------------------------------------------

@dataclass(slots=True)
class _Known:
    """What was already queued or sent about one block."""

    informed_versions: set[str]
    open_versions: set[str]
    keys: set[str]
    last_channel: str | None


def _known(refs: list[str]) -> dict[str, _Known]:
    out: dict[str, _Known] = defaultdict(lambda: _Known(set(), set(), set(), None))
    for i in range(0, len(refs), 500):
        rows = (Message.objects.filter(ref__in=refs[i : i + 500])
                .values_list("ref", "kind", "status", "version", "dedupe_key", "channel").order_by("created_at", "id"))
        for ref, kind, status, version, key, channel in rows:
            k = out[ref]
            k.keys.add(key)
            if kind in (Kind.REMINDER, Kind.UPDATED):
                if status in INFORMED:
                    k.informed_versions.add(version)
                    k.last_channel = channel
                elif status == Status.QUEUED:
                    k.open_versions.add(version)
    return out


def load_blocks(ids: list[int]) -> list[VisitBlock]:
    """Blocks with patient, location and ``components`` (appointments with everything a message names)."""
    qs = VisitBlock.objects.select_related("patient", "location").filter(pk__in=ids)
    components = Prefetch("appointments", to_attr="components", queryset=Appointment.objects.select_related(
        "service", "practitioner__discipline", "room", "location").order_by("position"))
    return list(qs.prefetch_related(components).order_by("start", "id"))


@dataclass(slots=True)
class Plan:
    """What the reconciler would queue for one block now."""

    kind: str
    key: str
    channel_wanted: str
    version: str


def plan_for(block, appts: list, known: _Known, *, now: datetime,
             offsets: tuple[Offset, ...], fresh_change: bool) -> Plan | None:
    """Decide the one message a block needs now, or None."""
    ref = block_ref(block.pk)
    if block.start <= now:
        return None
    preferred = known.last_channel or Channel.EMAIL
    if block.status == Visit.CANCELLED:
        key = f"{ref}:cancelled"
        if key in known.keys or not (known.informed_versions or fresh_change):
            return None
        return Plan(Kind.CANCELLED, key, preferred, "cancelled")
    if block.status not in LIVE or not live_components(appts):
        return None
    fp = fingerprint(appts)
    told_other = bool(known.informed_versions - {fp})
    told_this = fp in known.informed_versions or fp in known.open_versions
    offset = current_offset(block.start, now, offsets)
    if offset is not None:
        key = f"{ref}:{offset.label}:{fp}"
        if key in known.keys:
            return None
        return Plan(Kind.UPDATED if told_other and not told_this else Kind.REMINDER, key, offset.channel, fp)
    if told_other and not told_this:
        key = f"{ref}:updated:{fp}"
        return None if key in known.keys else Plan(Kind.UPDATED, key, preferred, fp)
    return None


def _outgoing(block: VisitBlock, appts: list[Appointment], plan: Plan, who: messaging.Recipient, templates: dict,
              practice: Practice | None, now: datetime) -> messaging.Outgoing | None:
    channel = who.pick(plan.channel_wanted)
    if channel is None:
        return None
    lang = who.preference.language if who.preference.language in Language.values else Language.EN
    used, subject, body = messaging.render_template(templates, kind=plan.kind, channel=channel, language=lang,
                                                    context=compose_context(block, appts, lang, practice))
    return messaging.Outgoing(
        patient_id=block.patient_id, channel=channel, kind=plan.kind, language=used, to=who.addresses[channel],
        subject=subject, body=body, dedupe_key=plan.key, ref=block_ref(block.pk), version=plan.version,
        next_attempt_at=messaging.first_send_time(channel, who.preference, block.patient.time_zone, now))


class _Row(NamedTuple):
    """The schedule facts of one component, enough to fingerprint and plan (no model instances)."""

    block_id: int
    position: int
    status: str
    service_id: int
    practitioner_id: int
    room_id: int
    location_id: int
    start: datetime
    end: datetime


class _Head(NamedTuple):
    pk: int
    status: str
    start: datetime
    updated_at: datetime


def _scan(now: datetime, horizon: datetime) -> tuple[list[_Head], dict[int, list[_Row]]]:
    """Blocks starting in ``(now, horizon]`` and blocks further ahead changed recently, with their
    components, read as plain rows (the reconciler runs every minute over thousands of blocks)."""
    fields = ("pk", "status", "start", "updated_at")
    heads = [_Head(*r) for r in VisitBlock.objects.filter(start__gt=now, start__lte=horizon)
             .order_by("start", "id").values_list(*fields)]
    heads += [_Head(*r) for r in VisitBlock.objects.filter(start__gt=horizon,
                                                            updated_at__gte=now - CHANGE_LOOKBACK)
              .order_by("start", "id").values_list(*fields)]
    rows: dict[int, list[_Row]] = defaultdict(list)
    cols = ("block_id", "position", "status", "service_id", "practitioner_id", "room_id", "location_id", "start", "end")
    qs = Appointment.objects.filter(block__start__gt=now, block__start__lte=horizon).order_by("block_id", "position")
    for r in qs.values_list(*cols):
        rows[r[0]].append(_Row(*r))
    far = [h.pk for h in heads if h.start > horizon]
    for i in range(0, len(far), 500):
        for r in Appointment.objects.filter(block_id__in=far[i : i + 500]).order_by("position").values_list(*cols):
            rows[r[0]].append(_Row(*r))
    return heads, rows


def reconcile_reminders(*, now: datetime, offsets: tuple[Offset, ...] = OFFSETS) -> int:
    """Queue every reminder, update and cancellation notice that should exist now and does not;
    withdraw queued ones that no longer apply. Return how many were queued. Idempotent.

    Planning reads plain rows; only the blocks that need a message are loaded in full to compose it."""
    heads, rows = _scan(now, now + offsets[0].delta)
    if not heads:
        return 0
    known = _known([block_ref(h.pk) for h in heads])
    empty = _Known(set(), set(), set(), None)
    plans: dict[int, Plan] = {}
    stale: dict[str, str | None] = {}
    for h in heads:
        ref, comps = block_ref(h.pk), rows.get(h.pk, [])
        k = known.get(ref, empty)
        plan = plan_for(h, comps, k, now=now, offsets=offsets, fresh_change=h.updated_at >= now - CHANGE_LOOKBACK)
        live = h.status in LIVE and bool(live_components(comps))
        keep = plan.version if plan else (fingerprint(comps) if live else None)
        if k.open_versions - {keep}:
            stale[ref] = keep
        if plan is not None:
            plans[h.pk] = plan
    for ref, version in stale.items():
        messaging.messages_withdraw(refs=[ref], keep_version=version, now=now,
                                    reason="The visit changed before this was sent.")
    if not plans:
        return 0
    ids = list(plans)
    blocks = [b for i in range(0, len(ids), 500) for b in load_blocks(ids[i : i + 500])]
    templates = messaging.templates_map()
    practice = Practice.objects.first()
    prefs = messaging.preferences_for(b.patient for b in blocks)
    items = []
    for b in blocks:
        item = _outgoing(b, b.components, plans[b.pk], messaging.recipient(b.patient, prefs[b.patient_id]),
                         templates, practice, now)
        if item is not None:
            items.append(item)
    return len(messaging.messages_enqueue(actor=Actor.system("worker"), items=items, now=now))


# --- Preview and send now (registered as the visit_block composer) --------------------------------

def _one(block_id: int) -> VisitBlock:
    found = load_blocks([block_id])
    if not found:
        raise ApplicationError(ErrorCode.NOT_FOUND, f"No visit block {block_id}.")
    return found[0]


def _manual_plan(block: VisitBlock, known: _Known, now: datetime) -> Plan:
    ref = block_ref(block.pk)
    stamp = f"{now.timestamp():.3f}"
    if block.status == Visit.CANCELLED:
        return Plan(Kind.CANCELLED, f"{ref}:manual:{stamp}", Channel.EMAIL, "cancelled")
    if block.status not in LIVE or not live_components(block.components):
        raise ApplicationError(ErrorCode.CONFLICT, f"This visit is {block.get_status_display().lower()}; "
                                                   "there is nothing to remind the patient of.")
    fp = fingerprint(block.components)
    kind = Kind.UPDATED if known.informed_versions - {fp} and fp not in known.informed_versions else Kind.REMINDER
    return Plan(kind, f"{ref}:manual:{stamp}", Channel.EMAIL, fp)


class VisitBlockComposer:
    """Preview and 'Send now' for a visit block (registered in SchedulingConfig.ready)."""

    def _id(self, ref: str) -> int:
        block_id = block_id_of(ref)
        if block_id is None:
            raise validation_error([FieldError("ref", "Use visit_block:<id>.")])
        return block_id

    def patient_id(self, ref: str) -> int:
        block_id = self._id(ref)
        patient_id = VisitBlock.objects.filter(pk=block_id).values_list("patient_id", flat=True).first()
        if patient_id is None:
            raise ApplicationError(ErrorCode.NOT_FOUND, f"No visit block {block_id}.")
        return patient_id

    def preview(self, ref: str, *, now: datetime) -> list[Draft]:
        block = _one(self._id(ref))
        known = _known([ref]).get(ref, _Known(set(), set(), set(), None))
        plan = _manual_plan(block, known, now)
        who = messaging.recipient(block.patient)
        templates = messaging.templates_map()
        practice = Practice.objects.first()
        lang = who.preference.language
        drafts = []
        order = who.channels + [c for c in (Channel.EMAIL, Channel.SMS) if c not in who.channels]
        for i, channel in enumerate(order):
            used, subject, body = messaging.render_template(templates, kind=plan.kind, channel=channel, language=lang,
                                                            context=compose_context(block, block.components, lang,
                                                                                    practice))
            drafts.append(Draft(channel=channel, kind=plan.kind, language=used, to=who.addresses.get(channel, ""),
                                subject=subject, body=body, problem=who.problems.get(channel, ""),
                                label="will be sent" if i == 0 and channel in who.addresses else ""))
        return drafts

    def send_now(self, ref: str, *, actor: Actor, now: datetime) -> list[int]:
        """Queue the block's message on the patient's preferred usable channel and send it at once
        (quiet hours still hold texts). 409 when the patient cannot be reached."""
        block = _one(self._id(ref))
        known = _known([ref]).get(ref, _Known(set(), set(), set(), None))
        plan = _manual_plan(block, known, now)
        who = messaging.recipient(block.patient)
        if not who.channels:
            raise ApplicationError(ErrorCode.CONFLICT, "The patient cannot be reached: "
                                   + " ".join(who.problems.values()))
        plan.channel_wanted = who.channels[0]
        item = _outgoing(block, block.components, plan, who, messaging.templates_map(), Practice.objects.first(), now)
        messaging.messages_enqueue(actor=actor, items=[item], now=now)
        msg = Message.objects.get(dedupe_key=item.dedupe_key)
        messaging.messages_send_due(now=now, ids=[msg.pk])
        return [msg.pk]


# --- Patients' answers: links and SMS replies ----------------------------------------------------

@transaction.atomic
def block_confirm(*, actor: Actor, block: VisitBlock) -> VisitBlock:
    """Confirm every booked component of the block (confirmed ones stay). 409 when none is live."""
    block = VisitBlock.objects.select_for_update().get(pk=block.pk)
    appts = list(block.appointments.filter(status__in=LIVE))
    if not appts:
        raise ApplicationError(ErrorCode.CONFLICT, f"This visit is {block.get_status_display().lower()}; "
                                                   "it cannot be confirmed.")
    for appt in appts:
        if appt.status == Visit.BOOKED:
            services.appointment_set_status(actor=actor, appointment=appt, status=Visit.CONFIRMED)
    block.refresh_from_db()
    return block


def _queue_confirmation(block: VisitBlock, channel: str, now: datetime) -> None:
    block = _one(block.pk)
    who = messaging.recipient(block.patient)
    fp = fingerprint(block.components)
    plan = Plan(Kind.CONFIRMATION, f"{block_ref(block.pk)}:confirmation:{fp}", channel, fp)
    item = _outgoing(block, block.components, plan, who, messaging.templates_map(), Practice.objects.first(), now)
    if item is not None:
        messaging.messages_enqueue(actor=Actor.system("worker"), items=[item], now=now)


def late_cancel_hours() -> int:
    practice = Practice.objects.first()
    return practice.late_cancel_hours if practice else 24


def patient_answer(*, action: str, block_id: int, patient_id: int, now: datetime, channel: str) -> ReplyOutcome:
    """Apply a patient's confirm / cancel / reschedule request to the whole block. Never raises for
    an answer that cannot be applied: the outcome says why and nothing changes."""
    block = VisitBlock.objects.select_related("patient", "location").filter(pk=block_id).first()
    if block is None or block.patient_id != patient_id:
        return ReplyOutcome(False, "This visit was not found; nothing changed.")
    if block.start <= now:
        return ReplyOutcome(False, "This visit has already started or passed; nothing changed.")
    actor = Actor.system("web" if channel == "web" else "worker")
    try:
        if action == ReplyAction.CONFIRM:
            if block.status == Visit.CONFIRMED:
                return ReplyOutcome(True, "The visit was already confirmed.")
            block_confirm(actor=actor, block=block)
            _queue_confirmation(block, Channel.SMS if channel == "sms" else Channel.EMAIL, now)
            return ReplyOutcome(True, "Confirmed every part of the visit.")
        if action == ReplyAction.CANCEL:
            block = services.visit_block_cancel(actor=actor, block=block, now=now,
                                                reason=f"Cancelled by the patient ({'text reply' if channel == 'sms' else 'link'})")
            late = (f" This is a late cancellation (less than {late_cancel_hours()} hours' notice)."
                    if block.late_cancel else "")
            return ReplyOutcome(True, f"Cancelled every part of the visit.{late}")
        if action == ReplyAction.RESCHEDULE:
            record(actor, AuditAction.UPDATE, "visit_block", block.pk, patient_id=block.patient_id,
                   detail="patient asked to reschedule")
            return ReplyOutcome(True, "Asked to reschedule: the front desk will contact the patient.")
    except ApplicationError as exc:
        return ReplyOutcome(False, f"{exc.detail} Nothing changed.")
    return ReplyOutcome(False, "Unknown request; nothing changed.")


def handle_reply(*, action: str, ref: str, patient_id: int, now: datetime, channel: str) -> ReplyOutcome | None:
    """The reply handler registered with messaging (C / X texts)."""
    block_id = block_id_of(ref)
    if block_id is None:
        return None
    return patient_answer(action=action, block_id=block_id, patient_id=patient_id, now=now, channel=channel)


def link_answer(*, token: str, action: str, now: datetime) -> ReplyOutcome:
    """Apply the answer given on a signed link page and record it (422 for a bad or expired token,
    recorded too)."""
    try:
        block_id, patient_id = read_link(token, now=now)
    except ApplicationError as exc:
        messaging.reply_record(channel="web", action=ReplyAction.UNKNOWN, patient_id=None, ref="", ok=False,
                               result=exc.detail, now=now, body=action[:20])
        raise
    if action not in (ReplyAction.CONFIRM, ReplyAction.CANCEL, ReplyAction.RESCHEDULE):
        raise validation_error([FieldError("action", "Choose confirm, cancel or reschedule.")])
    outcome = patient_answer(action=action, block_id=block_id, patient_id=patient_id, now=now, channel="web")
    messaging.reply_record(channel="web", action=action, patient_id=patient_id, ref=block_ref(block_id),
                           ok=outcome.ok, result=outcome.result, now=now)
    return outcome


def register() -> None:
    """Hook scheduling into messaging (called from SchedulingConfig.ready)."""
    from plexus.messaging.registry import register_composer
    from plexus.messaging.replies import register_reply_handler

    register_reply_handler(handle_reply)
    register_composer(PREFIX, VisitBlockComposer())
