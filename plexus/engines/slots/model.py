"""Input and output dataclasses of the slot search engine.

All instants are aware datetimes normalised to UTC; intervals are half-open ``[start, end)``.
Weekly hours are local wall-clock times at the location (IANA zone on :class:`Location`).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta

from .errors import SlotSearchError


def as_utc(value: datetime, field_name: str) -> datetime:
    """Return ``value`` in UTC; reject naive datetimes."""
    if not isinstance(value, datetime) or value.tzinfo is None or value.utcoffset() is None:
        raise SlotSearchError("must be an aware datetime", field=field_name)
    return value if value.tzinfo is UTC else value.astimezone(UTC)


@dataclass(frozen=True, slots=True)
class Interval:
    """Hold the half-open UTC interval ``[start, end)``. Require aware datetimes and start < end."""

    start: datetime
    end: datetime

    def __post_init__(self) -> None:
        object.__setattr__(self, "start", as_utc(self.start, "interval.start"))
        object.__setattr__(self, "end", as_utc(self.end, "interval.end"))
        if not self.start < self.end:
            raise SlotSearchError("end must be after start", field="interval.end")


@dataclass(frozen=True, slots=True)
class WeeklyHours:
    """Hold recurring local hours ``[start, end)`` on ``weekday`` (0 = Monday). Require start < end."""

    weekday: int
    start: time
    end: time

    def __post_init__(self) -> None:
        if not 0 <= self.weekday <= 6:
            raise SlotSearchError("weekday must be 0 (Monday) to 6 (Sunday)", field="weekly.weekday")
        if self.start.tzinfo is not None or self.end.tzinfo is not None:
            raise SlotSearchError("weekly hours are naive local wall-clock times", field="weekly")
        if not self.start < self.end:
            raise SlotSearchError("end must be after start (no overnight hours)", field="weekly.end")


@dataclass(frozen=True, slots=True)
class Location:
    """Describe a building: its IANA time zone and its closures.

    A ``date`` closure closes the whole local day; an :class:`Interval` closes that span. Closures
    apply to every practitioner calendar and room at the location (practice-wide closures are
    repeated on every location by the caller).
    """

    location_id: int
    tz: str
    closures: tuple[date | Interval, ...] = ()


@dataclass(frozen=True, slots=True)
class PractitionerCalendar:
    """Describe when a practitioner works at one location.

    Available time = (weekly local hours ∪ ``extra``) − time off − location closures. Time off is
    personal: the ``time_off`` of every calendar of the practitioner applies at every location.
    A practitioner with calendars at several locations repeats the same ``discipline``.
    """

    practitioner_id: int
    discipline: str
    location_id: int
    weekly: tuple[WeeklyHours, ...] = ()
    extra: tuple[Interval, ...] = ()
    time_off: tuple[Interval, ...] = ()


@dataclass(frozen=True, slots=True)
class Room:
    """Describe a room of ``room_type`` at a location.

    ``weekly=None`` means the room is open whenever the location is not closed; otherwise it is
    open only during its weekly local hours. ``closures`` (maintenance, ...) are removed.
    """

    room_id: int
    location_id: int
    room_type: str
    weekly: tuple[WeeklyHours, ...] | None = None
    closures: tuple[Interval, ...] = ()


@dataclass(frozen=True, slots=True)
class Clinic:
    """Hold the practice's locations, practitioner calendars and rooms."""

    locations: tuple[Location, ...]
    calendars: tuple[PractitionerCalendar, ...]
    rooms: tuple[Room, ...]


@dataclass(frozen=True, slots=True)
class Busy:
    """Hold existing commitments. Intervals of practitioners and rooms already include buffers.

    Practitioner busy time applies at every location. On construction every sequence is stored
    as a tuple sorted by start (linear for input already sorted, e.g. ``ORDER BY start``) and the
    longest interval of each is noted, so one ``Busy`` can serve many searches cheaply.
    """

    practitioner_busy: Mapping[int, Sequence[Interval]] = field(default_factory=dict)
    room_busy: Mapping[int, Sequence[Interval]] = field(default_factory=dict)
    patient_busy: Sequence[Interval] = ()
    longest: Mapping[tuple[str, int], timedelta] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        longest: dict[tuple[str, int], timedelta] = {}
        maps: list[dict[int, tuple[Interval, ...]]] = []
        for kind, mapping in (("p", self.practitioner_busy), ("r", self.room_busy)):
            normal: dict[int, tuple[Interval, ...]] = {}
            for key, seq in mapping.items():
                normal[key] = _sorted(seq)
                longest[(kind, key)] = _longest(normal[key])
            maps.append(normal)
        patient = _sorted(self.patient_busy)
        longest[("u", 0)] = _longest(patient)
        object.__setattr__(self, "practitioner_busy", maps[0])
        object.__setattr__(self, "room_busy", maps[1])
        object.__setattr__(self, "patient_busy", patient)
        object.__setattr__(self, "longest", longest)


def _start(interval: Interval) -> datetime:
    return interval.start


def _sorted(seq: Sequence[Interval]) -> tuple[Interval, ...]:
    return tuple(sorted(seq, key=_start))


def _longest(seq: Sequence[Interval]) -> timedelta:
    return max((iv.end - iv.start for iv in seq), default=timedelta(0))


@dataclass(frozen=True, slots=True)
class ComponentRequest:
    """Describe one appointment of the visit.

    Give ``allowed_disciplines`` or ``practitioner_id`` (both: the named practitioner must have an
    allowed discipline). The appointment occupies ``[start, start + duration)``; the practitioner is
    also blocked for ``buffer_after`` and the room for ``room_turnover`` after it. Component 0 starts
    the block. Component ``i > 0`` is sequential: it starts ``min_gap + k·granularity`` (``k >= 0``,
    at most ``max_gap``) after every earlier component has ended; or, with ``concurrent_with=j``
    (``j < i``), it starts together with component ``j`` (gaps are then ignored).
    """

    service_id: int
    duration: timedelta
    room_type: str
    allowed_disciplines: frozenset[str] = frozenset()
    practitioner_id: int | None = None
    buffer_after: timedelta = timedelta(0)
    room_turnover: timedelta = timedelta(0)
    min_gap: timedelta = timedelta(0)
    max_gap: timedelta = timedelta(minutes=30)
    concurrent_with: int | None = None


@dataclass(frozen=True, slots=True)
class Preferences:
    """Restrict and rank blocks.

    Hard filters, in the location's local time: the block starts on one of ``weekdays`` at or after
    ``earliest_time`` on its local start date, and ends at or before ``latest_time`` on that date;
    it is at ``location_id``. Soft: blocks using more ``preferred_practitioners`` rank higher.
    """

    earliest_time: time | None = None
    latest_time: time | None = None
    weekdays: frozenset[int] | None = None
    location_id: int | None = None
    preferred_practitioners: frozenset[int] = frozenset()


@dataclass(frozen=True, slots=True)
class SearchRequest:
    """Ask for the earliest ``limit`` visit blocks inside ``[range_start, range_end)``.

    ``now`` is the clock: no block starts before it. Block starts lie on the ``granularity`` grid
    counted from the Unix epoch (UTC), e.g. :00/:05/... for 5 minutes.
    """

    components: tuple[ComponentRequest, ...]
    range_start: datetime
    range_end: datetime
    now: datetime
    limit: int = 10
    granularity: timedelta = timedelta(minutes=5)
    preferences: Preferences = Preferences()


@dataclass(frozen=True, slots=True)
class PlacedComponent:
    """Place component ``component_index`` with a practitioner and room at ``[start, end)``."""

    component_index: int
    service_id: int
    practitioner_id: int
    room_id: int
    start: datetime
    end: datetime


@dataclass(frozen=True, slots=True)
class BlockOption:
    """Offer one feasible visit block at one location.

    ``total_wait`` sums the gaps before sequential components; ``preferred_count`` counts components
    given to a preferred practitioner.
    """

    start: datetime
    end: datetime
    location_id: int
    components: tuple[PlacedComponent, ...]
    total_wait: timedelta
    preferred_count: int
