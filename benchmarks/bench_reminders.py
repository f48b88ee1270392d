"""Reminder reconciler at scale: one day with 5,000 visit blocks (two components each, 10,000
appointments, no two overlapping on a practitioner or room so PostgreSQL's exclusion constraints
accept them), every patient reachable. Pass 1 composes and queues one reminder per block (target
<= 10 s); pass 2 finds nothing new (target <= 2 s). A third pass at the 24 h offset queues the
texts. Uses a temporary SQLite test database, or PostgreSQL when DATABASE_URL is set."""

from __future__ import annotations

import time
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

BLOCKS = 5000
SLOTS = 12  # two 30-minute components per block, 12 blocks per practitioner pair per day


def main() -> None:
    from benchmarks._django import test_database

    with test_database() as vendor:
        _run(vendor)


def _load(day: date) -> None:
    from plexus.core.demo.loader import load_setup
    from plexus.core.models import Discipline, Location, Practitioner, Room, Service
    from plexus.patients.models import Patient
    from plexus.scheduling.models import Appointment, VisitBlock

    load_setup(1)
    loc = Location.objects.order_by("pk").first()
    md = Discipline.objects.get(code="md")
    pairs = -(-BLOCKS // SLOTS)
    pracs = Practitioner.objects.bulk_create(
        [Practitioner(first_name="Bench", last_name=f"P{i:04d}", discipline=md, credentials="MD",
                      taxonomy_code="207Q00000X") for i in range(pairs * 2)], batch_size=1000)
    rooms = Room.objects.bulk_create([Room(location=loc, name=f"Bench {i:04d}", room_type="consult")
                                      for i in range(pairs * 2)], batch_size=1000)
    patients = Patient.objects.bulk_create([
        Patient(chart_number=f"B{i:06d}", legal_first_name="Pat", legal_last_name=f"Bench{i:05d}",
                date_of_birth=date(1980, 1, 1), sex_for_claims="F", email=f"bench{i:05d}@example.com",
                phone_mobile=f"+1503555{i % 10000:04d}", consent_email=True, consent_sms=True,
                preferred_channel="sms" if i % 3 == 0 else "email") for i in range(BLOCKS)], batch_size=1000)
    services = list(Service.objects.filter(name__in=["Established visit, moderate complexity (99214)",
                                                     "Acupuncture, initial 15 min (97810)"]).order_by("name"))
    tz = ZoneInfo(loc.time_zone)
    opening = datetime(day.year, day.month, day.day, 7, tzinfo=tz).astimezone(UTC)
    blocks, appts = [], []
    for b in range(BLOCKS):
        pair, k = divmod(b, SLOTS)
        start = opening + timedelta(minutes=60 * k)
        blocks.append(VisitBlock(patient=patients[b], location=loc, start=start, end=start + timedelta(minutes=60)))
    VisitBlock.objects.bulk_create(blocks, batch_size=1000)
    for b, block in enumerate(blocks):
        pair = b // SLOTS
        for pos in (0, 1):
            s = block.start + timedelta(minutes=30 * pos)
            appts.append(Appointment(block=block, position=pos, patient=block.patient, service=services[pos],
                                     practitioner=pracs[2 * pair + pos], room=rooms[2 * pair + pos], location=loc,
                                     start=s, end=s + timedelta(minutes=30), practitioner_until=s + timedelta(minutes=30),
                                     room_until=s + timedelta(minutes=30)))
    Appointment.objects.bulk_create(appts, batch_size=2000)


def _run(vendor: str) -> None:
    from plexus.messaging.models import Message
    from plexus.scheduling.reminders import reconcile_reminders

    day = date(2026, 12, 1)
    started = time.perf_counter()
    _load(day)
    print(f"{vendor}: loaded {BLOCKS} visit blocks with {2 * BLOCKS} appointments on {day} "
          f"({time.perf_counter() - started:.1f} s)")
    now = datetime(2026, 11, 29, 12, tzinfo=UTC)  # inside every block's 72 h window
    t0 = time.perf_counter()
    first = reconcile_reminders(now=now)
    t1 = time.perf_counter()
    second = reconcile_reminders(now=now + timedelta(minutes=1))
    t2 = time.perf_counter()
    assert first == BLOCKS and second == 0, (first, second)
    print(f"{vendor}: pass 1 composed and queued {first} reminders in {t1 - t0:.2f} s (target <= 10 s): "
          f"{(t1 - t0) / first * 1000:.2f} ms per block")
    print(f"{vendor}: pass 2 found {second} new in {t2 - t1:.2f} s (target <= 2 s)")
    sms_now = datetime(2026, 11, 30, 18, tzinfo=UTC)  # 10:00 in Portland: the 24 h window, not quiet hours
    t3 = time.perf_counter()
    third = reconcile_reminders(now=sms_now)
    t4 = time.perf_counter()
    print(f"{vendor}: pass 3 (24 h offset, blocks before 10:00 whose window is open) queued {third} texts "
          f"in {t4 - t3:.2f} s; "
          f"{Message.objects.count()} messages in the log")


if __name__ == "__main__":
    main()
