"""Bad input is rejected with a SlotSearchError naming the component and field."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest

from plexus.engines.slots import (
    Busy,
    Clinic,
    ComponentRequest,
    InvalidGapError,
    InvalidRangeError,
    Location,
    NoQualifiedPractitionerError,
    NoRoomError,
    Preferences,
    RangeInPastError,
    Room,
    SearchRequest,
    SlotSearchError,
    UnknownPractitionerError,
    find_blocks,
    find_blocks_reference,
)

from .helpers import cal, comp, ny, request

CLINIC = Clinic(
    (Location(1, "America/New_York"), Location(2, "America/New_York")),
    (cal(1, "MD", 1), cal(2, "LAc", 1), cal(3, "LMT", 2)),
    (Room(10, 1, "exam"), Room(11, 1, "treatment"), Room(20, 2, "massage")),
)
MD = comp(1, 30, "exam", "MD")
LAC = comp(2, 45, "treatment", "LAc")
RANGE = ny(2026, 3, 2), ny(2026, 3, 9)


def rejected(req: SearchRequest) -> SlotSearchError:
    with pytest.raises(SlotSearchError) as caught:
        find_blocks(req, CLINIC, Busy())
    with pytest.raises(type(caught.value)):
        find_blocks_reference(req, CLINIC, Busy())
    return caught.value


@pytest.mark.parametrize(
    ("components", "prefs", "kind", "index", "field"),
    [
        (
            (MD, ComponentRequest(2, timedelta(minutes=30), "exam", practitioner_id=99)),
            None,
            UnknownPractitionerError,
            1,
            "practitioner_id",
        ),
        ((MD, LAC, comp(3, 30, "exam", "DC")), None, NoQualifiedPractitionerError, 2, "allowed_disciplines"),
        (
            (ComponentRequest(1, timedelta(minutes=30), "exam", frozenset({"LAc"}), practitioner_id=1),),
            None,
            NoQualifiedPractitionerError,
            0,
            "practitioner_id",
        ),
        (
            (ComponentRequest(1, timedelta(minutes=30), "exam"),),
            None,
            NoQualifiedPractitionerError,
            0,
            "allowed_disciplines",
        ),
        ((comp(1, 30, "sauna", "MD"),), None, NoRoomError, 0, "room_type"),
        ((MD,), Preferences(location_id=2), NoQualifiedPractitionerError, 0, "allowed_disciplines"),
        (
            (MD, comp(2, 60, "massage", "LMT", room_turnover=timedelta(minutes=15))),
            Preferences(location_id=1),
            NoQualifiedPractitionerError,
            1,
            "allowed_disciplines",
        ),
        (
            (MD, comp(2, 45, "treatment", "LAc", min_gap=timedelta(minutes=20), max_gap=timedelta(minutes=10))),
            None,
            InvalidGapError,
            1,
            "min_gap",
        ),
        ((MD, comp(2, 45, "treatment", "LAc", min_gap=timedelta(minutes=-5))), None, InvalidGapError, 1, "min_gap"),
        ((MD, comp(2, 45, "treatment", "LAc", concurrent_with=2), LAC), None, InvalidGapError, 1, "concurrent_with"),
        ((MD, comp(2, 45, "treatment", "LAc", concurrent_with=1)), None, InvalidGapError, 1, "concurrent_with"),
        ((MD, comp(2, 45, "treatment", "LAc", concurrent_with=7)), None, InvalidGapError, 1, "concurrent_with"),
        ((comp(1, 0, "exam", "MD"),), None, SlotSearchError, 0, "duration"),
        ((comp(1, 30, "exam", "MD", buffer_after=timedelta(minutes=-1)),), None, SlotSearchError, 0, "buffer_after"),
    ],
)
def test_component_errors_name_the_component(
    components: tuple[ComponentRequest, ...],
    prefs: Preferences | None,
    kind: type[SlotSearchError],
    index: int,
    field: str,
) -> None:
    error = rejected(request(components, *RANGE, prefs=prefs))
    assert type(error) is kind
    assert (error.component_index, error.field) == (index, field)
    assert isinstance(error, ValueError)
    assert f"component {index}" in str(error)


def test_no_location_hosts_every_component() -> None:
    error = rejected(request((MD, comp(2, 60, "massage", "LMT")), *RANGE))
    assert (error.component_index, error.field) == (None, "components")


@pytest.mark.parametrize(
    ("start", "end", "now", "kind", "field"),
    [
        (ny(2026, 3, 9), ny(2026, 3, 2), ny(2026, 3, 1), InvalidRangeError, "range_end"),
        (ny(2026, 3, 2), ny(2026, 3, 2), ny(2026, 3, 1), InvalidRangeError, "range_end"),
        (ny(2026, 3, 2), ny(2026, 3, 9), ny(2026, 3, 9), RangeInPastError, "range_end"),
        (ny(2026, 3, 2), ny(2026, 3, 9), ny(2026, 4, 1), RangeInPastError, "range_end"),
        (datetime(2026, 3, 2), ny(2026, 3, 9), ny(2026, 3, 1), SlotSearchError, "range_start"),
        (ny(2026, 3, 2), ny(2026, 3, 9), datetime(2026, 3, 1), SlotSearchError, "now"),
    ],
)
def test_range_errors(start: datetime, end: datetime, now: datetime, kind: type[SlotSearchError], field: str) -> None:
    error = rejected(request((MD,), start, end, now=now))
    assert isinstance(error, kind)
    assert (error.component_index, error.field) == (None, field)


def test_request_level_errors() -> None:
    assert rejected(request((), *RANGE)).field == "components"
    assert rejected(request((MD,), *RANGE, limit=0)).field == "limit"
    assert rejected(request((MD,), *RANGE, step=0)).field == "granularity"
    assert rejected(request((MD,), *RANGE, prefs=Preferences(location_id=9))).field == "preferences.location_id"
    assert rejected(request((MD,), *RANGE, prefs=Preferences(weekdays=frozenset({7})))).field == "preferences.weekdays"


def test_partly_past_range_only_returns_future_starts() -> None:
    blocks = find_blocks(request((MD,), *RANGE, now=ny(2026, 3, 4, 16, 50), limit=3), CLINIC, Busy())
    assert [b.start for b in blocks] == [ny(2026, 3, 5, 9), ny(2026, 3, 5, 9, 15), ny(2026, 3, 5, 9, 30)]
    assert all(b.start >= ny(2026, 3, 4, 16, 50) for b in blocks)
