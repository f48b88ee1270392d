"""Scheduling API end to end at scale: 45 practitioners (load_setup(3)), 15 rooms, ~90 days of
bookings, then the first 10 blocks for a 3-component sequential request through the HTTP API
(django.test.Client). Prints median and p95. Uses a temporary SQLite test database, or PostgreSQL
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
    timings = []
    with time_machine.travel(now, tick=True):
        for i in range(40):
            start = datetime(2026, 11, 30, 8, tzinfo=UTC) + timedelta(days=i % 20)
            body = {"components": comps, "range_start": start.isoformat(), "location_id": loc if i % 2 else None,
                    "range_end": (start + timedelta(days=30)).isoformat(), "limit": 10}
            t0 = time.perf_counter()
            resp = client.post("/api/scheduling/search", json.dumps(body), content_type="application/json")
            timings.append((time.perf_counter() - t0) * 1000)
            assert resp.status_code == 200 and resp.json()["count"] == 10, resp.content[:300]
    timings.sort()
    p95 = timings[int(len(timings) * 0.95) - 1]
    print(f"{vendor}: API search (first 10 blocks, 3 sequential components), {len(timings)} runs: "
          f"median {statistics.median(timings):.1f} ms, p95 {p95:.1f} ms (target p95 <= 100 ms)")


if __name__ == "__main__":
    main()
