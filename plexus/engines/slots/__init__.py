"""Visit-block slot search: pure Python, frozen dataclasses in and out, clock passed in.

Call :func:`find_blocks` with a :class:`SearchRequest`, the :class:`Clinic` (locations, practitioner
calendars, rooms) and the :class:`Busy` intervals; get the earliest feasible :class:`BlockOption`
tuples. :func:`find_blocks_reference` is the brute-force oracle used by tests and benchmarks.
"""

from .errors import (
    InvalidGapError,
    InvalidRangeError,
    NoQualifiedPractitionerError,
    NoRoomError,
    RangeInPastError,
    SlotSearchError,
    UnknownPractitionerError,
)
from .model import (
    BlockOption,
    Busy,
    Clinic,
    ComponentRequest,
    Interval,
    Location,
    PlacedComponent,
    PractitionerCalendar,
    Preferences,
    Room,
    SearchRequest,
    WeeklyHours,
)
from .reference import find_blocks_reference
from .search import find_blocks

__all__ = [
    "BlockOption",
    "Busy",
    "Clinic",
    "ComponentRequest",
    "Interval",
    "InvalidGapError",
    "InvalidRangeError",
    "Location",
    "NoQualifiedPractitionerError",
    "NoRoomError",
    "PlacedComponent",
    "PractitionerCalendar",
    "Preferences",
    "RangeInPastError",
    "Room",
    "SearchRequest",
    "SlotSearchError",
    "UnknownPractitionerError",
    "WeeklyHours",
    "find_blocks",
    "find_blocks_reference",
]
