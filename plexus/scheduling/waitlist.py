"""Waitlist: entries, offers of freed time, and the reconciler.

When a cancellation frees capacity (the cancel services call :func:`on_capacity_freed` after
commit; :func:`reconcile_waitlist` heals a lost call), waiting entries are ranked by priority then
waiting time, the slot engine places each one's request inside the freed window, and an offer is
made holding that placement for ``PLEXUS_WAITLIST_HOLD_MINUTES`` (default 120): while an offer is
open no other entry is offered an overlapping placement. Accepting books through
``visit_block_book`` (which re-checks: 409 if the time was taken meanwhile). Expired offers are
released by the reconciler and the entry waits again.
"""

from __future__ import annotations

import logging
import os
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone

from plexus.core.audit import Actor, record
from plexus.core.errors import ApplicationError, ErrorCode, FieldError, validation_error
from plexus.core.models import AuditAction, Discipline, Location, Practitioner, Service
from plexus.engines import slots
from plexus.patients.models import Patient
from plexus.scheduling import selectors, services
from plexus.scheduling.models import (
    Appointment,
    OfferStatus,
    Priority,
    Referral,
    Status,
    TimeOfDay,
    VisitBlock,
    WaitlistEntry,
    WaitlistOffer,
    WaitlistStatus,
)
from plexus.scheduling.referrals import referral_sync_status

log = logging.getLogger(__name__)
MAX_OFFERS_PER_WINDOW = 3
LOOKBACK = timedelta(days=1)  # cancellations this recent are re-examined by the reconciler
TIMES = {TimeOfDay.ANY: (None, None), TimeOfDay.MORNING: (None, time(12)),
         TimeOfDay.AFTERNOON: (time(12), time(17)), TimeOfDay.EVENING: (time(16), None)}


def hold_minutes() -> int:
    """How long an offer holds its slot (env PLEXUS_WAITLIST_HOLD_MINUTES, default 120)."""
    try:
        return max(1, int(os.environ.get("PLEXUS_WAITLIST_HOLD_MINUTES", "120")))
    except ValueError:
        return 120


def _user(actor: Actor):
    return services._user(actor)


@transaction.atomic
def waitlist_entry_create(*, actor: Actor, patient: Patient, service_ids: list[int], earliest_date: date,
                          latest_date: date, practitioner_ids: list[int] | None = None,
                          discipline_ids: list[int] | None = None, location_id: int | None = None,
                          weekdays: list[int] | None = None, time_of_day: str = TimeOfDay.ANY,
                          priority: int = Priority.ROUTINE, note: str = "", referral: Referral | None = None,
                          now: datetime | None = None) -> WaitlistEntry:
    """Put a patient on the waitlist for a visit (services in order). 422 naming every bad field."""
    now = now or timezone.now()
    errors: list[FieldError] = []
    known = {s.pk: s for s in Service.objects.filter(pk__in=service_ids or [], is_active=True)}
    if not service_ids:
        errors.append(FieldError("service_ids", "Name at least one service."))
    errors += [FieldError(f"service_ids[{i}]", f"Unknown service {sid}.")
               for i, sid in enumerate(service_ids or []) if sid not in known]
    pracs = {p.pk: p for p in Practitioner.objects.filter(pk__in=practitioner_ids or [], is_active=True)}
    errors += [FieldError(f"practitioner_ids[{i}]", f"Unknown practitioner {pid}.")
               for i, pid in enumerate(practitioner_ids or []) if pid not in pracs]
    discs = {d.pk: d for d in Discipline.objects.filter(pk__in=discipline_ids or [])}
    errors += [FieldError(f"discipline_ids[{i}]", f"Unknown discipline {did}.")
               for i, did in enumerate(discipline_ids or []) if did not in discs]
    location = None
    if location_id is not None:
        location = Location.objects.filter(pk=location_id, is_active=True).first()
        if location is None:
            errors.append(FieldError("location_id", f"Unknown location {location_id}."))
    if latest_date < earliest_date:
        errors.append(FieldError("latest_date", "The window must end on or after its first day."))
    elif latest_date < timezone.localdate(now):
        errors.append(FieldError("latest_date", "The window is already over."))
    errors += [FieldError(f"weekdays[{i}]", "Use 0 (Monday) to 6 (Sunday).")
               for i, d in enumerate(weekdays or []) if not 0 <= d <= 6]
    if time_of_day not in TimeOfDay.values:
        errors.append(FieldError("time_of_day", f"Use one of {', '.join(TimeOfDay.values)}."))
    if priority not in Priority.values:
        errors.append(FieldError("priority", "Use 1 (urgent), 2 (soon) or 3 (routine)."))
    if referral is not None and referral.patient_id != patient.pk:
        errors.append(FieldError("referral_id", "The referral is for another patient."))
    if errors:
        raise validation_error(errors)
    entry = WaitlistEntry.objects.create(
        patient=patient, referral=referral, service_ids=list(service_ids), location=location,
        earliest_date=earliest_date, latest_date=latest_date, weekdays=sorted(set(weekdays or [])),
        time_of_day=time_of_day, priority=priority, note=note[:300], created_by=_user(actor), created_at=now)
    entry.practitioners.set(pracs.values())
    entry.disciplines.set(discs.values())
    record(actor, AuditAction.CREATE, "waitlist_entry", entry.pk, patient_id=patient.pk,
           changed_fields=["service_ids", "earliest_date", "latest_date", "priority"])
    return entry


def waitlist_entry_from_referral(*, actor: Actor, referral: Referral, **window) -> WaitlistEntry:
    """Put a referral's visit on the waitlist: its services, its named practitioner (else any of its
    discipline) and its priority; ``window`` gives the dates and preferences."""
    return waitlist_entry_create(
        actor=actor, patient=referral.patient, referral=referral, service_ids=[s.pk for s in referral.services.all()],
        practitioner_ids=[referral.to_practitioner_id] if referral.to_practitioner_id else [],
        discipline_ids=[] if referral.to_practitioner_id else [referral.to_discipline_id],
        priority=referral.priority, **window)


@transaction.atomic
def waitlist_entry_remove(*, actor: Actor, entry: WaitlistEntry) -> WaitlistEntry:
    """Take an entry off the waitlist (its open offer is released). 409 when already booked or removed."""
    entry = WaitlistEntry.objects.select_for_update().get(pk=entry.pk)
    if entry.status in (WaitlistStatus.BOOKED, WaitlistStatus.REMOVED):
        raise ApplicationError(ErrorCode.CONFLICT, f"This entry is already {entry.get_status_display().lower()}.")
    entry.offers.filter(status=OfferStatus.OPEN).update(status=OfferStatus.DECLINED)
    entry.status = WaitlistStatus.REMOVED
    entry.save(update_fields=["status"])
    record(actor, AuditAction.UPDATE, "waitlist_entry", entry.pk, patient_id=entry.patient_id,
           changed_fields=["status"], detail="removed")
    return entry


def allowed_practitioners(entry: WaitlistEntry) -> set[int] | None:
    """The entry's named practitioners plus everyone of its disciplines; None when it names neither."""
    named = {p.pk for p in entry.practitioners.all()}
    discs = [d.pk for d in entry.disciplines.all()]
    if not named and not discs:
        return None
    return named | set(Practitioner.objects.filter(discipline_id__in=discs, is_active=True)
                       .values_list("pk", flat=True))


def entry_options(entry: WaitlistEntry, *, range_start: datetime, range_end: datetime, now: datetime,
                  location_id: int | None = None, limit: int = 10) -> tuple[slots.BlockOption, ...]:
    """Search the entry's visit (sequential components) inside the range with its preferences."""
    earliest, latest = TIMES.get(entry.time_of_day, (None, None))
    prefs = slots.Preferences(earliest_time=earliest, latest_time=latest,
                              weekdays=frozenset(entry.weekdays) if entry.weekdays else None,
                              location_id=location_id or entry.location_id)
    asks = [selectors.ComponentAsk(sid) for sid in entry.service_ids]
    return selectors.slot_search(asks=asks, range_start=range_start, range_end=range_end, now=now,
                                 patient_id=entry.patient_id, preferences=prefs, limit=limit,
                                 only_practitioner_ids=allowed_practitioners(entry))


def _placements_json(option: slots.BlockOption) -> list[dict]:
    return [{"service_id": c.service_id, "practitioner_id": c.practitioner_id, "room_id": c.room_id,
             "start": c.start.isoformat(), "end": c.end.isoformat()} for c in option.components]


def _overlaps(option: slots.BlockOption, held: list[WaitlistOffer]) -> bool:
    for offer in held:
        for p in offer.placements:
            ps, pe = datetime.fromisoformat(p["start"]), datetime.fromisoformat(p["end"])
            for c in option.components:
                same = c.practitioner_id == p["practitioner_id"] or c.room_id == p["room_id"]
                if same and c.start < pe and ps < c.end:
                    return True
    return False


def offers_for_freed(*, location_id: int, start: datetime, end: datetime, now: datetime,
                     freed_by: Appointment | None = None) -> list[WaitlistOffer]:
    """Offer the freed window ``[start, end)`` at the location to the best-ranked matching entries
    (priority, then waiting time); each offer holds one placement that fits inside the window and
    overlaps no other open offer. Idempotent: an entry with an open offer, or already offered this
    start, is not offered it again."""
    if end <= now:
        return []
    location = Location.objects.filter(pk=location_id).first()
    if location is None:
        return []
    day = start.astimezone(ZoneInfo(location.time_zone)).date()
    entries = (WaitlistEntry.objects.filter(status=WaitlistStatus.WAITING, earliest_date__lte=day,
                                            latest_date__gte=day)
               .filter(Q(location__isnull=True) | Q(location_id=location_id))
               .prefetch_related("practitioners", "disciplines").order_by("priority", "created_at", "id"))
    made: list[WaitlistOffer] = []
    held = list(WaitlistOffer.objects.filter(status=OfferStatus.OPEN, start__lt=end, end__gt=start))
    for entry in entries:
        if len(made) >= MAX_OFFERS_PER_WINDOW:
            break
        try:
            options = entry_options(entry, range_start=max(start, now), range_end=end, now=now,
                                    location_id=location_id)
        except ApplicationError:
            continue  # e.g. nobody qualified at this location: not a match
        tried = set(entry.offers.values_list("start", flat=True))
        option = next((o for o in options if o.end <= end and o.start not in tried and not _overlaps(o, held)),
                      None)
        if option is None:
            continue
        offer = _make_offer(entry, option, now, freed_by)
        if offer is not None:
            made.append(offer)
            held.append(offer)
    return made


def _make_offer(entry: WaitlistEntry, option: slots.BlockOption, now: datetime,
                freed_by: Appointment | None) -> WaitlistOffer | None:
    try:
        with transaction.atomic():
            locked = WaitlistEntry.objects.select_for_update().get(pk=entry.pk)
            if locked.status != WaitlistStatus.WAITING:
                return None
            offer = WaitlistOffer.objects.create(
                entry=locked, location_id=option.location_id, start=option.start, end=option.end,
                placements=_placements_json(option), created_at=now,
                expires_at=now + timedelta(minutes=hold_minutes()), freed_by=freed_by)
            locked.status = WaitlistStatus.OFFERED
            locked.save(update_fields=["status"])
            record(Actor.system("worker"), AuditAction.CREATE, "waitlist_offer", offer.pk,
                   patient_id=locked.patient_id, changed_fields=["placements", "expires_at"])
            transaction.on_commit(lambda: _notify(offer.pk, now))
    except IntegrityError:  # a racing run made the same offer
        return None
    return offer


def _notify(offer_id: int, now: datetime) -> None:
    """Message the patient about a new offer (after commit; a failure leaves the offer to staff)."""
    from plexus.scheduling.offers import offer_notify  # offers builds on this module

    try:
        offer = WaitlistOffer.objects.select_related("entry__patient", "location").get(pk=offer_id)
        offer_notify(offer, now=now)
    except Exception:  # the offer stands on the waitlist board whatever happens to the message
        log.exception("waitlist offer message failed")


def on_capacity_freed(*, appointment_ids: list[int], now: datetime | None = None) -> int:
    """Called after a cancellation commits: offer each freed block window. Never raises (the
    cancellation has already happened; the reconciler retries). Return offers made."""
    now = now or timezone.now()
    try:
        return _offer_appointments(list(Appointment.objects.filter(pk__in=appointment_ids)), now)
    except Exception:  # a failed offer must not fail the cancel; the reconciler heals it
        log.exception("waitlist offers after cancellation failed")
        return 0


def _offer_appointments(appts: list[Appointment], now: datetime) -> int:
    windows: dict[tuple[int, int], list[Appointment]] = {}
    for a in appts:
        if a.status == Status.CANCELLED and a.end > now:
            windows.setdefault((a.block_id, a.location_id), []).append(a)
    made = 0
    for (_, location_id), group in windows.items():
        made += len(offers_for_freed(location_id=location_id, start=min(a.start for a in group),
                                     end=max(a.end for a in group), now=now, freed_by=group[0]))
    return made


def _load_offer(offer_id: int) -> WaitlistOffer:
    offer = WaitlistOffer.objects.select_for_update().filter(pk=offer_id).first()
    if offer is None:
        raise ApplicationError(ErrorCode.NOT_FOUND, f"No waitlist offer {offer_id}.")
    return offer


@transaction.atomic
def waitlist_offer_accept(*, actor: Actor, offer: WaitlistOffer, now: datetime | None = None) -> VisitBlock:
    """Book the offered placements (re-checked: 409 when taken meanwhile; the offer stays open so
    staff can decline it) and mark the entry booked. 409 when the offer is not open or has expired."""
    now = now or timezone.now()
    offer = _load_offer(offer.pk)
    if offer.status != OfferStatus.OPEN or offer.expires_at <= now:
        raise ApplicationError(ErrorCode.CONFLICT, "This offer is no longer open; nothing was booked.")
    entry = WaitlistEntry.objects.select_for_update().select_related("patient").get(pk=offer.entry_id)
    placements = [services.Placement(service_id=p["service_id"], practitioner_id=p["practitioner_id"],
                                     room_id=p["room_id"], start=datetime.fromisoformat(p["start"]),
                                     end=datetime.fromisoformat(p["end"])) for p in offer.placements]
    block = services.visit_block_book(actor=actor, patient=entry.patient, components=placements,
                                      location_id=offer.location_id, note="From the waitlist", now=now)
    if entry.referral_id is not None:
        VisitBlock.objects.filter(pk=block.pk).update(referral_id=entry.referral_id)
        referral_sync_status(entry.referral_id)
    offer.status, offer.block = OfferStatus.ACCEPTED, block
    offer.save(update_fields=["status", "block"])
    entry.status = WaitlistStatus.BOOKED
    entry.save(update_fields=["status"])
    record(actor, AuditAction.UPDATE, "waitlist_offer", offer.pk, patient_id=entry.patient_id,
           changed_fields=["status", "block"], detail="accepted")
    return block


@transaction.atomic
def waitlist_offer_decline(*, actor: Actor, offer: WaitlistOffer) -> WaitlistOffer:
    """Release an open offer; the entry waits again (this start is not offered to it again)."""
    offer = _load_offer(offer.pk)
    if offer.status != OfferStatus.OPEN:
        raise ApplicationError(ErrorCode.CONFLICT, "This offer is no longer open.")
    offer.status = OfferStatus.DECLINED
    offer.save(update_fields=["status"])
    WaitlistEntry.objects.filter(pk=offer.entry_id, status=WaitlistStatus.OFFERED).update(
        status=WaitlistStatus.WAITING)
    record(actor, AuditAction.UPDATE, "waitlist_offer", offer.pk, patient_id=offer.entry.patient_id,
           changed_fields=["status"], detail="declined")
    return offer


def reconcile_waitlist(*, now: datetime) -> int:
    """Release expired offers (their entries wait again), expire entries whose window is over, and
    offer the time freed by recent cancellations that no offer covers yet. Idempotent. Return how
    many offers were made."""
    with transaction.atomic():
        expired = list(WaitlistOffer.objects.select_for_update().filter(status=OfferStatus.OPEN,
                                                                         expires_at__lte=now))
        for offer in expired:
            offer.status = OfferStatus.EXPIRED
            offer.save(update_fields=["status"])
            WaitlistEntry.objects.filter(pk=offer.entry_id, status=WaitlistStatus.OFFERED).update(
                status=WaitlistStatus.WAITING)
        over = WaitlistEntry.objects.filter(status__in=[WaitlistStatus.WAITING, WaitlistStatus.OFFERED],
                                            latest_date__lt=timezone.localdate(now))
        WaitlistOffer.objects.filter(entry__in=over, status=OfferStatus.OPEN).update(status=OfferStatus.EXPIRED)
        over.update(status=WaitlistStatus.EXPIRED)
    if not WaitlistEntry.objects.filter(status=WaitlistStatus.WAITING).exists():
        return 0
    recent = list(Appointment.objects.filter(status=Status.CANCELLED, cancelled_at__gte=now - LOOKBACK,
                                             end__gt=now))
    return _offer_appointments(recent, now)


def entries_query(*, status: str | None = None) -> list[WaitlistEntry]:
    qs = WaitlistEntry.objects.select_related("patient", "location", "referral").prefetch_related(
        "practitioners", "disciplines")
    if status:
        qs = qs.filter(status=status)
    return list(qs.order_by("priority", "created_at", "id"))


def open_offers() -> list[WaitlistOffer]:
    return list(WaitlistOffer.objects.filter(status=OfferStatus.OPEN).select_related("entry__patient", "location")
                .order_by("expires_at", "id"))


def get_entry(entry_id: int) -> WaitlistEntry:
    entry = WaitlistEntry.objects.select_related("patient").filter(pk=entry_id).first()
    if entry is None:
        raise ApplicationError(ErrorCode.NOT_FOUND, f"No waitlist entry {entry_id}.")
    return entry


def get_offer(offer_id: int) -> WaitlistOffer:
    offer = WaitlistOffer.objects.select_related("entry__patient").filter(pk=offer_id).first()
    if offer is None:
        raise ApplicationError(ErrorCode.NOT_FOUND, f"No waitlist offer {offer_id}.")
    return offer
