"""Reads for scheduling: map the database to the slot engine's dataclasses, run searches, and load
calendars. Patient data for a request is fetched through plexus.patients.selectors.access_patient."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from django.db import connection
from django.db.models import CharField, Func, Max, Q, QuerySet

from plexus.core.errors import ApplicationError, ErrorCode, FieldError, validation_error
from plexus.core.models import Location, Practitioner, Room, Service
from plexus.engines import slots
from plexus.scheduling.models import (
    ACTIVE_VALUES,
    Appointment,
    AvailabilityException,
    Closure,
    ExceptionKind,
    VisitBlock,
    WorkingHours,
)


@dataclass(frozen=True, slots=True)
class ComponentAsk:
    """One wanted component of a search: a service, optionally a named practitioner, gap rules."""

    service_id: int
    practitioner_id: int | None = None
    min_gap_minutes: int = 0
    max_gap_minutes: int = 30
    concurrent_with: int | None = None


def load_clinic(*, location_ids: Iterable[int] | None = None, disciplines: set[str] | None = None,
                practitioner_ids: set[int] | None = None, room_types: set[str] | None = None) -> slots.Clinic:
    """Build the engine's Clinic from active locations, hours, exceptions, closures and rooms.

    Restrict to the given disciplines / practitioner ids / room types when given (a smaller clinic
    is faster to search and gives the same answers for requests that only need those).
    """
    locs = Location.objects.filter(is_active=True)
    if location_ids is not None:
        locs = locs.filter(pk__in=list(location_ids))
    locs = list(locs)
    loc_ids = [loc.pk for loc in locs]
    closures: dict[int, list[date]] = defaultdict(list)
    for c in Closure.objects.filter(Q(location_id__in=loc_ids) | Q(location__isnull=True)):
        day = c.start_date
        while day <= c.end_date:
            for lid in [c.location_id] if c.location_id else loc_ids:
                closures[lid].append(day)
            day += timedelta(days=1)
    locations = tuple(slots.Location(loc.pk, loc.time_zone, tuple(closures[loc.pk])) for loc in locs)

    pracs = Practitioner.objects.filter(is_active=True)
    if disciplines is not None or practitioner_ids is not None:
        pracs = pracs.filter(Q(discipline__code__in=disciplines or set()) | Q(pk__in=practitioner_ids or set()))
    discipline_of = dict(pracs.values_list("pk", "discipline__code"))
    weekly: dict[tuple[int, int], list[slots.WeeklyHours]] = defaultdict(list)
    for pid, lid, weekday, start_time, end_time in WorkingHours.objects.filter(
            practitioner_id__in=discipline_of, location_id__in=loc_ids).values_list(
            "practitioner_id", "location_id", "weekday", "start_time", "end_time"):
        weekly[(pid, lid)].append(slots.WeeklyHours(weekday, start_time, end_time))
    extra: dict[tuple[int, int], list[slots.Interval]] = defaultdict(list)
    time_off: dict[int, list[slots.Interval]] = defaultdict(list)
    for e in AvailabilityException.objects.filter(practitioner_id__in=discipline_of):
        iv = slots.Interval(e.start, e.end)
        if e.kind == ExceptionKind.TIME_OFF:
            time_off[e.practitioner_id].append(iv)
        elif e.location_id in loc_ids:
            extra[(e.practitioner_id, e.location_id)].append(iv)
    keys = sorted(set(weekly) | set(extra))
    calendars = tuple(
        slots.PractitionerCalendar(pid, discipline_of[pid], lid, tuple(weekly[(pid, lid)]), tuple(extra[(pid, lid)]),
                                   tuple(time_off[pid]))
        for pid, lid in keys
    )
    rooms_qs = Room.objects.filter(is_active=True, location_id__in=loc_ids)
    if room_types is not None:
        rooms_qs = rooms_qs.filter(room_type__in=room_types)
    rooms = tuple(slots.Room(pk, lid, kind) for pk, lid, kind in rooms_qs.values_list("pk", "location_id",
                                                                                       "room_type"))
    return slots.Clinic(locations, calendars, rooms)


def _as_utc(value) -> datetime:
    """Read a datetime column from a raw row: SQLite gives naive UTC text, PostgreSQL aware datetimes."""
    if isinstance(value, str):
        return datetime.fromisoformat(value).replace(tzinfo=UTC)
    return value if value.tzinfo is not None else value.replace(tzinfo=UTC)


class _Text(Func):
    """A datetime column read as its stored text on SQLite: ``col || ''`` has no declared type, so
    sqlite3 skips Django's per-value Python converter and :func:`_as_utc` parses it in C."""

    template = "(%(expressions)s || '')"
    output_field = CharField()


# No appointment (with its buffer or turnover) lasts a day: rows starting earlier cannot reach the range.
LONGEST_APPOINTMENT = timedelta(days=1)


_NEW, _SET = object.__new__, object.__setattr__


def _interval(start: datetime, end: datetime) -> slots.Interval:
    """An engine Interval from a database row, which is already UTC with start < end (the check
    constraint and a non-negative buffer): skip the engine's re-validation, the search's hot spot."""
    iv = _NEW(slots.Interval)
    _SET(iv, "start", start)
    _SET(iv, "end", end)
    return iv


class BusyLoader:
    """Busy time of the given practitioners, rooms and patient for a growing window from ``start``:
    each :meth:`extend` fetches only the rows the previous ones did not (one query over the
    ``start`` index; rows are read raw: the ORM's per-value datetime converters cost more than the
    search)."""

    def __init__(self, *, start: datetime, practitioner_ids: Iterable[int] | None = None,
                 room_ids: Iterable[int] | None = None, patient_id: int | None = None,
                 exclude_block_id: int | None = None, exclude_appointment_id: int | None = None) -> None:
        self.start, self.patient_id = start, patient_id
        self.wanted_p = set(practitioner_ids) if practitioner_ids is not None else None
        self.wanted_r = set(room_ids) if room_ids is not None else None
        qs = Appointment.objects.filter(Q(practitioner_until__gt=start) | Q(room_until__gt=start),
                                        status__in=ACTIVE_VALUES).order_by("start")
        if exclude_block_id is not None:
            qs = qs.exclude(block_id=exclude_block_id)
        if exclude_appointment_id is not None:
            qs = qs.exclude(pk=exclude_appointment_id)
        if self.wanted_p is not None and self.wanted_r is not None:
            relevant = Q(practitioner_id__in=self.wanted_p) | Q(room_id__in=self.wanted_r)
            if patient_id is not None:
                relevant |= Q(patient_id=patient_id)
            qs = qs.filter(relevant)
        self.qs = qs
        # A block ending at ``end`` still holds its practitioner and room for the buffer or turnover after it.
        tail = Service.objects.aggregate(b=Max("buffer_minutes"), t=Max("room_turnover_minutes"))
        self.tail = timedelta(minutes=max(tail["b"] or 0, tail["t"] or 0))
        self.fetched_from = start - LONGEST_APPOINTMENT
        self.pb: dict[int, list[slots.Interval]] = defaultdict(list)
        self.rb: dict[int, list[slots.Interval]] = defaultdict(list)
        self.patient: list[slots.Interval] = []

    def extend(self, end: datetime) -> slots.Busy:
        """Return the busy time overlapping ``[start, end)`` (and the longest buffer or turnover after it)."""
        upper = end + self.tail
        if upper <= self.fetched_from:
            return slots.Busy(self.pb, self.rb, self.patient)
        times = ["start", "end", "practitioner_until", "room_until"]
        qs = self.qs.filter(start__gte=self.fetched_from, start__lt=upper)
        if connection.vendor == "sqlite":
            qs = qs.annotate(**{f"{name}_text": _Text(name) for name in times})
            times = [f"{name}_text" for name in times]
        sql, params = qs.values_list("practitioner_id", "room_id", "patient_id", *times).query.sql_with_params()
        self.fetched_from = upper
        pb, rb, patient, wanted_p, wanted_r = self.pb, self.rb, self.patient, self.wanted_p, self.wanted_r
        patient_id, interval = self.patient_id, _interval
        # Appointments start and end on a coarse grid: parse each distinct instant once, and share one
        # Interval between practitioner and room when buffer and turnover are equal.
        parsed: dict = {}

        def when(value) -> datetime:
            out = parsed.get(value)
            if out is None:
                out = parsed[value] = _as_utc(value)
            return out

        with connection.cursor() as cursor:
            cursor.execute(sql, params)
            for pid, rid, pat, s, e, p_until, r_until in cursor.fetchall():
                start, p_iv = when(s), None
                if wanted_p is None or pid in wanted_p:
                    p_iv = interval(start, when(p_until))
                    pb[pid].append(p_iv)
                if wanted_r is None or rid in wanted_r:
                    rb[rid].append(p_iv if p_iv is not None and r_until == p_until else interval(start, when(r_until)))
                if patient_id is not None and pat == patient_id:
                    patient.append(interval(start, when(e)))
        return slots.Busy(pb, rb, patient)


def load_busy(*, start: datetime, end: datetime, practitioner_ids: Iterable[int] | None = None,
              room_ids: Iterable[int] | None = None, patient_id: int | None = None,
              exclude_block_id: int | None = None, exclude_appointment_id: int | None = None) -> slots.Busy:
    """Load the active appointments whose practitioner, room or patient time overlaps ``[start, end)``
    (or the longest buffer or room turnover after ``end``, which a block ending at ``end`` still holds)."""
    return BusyLoader(start=start, practitioner_ids=practitioner_ids, room_ids=room_ids, patient_id=patient_id,
                      exclude_block_id=exclude_block_id, exclude_appointment_id=exclude_appointment_id).extend(end)


def component_requests(asks: list[ComponentAsk]) -> tuple[list[slots.ComponentRequest], list[Service]]:
    """Turn component asks into engine requests; 422 naming the component for unknown ids."""
    services = {s.pk: s for s in Service.objects.filter(pk__in=[a.service_id for a in asks]).prefetch_related(
        "disciplines")}
    named = {p.pk for p in Practitioner.objects.filter(pk__in=[a.practitioner_id for a in asks if a.practitioner_id],
                                                       is_active=True)}
    errors: list[FieldError] = []
    out: list[slots.ComponentRequest] = []
    used: list[Service] = []
    for i, ask in enumerate(asks):
        service = services.get(ask.service_id)
        if service is None or not service.is_active:
            errors.append(FieldError(f"components[{i}].service_id", f"Unknown service {ask.service_id}."))
            continue
        if ask.practitioner_id is not None and ask.practitioner_id not in named:
            errors.append(FieldError(f"components[{i}].practitioner_id",
                                     f"Unknown practitioner {ask.practitioner_id}."))
            continue
        used.append(service)
        out.append(slots.ComponentRequest(
            service_id=service.pk, duration=timedelta(minutes=service.duration_minutes), room_type=service.room_type,
            allowed_disciplines=frozenset(d.code for d in service.disciplines.all()),
            practitioner_id=ask.practitioner_id, buffer_after=timedelta(minutes=service.buffer_minutes),
            room_turnover=timedelta(minutes=service.room_turnover_minutes),
            min_gap=timedelta(minutes=ask.min_gap_minutes), max_gap=timedelta(minutes=ask.max_gap_minutes),
            concurrent_with=ask.concurrent_with,
        ))
    if not asks:
        errors.append(FieldError("components", "Add at least one component."))
    if errors:
        raise validation_error(errors)
    return out, used


def engine_error(exc: slots.SlotSearchError) -> ApplicationError:
    """Map an engine rejection to a 422 problem naming ``components[i].field``."""
    fields = {"allowed_disciplines": "service_id", "room_type": "service_id", "duration": "service_id"}
    if exc.component_index is not None:
        name = f"components[{exc.component_index}].{fields.get(exc.field, exc.field)}"
    else:
        name = exc.field
    return validation_error([FieldError(name, exc.message)])


SEARCH_WINDOWS = (timedelta(days=1), timedelta(days=3), timedelta(days=7), timedelta(days=14), timedelta(days=28))


def slot_search(*, asks: list[ComponentAsk], range_start: datetime, range_end: datetime, now: datetime,
                patient_id: int | None = None, preferences: slots.Preferences | None = None,
                limit: int = 10, exclude_block_id: int | None = None,
                only_practitioner_ids: set[int] | None = None,
                exclude_appointment_id: int | None = None) -> tuple[slots.BlockOption, ...]:
    """Return the earliest ``limit`` visit blocks for the asks; 422 for bad input (naming the component).

    Searches a growing window (1, 3, 7, 14 and 28 days, then the whole range), fetching only the
    new days' appointments each time, so that a typical search loads days instead of months. A window's answer is kept only when it must equal the
    whole range's answer: every returned block starts early enough that any block starting then
    (at most the sum of durations and maximum gaps long) fits inside the window.
    ``only_practitioner_ids`` limits the search to those practitioners (a waitlist entry's allowed ones).
    """
    preferences = preferences or slots.Preferences()
    comps, _ = component_requests(asks)
    disciplines = set().union(*(c.allowed_disciplines for c in comps))
    named = {c.practitioner_id for c in comps if c.practitioner_id}
    locs = [preferences.location_id] if preferences.location_id else None
    if only_practitioner_ids is not None:
        disciplines, named = set(), named | set(only_practitioner_ids)
    clinic = load_clinic(location_ids=locs, disciplines=disciplines, practitioner_ids=named,
                         room_types={c.room_type for c in comps})
    span = sum((c.duration + c.max_gap for c in comps), timedelta())
    practitioner_ids = {c.practitioner_id for c in clinic.calendars}
    room_ids = {r.room_id for r in clinic.rooms}
    windows = [range_start + w for w in SEARCH_WINDOWS if range_start + w < range_end] + [range_end]
    loader = BusyLoader(start=range_start, practitioner_ids=practitioner_ids, room_ids=room_ids,
                        patient_id=patient_id, exclude_block_id=exclude_block_id,
                        exclude_appointment_id=exclude_appointment_id)
    for window_end in windows:
        busy = loader.extend(window_end)
        request = slots.SearchRequest(tuple(comps), range_start, window_end, now, limit=limit,
                                      granularity=timedelta(minutes=5), preferences=preferences)
        try:
            found = slots.find_blocks(request, clinic, busy)
        except slots.SlotSearchError as exc:
            raise engine_error(exc) from exc
        if window_end == range_end or (len(found) == limit and found[-1].start + span <= window_end):
            return found
    raise AssertionError("unreachable: the last window is the whole range")


def is_available(*, practitioner_id: int, location: Location, start: datetime, end: datetime) -> bool:
    """Return True when ``[start, end)`` lies in the practitioner's hours (or extra hours) at the
    location, misses their time off and the location's closures."""
    tz = ZoneInfo(location.time_zone)
    ls, le = start.astimezone(tz), end.astimezone(tz)
    if Closure.objects.filter(Q(location=location) | Q(location__isnull=True), start_date__lte=le.date(),
                              end_date__gte=ls.date()).exists():
        return False
    exceptions = AvailabilityException.objects.filter(practitioner_id=practitioner_id, start__lt=end, end__gt=start)
    if exceptions.filter(kind=ExceptionKind.TIME_OFF).exists():
        return False
    if exceptions.filter(kind=ExceptionKind.EXTRA, location=location, start__lte=start, end__gte=end).exists():
        return True
    if ls.date() != le.date() and le.time() != time(0):
        return False
    end_t = le.time() if le.time() != time(0) else time(23, 59, 59)
    return WorkingHours.objects.filter(practitioner_id=practitioner_id, location=location, weekday=ls.weekday(),
                                       start_time__lte=ls.time(), end_time__gte=end_t).exists()


def blocks_query(*, day_start: datetime | None = None, day_end: datetime | None = None,
                 practitioner_id: int | None = None, patient_id: int | None = None,
                 location_id: int | None = None) -> QuerySet[VisitBlock]:
    """Visit blocks filtered by time window, practitioner (any component), patient and location."""
    qs = VisitBlock.objects.select_related("patient", "location").order_by("start", "id")
    if day_start is not None:
        qs = qs.filter(end__gt=day_start)
    if day_end is not None:
        qs = qs.filter(start__lt=day_end)
    if practitioner_id is not None:
        qs = qs.filter(appointments__practitioner_id=practitioner_id).distinct()
    if patient_id is not None:
        qs = qs.filter(patient_id=patient_id)
    if location_id is not None:
        qs = qs.filter(location_id=location_id)
    return qs


def get_block(block_id: int) -> VisitBlock:
    """Return the block with its appointments; 404 when missing. Callers then call access_patient."""
    block = VisitBlock.objects.select_related("patient", "location").filter(pk=block_id).first()
    if block is None:
        raise ApplicationError(ErrorCode.NOT_FOUND, f"No visit block {block_id}.")
    return block


def block_appointments(block: VisitBlock) -> list[Appointment]:
    return list(block.appointments.select_related("service", "practitioner__discipline", "room").order_by("position"))


def local_day_bounds(day: date, tz: str) -> tuple[datetime, datetime]:
    """Return the UTC instants of local midnight at ``day`` and the next day (DST-safe)."""
    zone = ZoneInfo(tz)
    return (datetime.combine(day, time(0), tzinfo=zone), datetime.combine(day + timedelta(days=1), time(0), tzinfo=zone))


def reschedule_options(*, block: VisitBlock, range_start: datetime, range_end: datetime, now: datetime,
                       keep_practitioners: bool = True, limit: int = 10) -> tuple[slots.BlockOption, ...]:
    """Search new times for the block's active components (same services and order, same location;
    the same practitioners unless ``keep_practitioners`` is False), ignoring the block's own time."""
    appts = [a for a in block.appointments.order_by("position") if a.status in ("booked", "confirmed")]
    if not appts:
        raise ApplicationError(ErrorCode.CONFLICT, "This visit block has nothing left to reschedule.")
    asks = []
    for i, a in enumerate(appts):
        together = next((j for j in range(i) if appts[j].start == a.start), None)
        gap = 0 if i == 0 else max(0, int((a.start - max(x.end for x in appts[:i])).total_seconds() // 60))
        asks.append(ComponentAsk(a.service_id, a.practitioner_id if keep_practitioners else None, 0,
                                 max(30, gap), together))
    return slot_search(asks=asks, range_start=range_start, range_end=range_end, now=now, patient_id=block.patient_id,
                       preferences=slots.Preferences(location_id=block.location_id), limit=limit,
                       exclude_block_id=block.pk)


@dataclass(frozen=True, slots=True)
class Bounds:
    """Where one component may go and still keep its place in its visit: start at or after
    ``earliest_start`` and at or before ``latest_start``; end at or before ``latest_end`` and at or
    after ``earliest_end`` (None: no bound on that side)."""

    earliest_start: datetime | None = None
    latest_start: datetime | None = None
    earliest_end: datetime | None = None
    latest_end: datetime | None = None

    def allows(self, start: datetime, end: datetime) -> bool:
        return ((self.earliest_start is None or start >= self.earliest_start)
                and (self.latest_start is None or start <= self.latest_start)
                and (self.earliest_end is None or end >= self.earliest_end)
                and (self.latest_end is None or end <= self.latest_end))


def neighbour_bounds(appointment: Appointment, appointments: list[Appointment]) -> Bounds:
    """Keep a component between its active neighbours in position order: after the previous one
    ends (or with it, when they ran together) and no more than the block's gap allowance after it
    (30 minutes, or the gap it had); likewise before the next one starts."""
    live = [a for a in appointments if a.pk != appointment.pk and a.status in ACTIVE_VALUES]
    prev = max((a for a in live if a.position < appointment.position), key=lambda a: a.position, default=None)
    nxt = min((a for a in live if a.position > appointment.position), key=lambda a: a.position, default=None)
    earliest_start = latest_start = earliest_end = latest_end = None
    if prev is not None:
        if appointment.start < prev.end:  # ran together with the previous component
            earliest_start = latest_start = None if appointment.start != prev.start else prev.start
        else:
            gap = max(timedelta(minutes=30), appointment.start - prev.end)
            earliest_start, latest_start = prev.end, prev.end + gap
    if nxt is not None:
        if nxt.start == appointment.start:  # the next component runs together with this one: stay with it
            earliest_start = latest_start = nxt.start
        elif nxt.start > appointment.start and nxt.start < appointment.end:  # overlaps: end before it does
            latest_end = nxt.end
        elif nxt.start >= appointment.end:
            gap = max(timedelta(minutes=30), nxt.start - appointment.end)
            latest_end, earliest_end = nxt.start, nxt.start - gap
    return Bounds(earliest_start, latest_start, earliest_end, latest_end)


def component_options(*, appointment: Appointment, range_start: datetime, range_end: datetime, now: datetime,
                      keep_practitioner: bool = True, keep_in_visit: bool = True,
                      limit: int = 10) -> tuple[Bounds, tuple[slots.BlockOption, ...]]:
    """Search new times for one component of a block, the others staying where they are: the same
    service at the block's location, the same practitioner unless ``keep_practitioner`` is False;
    with ``keep_in_visit`` only times that keep it in its place between its neighbours
    (:func:`neighbour_bounds`). The component's own time is ignored; the other components count as
    the patient's busy time. Return the bounds used and the options."""
    if appointment.status not in ("booked", "confirmed"):
        raise ApplicationError(ErrorCode.CONFLICT, f"Component {appointment.position + 1} is "
                               f"{appointment.get_status_display()}; it cannot be moved.")
    bounds = Bounds()
    if keep_in_visit:
        bounds = neighbour_bounds(appointment, list(appointment.block.appointments.all()))
        if bounds.earliest_start is not None:
            range_start = max(range_start, bounds.earliest_start)
        if bounds.latest_end is not None:
            range_end = min(range_end, bounds.latest_end)
        if bounds.latest_start is not None and bounds.latest_end is None:
            range_end = min(range_end, bounds.latest_start + (appointment.end - appointment.start))
    if range_end <= range_start:
        return bounds, ()
    # The patient's time is checked here rather than in the engine: components that ran together
    # with this one may keep overlapping it.
    ok = {appointment.pk} | concurrent_siblings(appointment, list(appointment.block.appointments.all()))
    patient_busy = list(Appointment.objects.filter(patient_id=appointment.patient_id, status__in=ACTIVE_VALUES,
                                                   start__lt=range_end, end__gt=range_start)
                        .exclude(pk__in=ok).values_list("start", "end"))
    ask = ComponentAsk(appointment.service_id, appointment.practitioner_id if keep_practitioner else None)
    found = slot_search(asks=[ask], range_start=range_start, range_end=range_end, now=now,
                        preferences=slots.Preferences(location_id=appointment.block.location_id),
                        limit=max(limit * 5, 50), exclude_appointment_id=appointment.pk)
    fits = [o for o in found if bounds.allows(o.start, o.end)
            and not any(s < o.end and o.start < e for s, e in patient_busy)]
    return bounds, tuple(fits[:limit])


def concurrent_siblings(appointment: Appointment, appointments: list[Appointment]) -> set[int]:
    """Ids of the block's other active components that overlap this one (they ran together)."""
    return {a.pk for a in appointments if a.pk != appointment.pk and a.status in ACTIVE_VALUES
            and a.start < appointment.end and appointment.start < a.end}
