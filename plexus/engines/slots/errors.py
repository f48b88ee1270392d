"""Errors raised by the slot search engine for bad input.

Every error names the offending component (``component_index``, ``None`` for request-level
problems) and field, so the scheduling app can turn it into an RFC 9457 problem document.
"""

from __future__ import annotations

from typing import ClassVar


class SlotSearchError(ValueError):
    """Reject a search request; carry the component index, the field and a human message."""

    code: ClassVar[str] = "invalid_request"

    def __init__(self, message: str, *, field: str, component_index: int | None = None) -> None:
        self.component_index = component_index
        self.field = field
        self.message = message
        where = f"component {component_index}, " if component_index is not None else ""
        super().__init__(f"{where}{field}: {message}")


class UnknownPractitionerError(SlotSearchError):
    """A component names a practitioner who has no calendar at all."""

    code = "unknown_practitioner"


class NoQualifiedPractitionerError(SlotSearchError):
    """No practitioner of an allowed discipline works at the candidate location(s)."""

    code = "no_qualified_practitioner"


class NoRoomError(SlotSearchError):
    """No room of the needed type exists at the candidate location(s)."""

    code = "no_room"


class InvalidRangeError(SlotSearchError):
    """The date range is empty or inverted."""

    code = "invalid_range"


class RangeInPastError(InvalidRangeError):
    """The date range ends at or before ``now``."""

    code = "range_in_past"


class InvalidGapError(SlotSearchError):
    """A gap rule cannot be met (min_gap > max_gap, negative gap, bad concurrent_with)."""

    code = "invalid_gap"
