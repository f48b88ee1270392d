"""Check a search request against the clinic and compile it into an integer plan.

Every rejection is a :class:`SlotSearchError` naming the component and field.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from .errors import (
    InvalidGapError,
    InvalidRangeError,
    NoQualifiedPractitionerError,
    NoRoomError,
    RangeInPastError,
    SlotSearchError,
    UnknownPractitionerError,
)
from .intervals import ceil_ts, floor_ts, seconds
from .model import Clinic, ComponentRequest, Location, PractitionerCalendar, Room, SearchRequest, as_utc


@dataclass(frozen=True, slots=True)
class ComponentPlan:
    """Hold one component in whole seconds, with its start offset range from the block start."""

    index: int
    duration: int
    buffer_after: int
    room_turnover: int
    min_gap: int
    gap_choices: int
    concurrent_with: int | None
    offset_lo: int
    offset_hi: int


@dataclass(frozen=True, slots=True)
class LocationPlan:
    """Hold, for one candidate location, the eligible practitioner and room ids of each component."""

    location: Location
    tz: ZoneInfo
    practitioners: tuple[tuple[int, ...], ...]
    rooms: tuple[tuple[int, ...], ...]


@dataclass(frozen=True, slots=True)
class Plan:
    """Hold a validated request compiled to epoch seconds."""

    components: tuple[ComponentPlan, ...]
    locations: tuple[LocationPlan, ...]
    first_start: int
    range_end: int
    step: int
    min_span: int
    max_reach: int
    calendars: dict[tuple[int, int], PractitionerCalendar]
    rooms: dict[int, Room]


def _check_component(index: int, comp: ComponentRequest) -> None:
    if comp.duration <= timedelta(0):
        raise SlotSearchError("must be positive", field="duration", component_index=index)
    for name in ("buffer_after", "room_turnover"):
        if getattr(comp, name) < timedelta(0):
            raise SlotSearchError("must not be negative", field=name, component_index=index)
    if not comp.allowed_disciplines and comp.practitioner_id is None:
        raise NoQualifiedPractitionerError(
            "give allowed disciplines or a practitioner", field="allowed_disciplines", component_index=index
        )
    if comp.concurrent_with is not None:
        if not 0 <= comp.concurrent_with < index:
            raise InvalidGapError(
                f"must name an earlier component (0..{index - 1}), got {comp.concurrent_with}",
                field="concurrent_with",
                component_index=index,
            )
        return
    if index > 0:
        if comp.min_gap < timedelta(0):
            raise InvalidGapError("must not be negative", field="min_gap", component_index=index)
        if comp.min_gap > comp.max_gap:
            raise InvalidGapError(
                f"min_gap {comp.min_gap} exceeds max_gap {comp.max_gap}",
                field="min_gap",
                component_index=index,
            )


def _offsets(request: SearchRequest, step: int) -> tuple[ComponentPlan, ...]:
    plans: list[ComponentPlan] = []
    end_lo = end_hi = 0
    for i, comp in enumerate(request.components):
        dur = seconds(comp.duration)
        if i == 0:
            lo = hi = 0
            choices = 1
            min_gap = 0
        elif comp.concurrent_with is not None:
            lo, hi = plans[comp.concurrent_with].offset_lo, plans[comp.concurrent_with].offset_hi
            choices = 1
            min_gap = 0
        else:
            min_gap = seconds(comp.min_gap)
            choices = (seconds(comp.max_gap) - min_gap) // step + 1
            lo = end_lo + min_gap
            hi = end_hi + min_gap + (choices - 1) * step
        plans.append(
            ComponentPlan(
                index=i,
                duration=dur,
                buffer_after=seconds(comp.buffer_after),
                room_turnover=seconds(comp.room_turnover),
                min_gap=min_gap,
                gap_choices=choices,
                concurrent_with=comp.concurrent_with if i > 0 else None,
                offset_lo=lo,
                offset_hi=hi,
            )
        )
        end_lo = max(end_lo, lo + dur)
        end_hi = max(end_hi, hi + dur)
    return tuple(plans)


def _zone(location: Location) -> ZoneInfo:
    try:
        return ZoneInfo(location.tz)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise SlotSearchError(
            f"unknown time zone {location.tz!r} at location {location.location_id}", field="locations.tz"
        ) from exc


def _index_clinic(
    clinic: Clinic,
) -> tuple[dict[int, Location], dict[tuple[int, int], PractitionerCalendar], dict[int, str], dict[int, Room]]:
    locations = {loc.location_id: loc for loc in clinic.locations}
    calendars: dict[tuple[int, int], PractitionerCalendar] = {}
    disciplines: dict[int, str] = {}
    for cal in clinic.calendars:
        if cal.location_id not in locations:
            raise SlotSearchError(
                f"calendar of practitioner {cal.practitioner_id} names unknown location {cal.location_id}",
                field="calendars.location_id",
            )
        key = (cal.practitioner_id, cal.location_id)
        if key in calendars:
            raise SlotSearchError(
                f"practitioner {cal.practitioner_id} has two calendars at location {cal.location_id}",
                field="calendars",
            )
        if disciplines.setdefault(cal.practitioner_id, cal.discipline) != cal.discipline:
            raise SlotSearchError(
                f"practitioner {cal.practitioner_id} has two disciplines", field="calendars.discipline"
            )
        calendars[key] = cal
    rooms: dict[int, Room] = {}
    for room in clinic.rooms:
        if room.location_id not in locations:
            raise SlotSearchError(
                f"room {room.room_id} names unknown location {room.location_id}", field="rooms.location_id"
            )
        if room.room_id in rooms:
            raise SlotSearchError(f"room {room.room_id} is listed twice", field="rooms")
        rooms[room.room_id] = room
    return locations, calendars, disciplines, rooms


def build_plan(request: SearchRequest, clinic: Clinic) -> Plan:
    """Validate ``request`` against ``clinic`` and compile it; raise SlotSearchError on bad input."""
    if not request.components:
        raise SlotSearchError("a visit needs at least one component", field="components")
    range_start = as_utc(request.range_start, "range_start")
    range_end = as_utc(request.range_end, "range_end")
    now = as_utc(request.now, "now")
    if range_end <= range_start:
        raise InvalidRangeError("range_end must be after range_start", field="range_end")
    if range_end <= now:
        raise RangeInPastError("the range ends before now", field="range_end")
    if request.limit < 1:
        raise SlotSearchError("must be at least 1", field="limit")
    step = seconds(request.granularity)
    if step < 1 or request.granularity != timedelta(seconds=step):
        raise SlotSearchError("must be a positive whole number of seconds", field="granularity")
    prefs = request.preferences
    if prefs.weekdays is not None and not all(0 <= d <= 6 for d in prefs.weekdays):
        raise SlotSearchError("weekdays are 0 (Monday) to 6 (Sunday)", field="preferences.weekdays")
    if prefs.earliest_time is not None and prefs.latest_time is not None and prefs.earliest_time >= prefs.latest_time:
        raise SlotSearchError("earliest_time must be before latest_time", field="preferences.earliest_time")
    for i, comp in enumerate(request.components):
        _check_component(i, comp)

    locations, calendars, disciplines, rooms = _index_clinic(clinic)
    if prefs.location_id is not None:
        if prefs.location_id not in locations:
            raise SlotSearchError(f"unknown location {prefs.location_id}", field="preferences.location_id")
        candidate_ids = [prefs.location_id]
    else:
        candidate_ids = sorted(locations)

    per_loc: dict[int, tuple[list[tuple[int, ...]], list[tuple[int, ...]]]] = {
        loc_id: ([], []) for loc_id in candidate_ids
    }
    for i, comp in enumerate(request.components):
        if comp.practitioner_id is not None:
            if comp.practitioner_id not in disciplines:
                raise UnknownPractitionerError(
                    f"unknown practitioner {comp.practitioner_id}", field="practitioner_id", component_index=i
                )
            if comp.allowed_disciplines and disciplines[comp.practitioner_id] not in comp.allowed_disciplines:
                raise NoQualifiedPractitionerError(
                    f"practitioner {comp.practitioner_id} is a {disciplines[comp.practitioner_id]}, "
                    f"not one of {sorted(comp.allowed_disciplines)}",
                    field="practitioner_id",
                    component_index=i,
                )
        any_practitioner = any_room = False
        for loc_id, (pracs, rms) in per_loc.items():
            if comp.practitioner_id is not None:
                ids: tuple[int, ...] = (comp.practitioner_id,) if (comp.practitioner_id, loc_id) in calendars else ()
            else:
                ids = tuple(
                    sorted(
                        pid
                        for (pid, lid), cal in calendars.items()
                        if lid == loc_id and cal.discipline in comp.allowed_disciplines
                    )
                )
            room_ids = tuple(
                sorted(r.room_id for r in rooms.values() if r.location_id == loc_id and r.room_type == comp.room_type)
            )
            pracs.append(ids)
            rms.append(room_ids)
            any_practitioner = any_practitioner or bool(ids)
            any_room = any_room or bool(room_ids)
        where = f"location {prefs.location_id}" if prefs.location_id is not None else "any location"
        if not any_practitioner:
            who = (
                f"practitioner {comp.practitioner_id}"
                if comp.practitioner_id is not None
                else f"a practitioner of {sorted(comp.allowed_disciplines)}"
            )
            raise NoQualifiedPractitionerError(
                f"no {who} works at {where}",
                field="practitioner_id" if comp.practitioner_id is not None else "allowed_disciplines",
                component_index=i,
            )
        if not any_room:
            raise NoRoomError(f"no room of type {comp.room_type!r} at {where}", field="room_type", component_index=i)

    loc_plans = tuple(
        LocationPlan(
            location=locations[loc_id],
            tz=_zone(locations[loc_id]),
            practitioners=tuple(pracs),
            rooms=tuple(rms),
        )
        for loc_id, (pracs, rms) in per_loc.items()
        if all(pracs) and all(rms)
    )
    if not loc_plans:
        raise SlotSearchError("no single location has practitioners and rooms for every component", field="components")
    comps = _offsets(request, step)
    first = max(ceil_ts(range_start), ceil_ts(now))
    first = -(-first // step) * step
    return Plan(
        components=comps,
        locations=loc_plans,
        first_start=first,
        range_end=floor_ts(range_end),
        step=step,
        min_span=max(c.offset_lo + c.duration for c in comps),
        max_reach=max(c.offset_hi + c.duration + max(c.buffer_after, c.room_turnover) for c in comps),
        calendars=calendars,
        rooms=rooms,
    )
