"""Recurring series: the same visit block every N weeks, K times.

First a preview (nothing saved): per occurrence whether it is free, and for a conflicting one the
reason and the next free alternative (the slot engine searching that occurrence's local day, then
the following days up to the next occurrence). Then a booking: ``all`` (409 naming the first
occurrence that still conflicts; nothing saved) or ``free`` (the free occurrences and any chosen
alternatives). Occurrences keep the local wall-clock time across DST changes.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from plexus.core.audit import Actor, record
from plexus.core.errors import ApplicationError, ErrorCode, FieldError, validation_error
from plexus.core.models import AuditAction, Location, Room, Service
from plexus.engines import slots
from plexus.patients.models import Patient
from plexus.scheduling import selectors, services
from plexus.scheduling.models import Closure, Referral, ReferralStatus, SeriesStatus, Status, VisitBlock, VisitSeries
from plexus.scheduling.referrals import referral_sync_status
from plexus.scheduling.services import Placement

MAX_OCCURRENCES = 52
MAX_INTERVAL_WEEKS = 12
MODES = ("all", "free")


@dataclass(frozen=True, slots=True)
class Occurrence:
    """One occurrence of a series preview: its placements, whether they are free now, and if not
    why (``reason``, the problem's ``field``) and the next free alternative (or None)."""

    index: int
    placements: tuple[Placement, ...]
    free: bool
    reason: str = ""
    field: str = ""
    alternative: tuple[Placement, ...] | None = None

    @property
    def start(self) -> datetime:
        return min(p.start for p in self.placements)


def _location(components: list[Placement], location_id: int | None) -> Location:
    if location_id is None:
        room = Room.objects.filter(pk=next((p.room_id for p in components if p.room_id), None)).first()
        location_id = room.location_id if room else None
    location = Location.objects.filter(pk=location_id, is_active=True).first() if location_id else None
    if location is None:
        raise validation_error([FieldError("location_id", "Give a location or a room for the first component.")])
    return location


def _validate(components: list[Placement], interval_weeks: int, occurrences: int) -> None:
    errors = []
    if not components:
        errors.append(FieldError("components", "Add at least one component."))
    if not 1 <= interval_weeks <= MAX_INTERVAL_WEEKS:
        errors.append(FieldError("interval_weeks", f"Repeat every 1 to {MAX_INTERVAL_WEEKS} weeks."))
    if not 1 <= occurrences <= MAX_OCCURRENCES:
        errors.append(FieldError("occurrences", f"Book 1 to {MAX_OCCURRENCES} occurrences."))
    if errors:
        raise validation_error(errors)


def shift(moment: datetime, weeks: int, tz: ZoneInfo) -> datetime:
    """Return ``moment`` moved by whole weeks at the same local wall-clock time (DST-safe)."""
    local = moment.astimezone(tz)
    return datetime.combine(local.date() + timedelta(weeks=weeks), local.time(), tzinfo=tz).astimezone(UTC)


def occurrence_placements(components: list[Placement], k: int, interval_weeks: int, tz: ZoneInfo) -> tuple:
    return tuple(replace(p, start=shift(p.start, k * interval_weeks, tz),
                         end=shift(p.end, k * interval_weeks, tz) if p.end else None) for p in components)


def _is_occurrence_problem(exc: ApplicationError) -> bool:
    """A conflict, or a time the practitioner does not work / is in the past: about this occurrence,
    not bad input (which fails the whole request)."""
    return exc.status == 409 or (exc.status == 422 and bool(exc.errors)
                                 and all(e.field.endswith(".start") for e in exc.errors))


def _problem(placements: tuple, patient: Patient, location: Location, now: datetime) -> ApplicationError | None:
    """Run the booking checks for one occurrence without saving; return its problem or None."""
    try:
        with transaction.atomic():
            loc, checked = services._check(list(placements), location.pk, now)
            services._place(checked, patient, loc, None)
    except ApplicationError as exc:
        if not _is_occurrence_problem(exc):
            raise
        return exc
    return None


def _reason(exc: ApplicationError, start: datetime, location: Location) -> str:
    day = start.astimezone(ZoneInfo(location.time_zone)).date()
    closure = Closure.objects.filter(Q(location=location) | Q(location__isnull=True), start_date__lte=day,
                                     end_date__gte=day).first()
    if closure is not None:
        return f"The practice is closed on {day:%a %d %b}" + (f" ({closure.reason})." if closure.reason else ".")
    return exc.errors[0].message if exc.errors and exc.status == 422 else exc.detail


def _asks(components: list[Placement]) -> list[selectors.ComponentAsk]:
    """The template as slot-search asks: same services and practitioners, same order and overlaps."""
    minutes = dict(Service.objects.filter(pk__in=[p.service_id for p in components])
                   .values_list("pk", "duration_minutes"))
    asks, ends = [], []
    for i, p in enumerate(components):
        together = next((j for j in range(i) if components[j].start == p.start), None)
        gap = 0 if i == 0 else max(0, int((p.start - max(ends)).total_seconds() // 60))
        asks.append(selectors.ComponentAsk(p.service_id, p.practitioner_id, 0, max(30, gap), together))
        ends.append(p.end or p.start + timedelta(minutes=minutes.get(p.service_id, 0)))
    return asks


def _as_placements(option: slots.BlockOption) -> tuple[Placement, ...]:
    return tuple(Placement(service_id=c.service_id, practitioner_id=c.practitioner_id, room_id=c.room_id,
                           start=c.start, end=c.end) for c in option.components)


def _alternative(asks, occ_start: datetime, patient: Patient, location: Location, interval_weeks: int,
                 now: datetime) -> tuple[Placement, ...] | None:
    """The free time closest to the original on the occurrence's local day, else the earliest on
    the following days before the next occurrence's day."""
    tz = ZoneInfo(location.time_zone)
    day = occ_start.astimezone(tz).date()
    day_start = datetime.combine(day, time(0), tzinfo=tz)
    day_end = datetime.combine(day + timedelta(days=1), time(0), tzinfo=tz)
    horizon = datetime.combine(day + timedelta(weeks=interval_weeks), time(0), tzinfo=tz)
    prefs = slots.Preferences(location_id=location.pk)
    for lo, hi, limit in ((day_start, day_end, 20), (day_end, horizon, 1)):
        if hi <= now or lo >= hi:
            continue
        try:
            options = selectors.slot_search(asks=asks, range_start=max(lo, now), range_end=hi, now=now,
                                            patient_id=patient.pk, preferences=prefs, limit=limit)
        except ApplicationError:
            return None
        if options:
            best = min(options, key=lambda o: (abs((o.start - occ_start).total_seconds()), o.start))
            return _as_placements(best)
    return None


def series_preview(*, patient: Patient, components: list[Placement], interval_weeks: int, occurrences: int,
                   location_id: int | None = None, now: datetime | None = None) -> list[Occurrence]:
    """Check every occurrence; nothing is saved. 422 for bad input (unknown service, practitioner not
    qualified, ...) naming ``components[i].field``; conflicts are reported per occurrence."""
    now = now or timezone.now()
    _validate(components, interval_weeks, occurrences)
    location = _location(components, location_id)
    tz = ZoneInfo(location.time_zone)
    asks = None
    out = []
    for k in range(occurrences):
        placements = occurrence_placements(components, k, interval_weeks, tz)
        exc = _problem(placements, patient, location, now)
        if exc is None:
            out.append(Occurrence(k, placements, True))
            continue
        asks = asks if asks is not None else _asks(components)
        start = min(p.start for p in placements)
        out.append(Occurrence(k, placements, False, _reason(exc, start, location),
                              exc.errors[0].field if exc.errors else "",
                              _alternative(asks, start, patient, location, interval_weeks, now)))
    return out


@transaction.atomic
def visit_series_book(*, actor: Actor, patient: Patient, components: list[Placement], interval_weeks: int,
                      occurrences: int, mode: str = "all", location_id: int | None = None,
                      alternatives: dict[int, list[Placement]] | None = None, referral: Referral | None = None,
                      note: str = "", now: datetime | None = None) -> tuple[VisitSeries, list[int]]:
    """Book the series; return it and the indexes skipped.

    ``alternatives`` maps an occurrence index to the placements to book instead (chosen from the
    preview). ``all``: every occurrence or none (409 naming ``occurrences[k]``). ``free``: book what is
    free, skip the rest (409 when nothing is). Every booked block links to the series (and the
    referral); bad input is a 422 and nothing is saved.
    """
    now = now or timezone.now()
    alternatives = alternatives or {}
    _validate(components, interval_weeks, occurrences)
    errors = []
    if mode not in MODES:
        errors.append(FieldError("mode", "Use all or free."))
    errors += [FieldError(f"alternatives[{k}]", f"Occurrence {k + 1} is not part of this series.")
               for k in alternatives if not 0 <= k < occurrences]
    if referral is not None and referral.patient_id != patient.pk:
        errors.append(FieldError("referral_id", "The referral is for another patient."))
    elif referral is not None and referral.status == ReferralStatus.CANCELLED:
        errors.append(FieldError("referral_id", "The referral is cancelled."))
    if errors:
        raise validation_error(errors)
    location = _location(components, location_id)
    tz = ZoneInfo(location.time_zone)
    first = min(p.start for p in components)
    series = VisitSeries.objects.create(
        patient=patient, location=location, first_start=first, interval_weeks=interval_weeks,
        occurrences=occurrences, referral=referral, created_by=services._user(actor),
        template=[{"service_id": p.service_id, "practitioner_id": p.practitioner_id, "room_id": p.room_id,
                   "offset_minutes": int((p.start - first).total_seconds() // 60)} for p in components])
    skipped: list[int] = []
    for k in range(occurrences):
        placements = list(alternatives.get(k) or occurrence_placements(components, k, interval_weeks, tz))
        try:
            block = services.visit_block_book(actor=actor, patient=patient, components=placements,
                                              location_id=location.pk, note=note, now=now)
        except ApplicationError as exc:
            if not _is_occurrence_problem(exc):
                raise
            if mode == "all":
                when = min(p.start for p in placements).astimezone(tz)
                raise ApplicationError(
                    ErrorCode.CONFLICT, f"Occurrence {k + 1} ({when:%a %d %b %H:%M}): {exc.detail} "
                    "Nothing was booked.",
                    [FieldError(f"occurrences[{k}]", exc.errors[0].message if exc.errors else exc.detail)],
                ) from exc
            skipped.append(k)
            continue
        VisitBlock.objects.filter(pk=block.pk).update(series=series, series_index=k, referral=referral)
    if len(skipped) == occurrences:
        raise ApplicationError(ErrorCode.CONFLICT, "No occurrence is free; nothing was booked.",
                               [FieldError("occurrences", "Every occurrence conflicts.")])
    record(actor, AuditAction.CREATE, "visit_series", series.pk, patient_id=patient.pk,
           changed_fields=["interval_weeks", "occurrences", "template"],
           detail=f"{occurrences - len(skipped)} booked, {len(skipped)} skipped")
    if referral is not None:
        referral_sync_status(referral.pk)
    return series, skipped


@transaction.atomic
def visit_series_cancel(*, actor: Actor, series: VisitSeries, reason: str,
                        now: datetime | None = None) -> tuple[VisitSeries, int]:
    """Cancel every future occurrence that has not started (past ones stay as they are) and close the
    series. Return the series and how many blocks were cancelled; 409 when none is left."""
    now = now or timezone.now()
    reason = services._need_reason(reason)
    series = VisitSeries.objects.select_for_update().get(pk=series.pk)
    future = [b for b in series.blocks.filter(start__gt=now).order_by("start")
              if b.status in (Status.BOOKED, Status.CONFIRMED)]
    if not future and series.status == SeriesStatus.CANCELLED:
        raise ApplicationError(ErrorCode.CONFLICT, "This series has nothing left to cancel.")
    for block in future:
        services.visit_block_cancel(actor=actor, block=block, reason=reason, now=now)
    series.status, series.cancel_reason = SeriesStatus.CANCELLED, reason[:200]
    series.save(update_fields=["status", "cancel_reason"])
    record(actor, AuditAction.UPDATE, "visit_series", series.pk, patient_id=series.patient_id,
           changed_fields=["status", "cancel_reason"], detail=f"cancelled {len(future)} future occurrences")
    return series, len(future)


def get_series(series_id: int) -> VisitSeries:
    series = VisitSeries.objects.select_related("patient", "location", "referral").filter(pk=series_id).first()
    if series is None:
        raise ApplicationError(ErrorCode.NOT_FOUND, f"No visit series {series_id}.")
    return series


def series_blocks(series: VisitSeries) -> list[VisitBlock]:
    return list(series.blocks.order_by("series_index", "start").prefetch_related(
        "appointments__service", "appointments__practitioner"))
