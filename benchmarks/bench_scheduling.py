"""Scheduling API end to end at scale: 45 practitioners (load_setup(3)), 15 rooms, ~90 days of
bookings, then the first 10 blocks for a 3-component sequential request through the HTTP API
(django.test.Client). Prints median and p95 (wall clock, and this process's CPU time, which a
busy machine disturbs less) and the number of queries per request. Uses a temporary SQLite test database, or PostgreSQL
when DATABASE_URL is set."""

from __future__ import annotations

import json
import statistics
import time
from datetime import UTC, date, datetime, timedelta


def main() -> None:
    from benchmarks._django import test_database

    with test_database() as vendor:
        _run(vendor)


def _run(vendor: str) -> None:
    import time_machine
    from django.test import Client

    from plexus.core.demo.loader import load_setup
    from plexus.core.models import Location, Service, User
    from plexus.patients.demo import load_patients
    from plexus.scheduling.demo import ensure_hours, generate_bookings
    from plexus.scheduling.models import Appointment

    started = time.perf_counter()
    load_setup(3)
    load_patients(1500)
    ensure_hours(days=(0, 1, 2, 3, 4, 5), start=datetime.min.time().replace(hour=7),
                 end=datetime.min.time().replace(hour=19))
    anchor = date(2026, 11, 27)
    now = datetime(2026, 11, 27, 20, tzinfo=UTC)
    blocks, _ = generate_bookings(first_day=anchor - timedelta(days=30), last_day=anchor + timedelta(days=60),
                                      now=now, per_day=40, hole_chance=0.1)
    print(f"{vendor}: loaded {Appointment.objects.count()} appointments in {blocks} blocks "
          f"({time.perf_counter() - started:.1f} s)")
    user = User.objects.create(username="bench", role="front_desk")
    client = Client()
    client.force_login(user)
    names = ["Established visit, moderate complexity (99214)", "Acupuncture, initial 15 min (97810)",
             "Therapeutic massage 60 min (97124)"]
    comps = [{"service_id": Service.objects.get(name=n).pk} for n in names]
    loc = Location.objects.order_by("pk").first().pk
    timings, cpu = [], []
    with time_machine.travel(now, tick=True):
        for i in range(40):
            body = _body(comps, loc, i)
            t0, c0 = time.perf_counter(), time.process_time()
            resp = client.post("/api/scheduling/search", json.dumps(body), content_type="application/json")
            timings.append((time.perf_counter() - t0) * 1000)
            cpu.append((time.process_time() - c0) * 1000)
            assert resp.status_code == 200 and resp.json()["count"] == 10, resp.content[:300]
    timings.sort()
    cpu.sort()
    p95 = timings[int(len(timings) * 0.95) - 1]
    print(f"{vendor}: API search (first 10 blocks, 3 sequential components), {len(timings)} runs: "
          f"median {statistics.median(timings):.1f} ms, p95 {p95:.1f} ms (target p95 <= 100 ms); "
          f"CPU median {statistics.median(cpu):.1f} ms, p95 {cpu[int(len(cpu) * 0.95) - 1]:.1f} ms")
    # Query count per request, outside the timed runs (capturing SQL costs a little).
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    counts = []
    with time_machine.travel(now, tick=True):
        for i in range(0, 40, 4):
            with CaptureQueriesContext(connection) as queries:
                client.post("/api/scheduling/search", json.dumps(_body(comps, loc, i)), content_type="application/json")
            counts.append(len(queries))
    print(f"{vendor}: queries per search request: median {statistics.median(counts):.0f}, max {max(counts)} "
          "(session, user, catalog, clinic, then one per search window)")


def _body(comps: list[dict], loc: int, i: int) -> dict:
    start = datetime(2026, 11, 30, 8, tzinfo=UTC) + timedelta(days=i % 20)
    return {"components": comps, "range_start": start.isoformat(), "location_id": loc if i % 2 else None,
            "range_end": (start + timedelta(days=30)).isoformat(), "limit": 10}


if __name__ == "__main__":
    main()
