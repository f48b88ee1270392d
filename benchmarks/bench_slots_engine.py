"""Benchmark the visit-block slot search engine (plexus.engines.slots) at clinic scale.

Scale: 40 practitioners in 8 disciplines, 15 rooms over 2 locations, a 90-day horizon and 20,000
existing appointments (deterministic, ``random.Random(SEED)``). Each request asks for the first 10
blocks of a 3-component sequential visit (e.g. physician 30 min, acupuncture 45, massage 60).
Prints median and p95 of the engine alone, then the brute-force reference on a subset of the same
requests with the ratio, and asserts both return the same blocks. Target: engine p95 <= 25 ms.
"""

from __future__ import annotations

import random
import statistics
import time as clock
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from plexus.engines.slots import (
    Busy,
    Clinic,
    ComponentRequest,
    Interval,
    Location,
    PractitionerCalendar,
    Preferences,
    Room,
    SearchRequest,
    WeeklyHours,
    find_blocks,
    find_blocks_reference,
)

SEED = 20260302
HORIZON_DAYS = 90
APPOINTMENTS = 20_000
REQUESTS = 50
REFERENCE_REQUESTS = 10
REPEATS = 3
TARGET_P95_MS = 25.0
FIRST_DAY = date(2026, 3, 2)
DISCIPLINES = ("MD", "NP", "LAc", "DC", "LMT", "RD", "HC", "LCSW")
ROOM_OF = {"MD": "exam", "NP": "exam", "LAc": "treatment", "DC": "treatment", "LMT": "massage"}
ZONES = {1: "America/New_York", 2: "America/New_York"}
ROOMS = {
    1: {"exam": 3, "treatment": 3, "massage": 2},
    2: {"exam": 3, "treatment": 2, "massage": 2},
}


@dataclass(frozen=True, slots=True)
class Instance:
    """Hold one synthetic clinic with its existing bookings."""

    clinic: Clinic
    busy: Busy
    start: datetime


def build_instance(seed: int = SEED) -> Instance:
    """Build the deterministic 40-practitioner, 15-room, 90-day, 20,000-appointment clinic."""
    rng = random.Random(seed)
    locations = tuple(Location(loc_id, tz) for loc_id, tz in ZONES.items())
    rooms: list[Room] = []
    room_id = 100
    for loc_id, kinds in ROOMS.items():
        for kind, count in kinds.items():
            for _ in range(count):
                rooms.append(Room(room_id, loc_id, kind, closures=()))
                room_id += 1
    calendars: list[PractitionerCalendar] = []
    home: dict[int, list[tuple[int, WeeklyHours]]] = {}
    for pid in range(1, 41):
        discipline = DISCIPLINES[(pid - 1) % len(DISCIPLINES)]
        loc_ids = [1, 2] if pid % 5 == 0 else [1 + pid % 2]
        weekdays = sorted(rng.sample(range(7), 5 + (pid % 2)))
        for k, loc_id in enumerate(loc_ids):
            days = [d for j, d in enumerate(weekdays) if len(loc_ids) == 1 or j % 2 == k]
            first_hour = rng.choice((7, 8, 9, 10))
            weekly = tuple(WeeklyHours(d, time(first_hour), time(first_hour + 10)) for d in days)
            time_off = ()
            if rng.random() < 0.3:
                off_day = FIRST_DAY + timedelta(days=rng.randrange(HORIZON_DAYS))
                tz = ZoneInfo(ZONES[loc_id])
                time_off = (
                    Interval(
                        datetime.combine(off_day, time(0), tzinfo=tz),
                        datetime.combine(off_day + timedelta(days=3), time(0), tzinfo=tz),
                    ),
                )
            calendars.append(PractitionerCalendar(pid, discipline, loc_id, weekly, (), time_off))
            home.setdefault(pid, []).extend((loc_id, w) for w in weekly)
    clinic = Clinic(locations, tuple(calendars), tuple(rooms))
    busy = _bookings(rng, clinic, home)
    return Instance(clinic, busy, datetime.combine(FIRST_DAY, time(0), tzinfo=ZoneInfo(ZONES[1])))


def _bookings(rng: random.Random, clinic: Clinic, home: dict[int, list[tuple[int, WeeklyHours]]]) -> Busy:
    """Fill practitioners' days without double-booking; give each roomed visit a free room."""
    discipline = {c.practitioner_id: c.discipline for c in clinic.calendars}
    pool: list[tuple[int, int, datetime, datetime]] = []
    for offset in range(HORIZON_DAYS):
        day = FIRST_DAY + timedelta(days=offset)
        for pid, hours in home.items():
            for loc_id, wh in hours:
                if wh.weekday != day.weekday():
                    continue
                tz = ZoneInfo(ZONES[loc_id])
                t = datetime.combine(day, wh.start, tzinfo=tz)
                close = datetime.combine(day, wh.end, tzinfo=tz)
                while True:
                    t += timedelta(minutes=rng.choice((0, 0, 0, 15)))
                    end = t + timedelta(minutes=rng.choice((30, 30, 45, 60)))
                    if end > close:
                        break
                    pool.append((pid, loc_id, t, end))
                    t = end
    chosen = rng.sample(pool, APPOINTMENTS) if len(pool) > APPOINTMENTS else pool
    chosen.sort(key=lambda a: a[2])
    pract: dict[int, list[Interval]] = {}
    room_busy: dict[int, list[Interval]] = {}
    rooms_at: dict[tuple[int, str], list[int]] = {}
    for room in clinic.rooms:
        rooms_at.setdefault((room.location_id, room.room_type), []).append(room.room_id)
    for pid, loc_id, start, end in chosen:
        pract.setdefault(pid, []).append(Interval(start, end + timedelta(minutes=5)))
        kind = ROOM_OF.get(discipline[pid])
        if kind is None:
            continue  # consults happen in the practitioner's office or by video
        turnover = timedelta(minutes=15 if kind == "massage" else 0)
        for rid in rooms_at[(loc_id, kind)]:
            taken = room_busy.setdefault(rid, [])
            if not taken or taken[-1].end <= start:
                taken.append(Interval(start, end + turnover))
                break
    return Busy(
        practitioner_busy={k: tuple(v) for k, v in pract.items()},
        room_busy={k: tuple(v) for k, v in room_busy.items()},
        patient_busy=(),
    )


def build_requests(instance: Instance, count: int = REQUESTS, seed: int = SEED + 1) -> list[SearchRequest]:
    """Return ``count`` varied 3-component sequential requests over the instance's horizon."""
    rng = random.Random(seed)
    requests: list[SearchRequest] = []
    for k in range(count):
        first = ComponentRequest(
            1,
            timedelta(minutes=30),
            "exam",
            frozenset({"MD"} if k % 3 else {"MD", "NP"}),
            buffer_after=timedelta(minutes=5),
        )
        second = ComponentRequest(
            2,
            timedelta(minutes=45),
            "treatment",
            frozenset({"LAc"} if k % 4 else {"DC"}),
            min_gap=timedelta(0),
            max_gap=timedelta(minutes=30),
        )
        third = ComponentRequest(
            3,
            timedelta(minutes=60),
            "massage",
            frozenset({"LMT"}),
            room_turnover=timedelta(minutes=15),
            min_gap=timedelta(0),
            max_gap=timedelta(minutes=30),
        )
        day = rng.randrange(HORIZON_DAYS - 20)
        start = instance.start + timedelta(days=day)
        now = start + timedelta(hours=rng.choice((0, 9, 11)), minutes=rng.choice((0, 7, 33)))
        prefs = Preferences()
        variant = k % 5
        if variant == 1:
            prefs = Preferences(weekdays=frozenset({1, 3}))
        elif variant == 2:
            prefs = Preferences(earliest_time=time(13), latest_time=time(18), location_id=2)
        elif variant == 3:
            prefs = Preferences(preferred_practitioners=frozenset(rng.sample(range(1, 41), 6)))
        elif variant == 4:
            prefs = Preferences(earliest_time=time(8), latest_time=time(12), weekdays=frozenset({0, 2, 4}))
        requests.append(
            SearchRequest(
                components=(first, second, third),
                range_start=start,
                range_end=start + timedelta(days=rng.choice((7, 14, 30))),
                now=now,
                limit=10,
                granularity=timedelta(minutes=5),
                preferences=prefs,
            )
        )
    return requests


def _percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def main() -> None:
    """Build the instance, time engine and reference, print figures and check agreement."""
    instance = build_instance()
    requests = build_requests(instance)
    pract = instance.busy.practitioner_busy
    total = sum(len(v) for v in pract.values())
    print(
        f"instance: {len({c.practitioner_id for c in instance.clinic.calendars})} practitioners, "
        f"{len(instance.clinic.rooms)} rooms, {len(instance.clinic.locations)} locations, "
        f"{HORIZON_DAYS} days, {total} appointments; {len(requests)} requests x first 10 blocks"
    )
    started = clock.perf_counter()
    Busy(dict(pract), dict(instance.busy.room_busy), instance.busy.patient_busy)
    print(f"Busy(...) construction (sorts each list once, reusable): {(clock.perf_counter() - started) * 1000:.1f} ms")
    find_blocks(requests[0], instance.clinic, instance.busy)  # warm imports and zoneinfo caches
    best_ms: list[float] = []
    all_ms: list[float] = []
    answers = []
    for request in requests:
        runs = []
        for _ in range(REPEATS):
            started = clock.perf_counter()
            blocks = find_blocks(request, instance.clinic, instance.busy)
            runs.append((clock.perf_counter() - started) * 1000)
        all_ms.extend(runs)
        best_ms.append(min(runs))
        answers.append(blocks)
    full = sum(len(a) == 10 for a in answers)
    med, p95 = statistics.median(best_ms), _percentile(best_ms, 0.95)
    print(
        f"engine (best of {REPEATS} per request): median {med:6.2f} ms   p95 {p95:6.2f} ms   max {max(best_ms):6.2f} ms"
    )
    print(
        f"engine (every run):          median {statistics.median(all_ms):6.2f} ms   "
        f"p95 {_percentile(all_ms, 0.95):6.2f} ms   max {max(all_ms):6.2f} ms"
    )
    print(f"  {full} of {len(requests)} requests found all 10 blocks; the rest scanned their whole range")

    subset = list(range(0, len(requests), len(requests) // REFERENCE_REQUESTS))[:REFERENCE_REQUESTS]
    ref_ms: list[float] = []
    for i in subset:
        started = clock.perf_counter()
        expected = find_blocks_reference(requests[i], instance.clinic, instance.busy)
        ref_ms.append((clock.perf_counter() - started) * 1000)
        assert answers[i][:1] == expected[:1], f"request {i}: first block differs from the reference"
        assert answers[i] == expected, f"request {i}: blocks differ from the reference"
    sub_engine = statistics.median(best_ms[i] for i in subset)
    ref_med, ref_p95 = statistics.median(ref_ms), _percentile(ref_ms, 0.95)
    print(
        f"reference (brute force): median {ref_med:7.0f} ms   p95 {ref_p95:7.0f} ms   on {len(subset)} of the "
        f"requests (engine on those: median {sub_engine:.2f} ms)"
    )
    print(
        f"ratio reference/engine (medians): {ref_med / sub_engine:.0f}x; "
        f"all {len(subset)} answers identical to the reference (all 10 blocks, not only the first)"
    )
    verdict = "OK" if p95 <= TARGET_P95_MS else "MISSED"
    print(f"target engine p95 <= {TARGET_P95_MS:.0f} ms (best-of-{REPEATS} figure): {verdict}")
