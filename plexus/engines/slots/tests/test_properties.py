"""Hypothesis properties on small random clinics: every block is valid, and the engine returns
exactly what the brute-force reference returns (so nothing earlier or better is missed)."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from plexus.engines.slots import (
    BlockOption,
    Busy,
    Clinic,
    ComponentRequest,
    Interval,
    Location,
    PractitionerCalendar,
    Preferences,
    Room,
    SearchRequest,
    SlotSearchError,
    WeeklyHours,
    find_blocks,
    find_blocks_reference,
)

ZONES = ("America/New_York", "Europe/London", "UTC", "Asia/Kolkata")
# Mondays/Fridays next to DST changes (New York 8 Mar and 1 Nov, London 29 Mar 2026) and a plain week.
BASES = (date(2026, 3, 6), date(2026, 3, 27), date(2026, 10, 30), date(2026, 6, 8))
EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


@st.composite
def instances(draw: st.DrawFn) -> tuple[SearchRequest, Clinic, Busy]:
    base = draw(st.sampled_from(BASES))
    n_loc = draw(st.integers(1, 2))
    zones = [draw(st.sampled_from(ZONES)) for _ in range(n_loc)]
    # Absolute (UTC) arithmetic: aware local datetimes would add wall-clock time across DST.
    anchor = datetime.combine(base, time(0), tzinfo=ZoneInfo(zones[0])).astimezone(UTC)

    def at(minutes: int) -> datetime:
        return anchor + timedelta(minutes=minutes)

    def span(max_len: int = 240) -> Interval:
        start = draw(st.integers(0, 3 * 24 * 4)) * 15
        return Interval(at(start), at(start + draw(st.integers(1, max_len // 5)) * 5))

    def hours() -> tuple[WeeklyHours, ...]:
        days = draw(st.lists(st.integers(0, 6), min_size=3, max_size=7, unique=True))
        out = []
        for d in days:
            start = draw(st.integers(6 * 4, 12 * 4)) * 15
            length = draw(st.integers(4 * 4, 10 * 4)) * 15
            out.append(
                WeeklyHours(d, time(start // 60, start % 60), time((start + length) // 60, (start + length) % 60))
            )
        return tuple(out)

    closures: list[list[date | Interval]] = [[] for _ in range(n_loc)]
    if draw(st.booleans()):
        closures[0].append(base + timedelta(days=draw(st.integers(0, 2))))
    if draw(st.integers(0, 3)) == 0:
        closures[-1].append(span())
    locations = tuple(Location(i + 1, zones[i], tuple(closures[i])) for i in range(n_loc))
    calendars = []
    n_prac = draw(st.integers(2, 5))
    for pid in range(1, n_prac + 1):
        discipline = "AB"[pid - 1] if pid <= 2 else draw(st.sampled_from("AB"))
        locs = [1] + ([2] if n_loc == 2 and draw(st.booleans()) else []) if pid <= 2 else [draw(st.integers(1, n_loc))]
        for loc in locs:
            extra = (span(),) if draw(st.integers(0, 3)) == 0 else ()
            off = (span(),) if draw(st.integers(0, 3)) == 0 else ()
            calendars.append(PractitionerCalendar(pid, discipline, loc, hours(), extra, off))
    rooms = []
    for rid in range(10, 13 + draw(st.integers(0, 2))):
        weekly = hours() if draw(st.integers(0, 3)) == 0 else None
        rooms.append(
            Room(
                rid,
                1 if rid < 12 else draw(st.integers(1, n_loc)),
                "xy"[rid % 2] if rid < 12 else draw(st.sampled_from("xy")),
                weekly,
                (span(),) if draw(st.integers(0, 4)) == 0 else (),
            )
        )
    busy = Busy(
        practitioner_busy={p: [span(90) for _ in range(draw(st.integers(0, 3)))] for p in range(1, n_prac + 1)},
        room_busy={r.room_id: [span(90) for _ in range(draw(st.integers(0, 2)))] for r in rooms},
        patient_busy=[span(180) for _ in range(draw(st.integers(0, 2)))],
    )
    comps = []
    for i in range(draw(st.sampled_from((1, 2, 2, 3, 3)))):
        concurrent = draw(st.integers(0, i - 1)) if i > 0 and draw(st.integers(0, 2)) == 0 else None
        min_gap = draw(st.sampled_from((0, 0, 5, 10)))
        named = draw(st.integers(1, n_prac)) if draw(st.integers(0, 4)) == 0 else None
        comps.append(
            ComponentRequest(
                service_id=i + 1,
                duration=timedelta(minutes=draw(st.sampled_from((15, 20, 30, 45, 50, 60)))),
                room_type=draw(st.sampled_from("xy")),
                allowed_disciplines=frozenset(draw(st.sets(st.sampled_from("AB"), min_size=0 if named else 1))),
                practitioner_id=named,
                buffer_after=timedelta(minutes=draw(st.sampled_from((0, 0, 5, 15)))),
                room_turnover=timedelta(minutes=draw(st.sampled_from((0, 0, 10, 15)))),
                min_gap=timedelta(minutes=min_gap),
                max_gap=timedelta(minutes=min_gap + draw(st.sampled_from((0, 10, 20, 30)))),
                concurrent_with=concurrent,
            )
        )
    start = at(draw(st.integers(0, 24)) * 60)
    prefs = Preferences(preferred_practitioners=draw(st.frozensets(st.integers(1, n_prac))))
    if draw(st.integers(0, 2)) == 0:
        earliest = draw(st.none() | st.sampled_from((time(8), time(10, 30), time(13))))
        latest = draw(st.none() | st.sampled_from((time(14), time(17, 30), time(20))))
        if earliest is not None and latest is not None and earliest >= latest:
            latest = None
        prefs = Preferences(
            earliest_time=earliest,
            latest_time=latest,
            weekdays=draw(st.none() | st.frozensets(st.integers(0, 6), min_size=1)),
            location_id=draw(st.none() | st.integers(1, n_loc)),
            preferred_practitioners=draw(st.frozensets(st.integers(1, n_prac))),
        )
    request = SearchRequest(
        components=tuple(comps),
        range_start=start,
        range_end=start + timedelta(hours=draw(st.sampled_from((12, 24, 48)))),
        now=start + timedelta(minutes=draw(st.sampled_from((-600, 0, 0, 7, 95)))),
        limit=draw(st.integers(1, 4)),
        granularity=timedelta(minutes=draw(st.sampled_from((5, 15, 30)))),
        preferences=prefs,
    )
    return request, Clinic(locations, tuple(calendars), tuple(rooms)), busy


def _available(cal_weekly: tuple[WeeklyHours, ...] | None, tz: ZoneInfo, minute: datetime) -> bool:
    if cal_weekly is None:
        return True
    local = minute.astimezone(tz)
    for day in (local.date() - timedelta(days=1), local.date()):
        for h in cal_weekly:
            if h.weekday == day.weekday():
                lo = datetime.combine(day, h.start, tzinfo=tz)
                hi = datetime.combine(day, h.end, tzinfo=tz)
                if lo <= minute < hi:
                    return True
    return False


def _closed(closures: tuple[date | Interval, ...], tz: ZoneInfo, minute: datetime) -> bool:
    for c in closures:
        if isinstance(c, Interval):
            if c.start <= minute < c.end:
                return True
        elif minute.astimezone(tz).date() == c:
            return True
    return False


def _hit(s: datetime, e: datetime, busy: object) -> bool:
    return any(b.start < e and s < b.end for b in busy)  # type: ignore[attr-defined]


def check_block(block: BlockOption, request: SearchRequest, clinic: Clinic, busy: Busy) -> None:
    """Assert every documented constraint directly, minute by minute (inputs are minute-aligned)."""
    loc = next(x for x in clinic.locations if x.location_id == block.location_id)
    tz = ZoneInfo(loc.tz)
    step = request.granularity
    assert block.start >= request.now and block.start >= request.range_start and block.end <= request.range_end
    assert (block.start - EPOCH) % step == timedelta(0)
    placed = block.components
    assert [p.component_index for p in placed] == list(range(len(request.components)))
    assert placed[0].start == block.start and block.end == max(p.end for p in placed)
    wait = timedelta(0)
    for i, (p, c) in enumerate(zip(placed, request.components, strict=True)):
        assert p.end - p.start == c.duration and p.service_id == c.service_id
        if i and c.concurrent_with is not None:
            assert p.start == placed[c.concurrent_with].start
        elif i:
            gap = p.start - max(q.end for q in placed[:i])
            assert c.min_gap <= gap <= c.max_gap and (gap - c.min_gap) % step == timedelta(0)
            wait += gap
        cals = [k for k in clinic.calendars if k.practitioner_id == p.practitioner_id]
        here = next(k for k in cals if k.location_id == loc.location_id)
        assert c.practitioner_id in (None, p.practitioner_id)
        assert not c.allowed_disciplines or here.discipline in c.allowed_disciplines
        room = next(r for r in clinic.rooms if r.room_id == p.room_id)
        assert room.location_id == loc.location_id and room.room_type == c.room_type
        minute = p.start
        while minute < p.end:
            assert _available(here.weekly, tz, minute) or any(x.start <= minute < x.end for x in here.extra)
            assert not any(x.start <= minute < x.end for k in cals for x in k.time_off)
            assert not _closed(loc.closures, tz, minute)
            assert _available(room.weekly, tz, minute) and not _closed(room.closures, tz, minute)
            minute += timedelta(minutes=1)
        assert not _hit(p.start, p.end + c.buffer_after, busy.practitioner_busy.get(p.practitioner_id, ()))
        assert not _hit(p.start, p.end + c.room_turnover, busy.room_busy.get(p.room_id, ()))
        assert not _hit(p.start, p.end, busy.patient_busy)
        for q, d in zip(placed[:i], request.components[:i], strict=False):
            if q.practitioner_id == p.practitioner_id:
                assert q.end + d.buffer_after <= p.start or p.end + c.buffer_after <= q.start
            if q.room_id == p.room_id:
                assert q.end + d.room_turnover <= p.start or p.end + c.room_turnover <= q.start
    assert block.total_wait == wait
    prefs = request.preferences
    assert block.preferred_count == sum(p.practitioner_id in prefs.preferred_practitioners for p in placed)
    local = block.start.astimezone(tz)
    assert prefs.location_id in (None, block.location_id)
    assert prefs.weekdays is None or local.weekday() in prefs.weekdays
    assert prefs.earliest_time is None or block.start >= datetime.combine(local.date(), prefs.earliest_time, tzinfo=tz)
    assert prefs.latest_time is None or block.end <= datetime.combine(local.date(), prefs.latest_time, tzinfo=tz)


@settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(instances())
def test_engine_blocks_are_valid_and_equal_the_reference(case: tuple[SearchRequest, Clinic, Busy]) -> None:
    request, clinic, busy = case
    try:
        blocks = find_blocks(request, clinic, busy)
    except SlotSearchError as error:
        try:
            find_blocks_reference(request, clinic, busy)
        except SlotSearchError as ref_error:
            assert type(ref_error) is type(error) and ref_error.field == error.field
            return
        raise AssertionError(f"engine rejected what the reference accepted: {error}") from error
    assert len(blocks) <= request.limit
    assert [b.start for b in blocks] == sorted({b.start for b in blocks})
    for block in blocks:
        check_block(block, request, clinic, busy)
    assert blocks == find_blocks_reference(request, clinic, busy)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(instances())
def test_found_blocks_stay_valid_when_the_range_moves(case: tuple[SearchRequest, Clinic, Busy]) -> None:
    """Starting the search at a block's start finds that block first (the scan is consistent)."""
    request, clinic, busy = case
    try:
        blocks = find_blocks(request, clinic, busy)
    except SlotSearchError:
        return
    if len(blocks) >= 2:
        later = SearchRequest(
            request.components,
            blocks[1].start,
            request.range_end,
            request.now,
            request.limit,
            request.granularity,
            request.preferences,
        )
        again = find_blocks(later, clinic, busy)
        assert again[0] == blocks[1]
