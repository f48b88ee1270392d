"""Demo data for scheduling: weekly hours for every practitioner and ~12 weeks of visit blocks
(8 weeks of history, 4 of future) around the anchor date. Deterministic (fixed seed), bulk inserts,
safe to run twice (skips what exists). The generator packs each day with per-practitioner and
per-room cursors, so the data never double-books (the exclusion constraints would refuse it)."""

from __future__ import annotations

import random
from collections import defaultdict
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from django.db import transaction

from plexus.core.models import Location, Practitioner, Room, Service, User
from plexus.patients.models import Patient
from plexus.scheduling.models import Appointment, AppointmentEvent, Status, VisitBlock, WorkingHours

SEED = 20261127
DEMO_NOTE = "demo"
# Visit templates: (weight, [(service name, sequential gap minutes)])
TEMPLATES = [
    (3, ["Established visit, moderate complexity (99214)", "Acupuncture, initial 15 min (97810)",
         "Therapeutic massage 60 min (97124)"]),
    (2, ["New patient visit, moderate complexity (99204)", "Acupuncture, initial 15 min (97810)"]),
    (4, ["Acupuncture, initial 15 min (97810)"]),
    (2, ["Chiropractic manipulation, 3-4 regions (98941)", "Therapeutic massage 30 min (97124)"]),
    (3, ["Established visit, low complexity (99213)"]),
    (2, ["Medical nutrition therapy, reassessment (97803)"]),
    (2, ["Psychotherapy 45 min (90834)"]),
    (2, ["Therapeutic massage 60 min (97124)"]),
    (1, ["Health coaching, follow-up 30 min (0592T)"]),
]


def ensure_hours(*, saturday: bool = True, start: time = time(8), end: time = time(17),
                 days: tuple[int, ...] = (0, 1, 2, 3, 4)) -> int:
    """Give every active practitioner without hours weekly hours; return how many rows were added.

    One location: ``days`` at ``start``-``end``. Two locations: Mon-Wed at the first, the other
    weekdays at the second. Every third practitioner also works Saturday 09:00-13:00 at the first.
    """
    have = set(WorkingHours.objects.values_list("practitioner_id", flat=True))
    rows = []
    for i, prac in enumerate(Practitioner.objects.filter(is_active=True).prefetch_related("locations")
                             .order_by("pk")):
        if prac.pk in have:
            continue
        locs = sorted(prac.locations.all(), key=lambda loc: loc.pk)
        if not locs:
            continue
        for day in days:
            loc = locs[0] if len(locs) == 1 or day < 3 else locs[1]
            rows.append(WorkingHours(practitioner=prac, location=loc, weekday=day, start_time=start, end_time=end))
        if saturday and i % 3 == 0 and 5 not in days:
            rows.append(WorkingHours(practitioner=prac, location=locs[0], weekday=5, start_time=time(9),
                                     end_time=time(13)))
    WorkingHours.objects.bulk_create(rows)
    return len(rows)


def _round_up(moment: datetime, minutes: int = 15) -> datetime:
    extra = (-(moment.minute % minutes)) % minutes
    return (moment + timedelta(minutes=extra)).replace(second=0, microsecond=0)


class _Generator:
    """Pack visit blocks day by day; keep cursors of when each practitioner and room is next free."""

    def __init__(self, rng: random.Random, now: datetime, hole_chance: float) -> None:
        self.rng, self.now, self.hole_chance = rng, now, hole_chance
        self.services = {s.name: s for s in Service.objects.prefetch_related("disciplines")}
        self.templates = [(w, [self.services[n] for n in names]) for w, names in TEMPLATES
                          if all(n in self.services for n in names)]
        self.disciplines = {s.pk: {d.pk for d in s.disciplines.all()} for s in self.services.values()}
        self.hours: dict[tuple[int, int], list[tuple[Practitioner, time, time]]] = defaultdict(list)
        pracs = {p.pk: p for p in Practitioner.objects.filter(is_active=True)}
        for h in WorkingHours.objects.order_by("pk"):
            if h.practitioner_id in pracs:
                self.hours[(h.location_id, h.weekday)].append((pracs[h.practitioner_id], h.start_time, h.end_time))
        self.rooms: dict[tuple[int, str], list[Room]] = defaultdict(list)
        for room in Room.objects.filter(is_active=True).order_by("pk"):
            self.rooms[(room.location_id, room.room_type)].append(room)

    def day(self, location: Location, day: date, patients: list[int], target: int) -> list[tuple]:
        """Return up to ``target`` blocks for one location and day as (patient_id, [component tuples])."""
        tz = ZoneInfo(location.time_zone)
        working = self.hours.get((location.pk, day.weekday()), [])
        if not working:
            return []
        shift = {p.pk: (datetime.combine(day, s, tzinfo=tz), datetime.combine(day, e, tzinfo=tz))
                 for p, s, e in working}
        prac_free = {pid: bounds[0] for pid, bounds in shift.items()}
        room_free: dict[int, datetime] = {}
        weights = [w for w, _ in self.templates]
        out = []
        for _ in range(target * 2):
            if len(out) >= target or not patients:
                break
            _, template = self.rng.choices(self.templates, weights)[0]
            placed = self._place(template, location, working, shift, prac_free, room_free)
            if placed is None:
                continue
            for prac, room, service, _start, end in placed:
                prac_free[prac.pk] = end + timedelta(minutes=service.buffer_minutes)
                room_free[room.pk] = end + timedelta(minutes=service.room_turnover_minutes)
            out.append((patients.pop(), placed))
        return out

    def _place(self, template, location, working, shift, prac_free, room_free):
        placed, prev_end, used = [], None, set()
        for service in template:
            qualified = [p for p, _, _ in working if p.discipline_id in self.disciplines[service.pk]
                         and p.pk not in used]
            rooms = self.rooms.get((location.pk, service.room_type), [])
            if not qualified or not rooms:
                return None
            prac = min(qualified, key=lambda p: (prac_free[p.pk], self.rng.random()))
            room = min(rooms, key=lambda r: (room_free.get(r.pk, shift[prac.pk][0]), r.pk))
            start = max(prac_free[prac.pk], room_free.get(room.pk, shift[prac.pk][0]), prev_end or shift[prac.pk][0])
            if prev_end is None and self.rng.random() < self.hole_chance:
                start += timedelta(minutes=15 * self.rng.randint(1, 4))
            start = _round_up(start)
            end = start + timedelta(minutes=service.duration_minutes)
            if end > shift[prac.pk][1] or (prev_end is not None and start - prev_end > timedelta(minutes=30)):
                return None
            placed.append((prac, room, service, start, end))
            used.add(prac.pk)
            prev_end = end
        return placed


def _status(rng: random.Random, start: datetime, now: datetime) -> tuple[str, bool]:
    roll = rng.random()
    if start < now:
        if roll < 0.08:
            return Status.CANCELLED, rng.random() < 0.3
        return (Status.NO_SHOW, False) if roll < 0.12 else (Status.COMPLETED, False)
    if roll < 0.04:
        return Status.CANCELLED, False
    return (Status.CONFIRMED, False) if roll < 0.4 else (Status.BOOKED, False)


def generate_bookings(*, first_day: date, last_day: date, now: datetime, seed: int = SEED, per_day: int = 14,
                      hole_chance: float = 0.35, creator: User | None = None) -> tuple[int, int]:
    """Insert visit blocks for every day in ``[first_day, last_day]``; return (blocks, appointments)."""
    rng = random.Random(seed)
    gen = _Generator(rng, now, hole_chance)
    patient_ids = list(Patient.objects.order_by("pk").values_list("pk", flat=True))
    if not patient_ids:
        return 0, 0
    locations = list(Location.objects.filter(is_active=True).order_by("pk"))
    n_pracs = Practitioner.objects.filter(is_active=True).count()
    target = max(1, per_day * n_pracs // 15)
    plans = []
    day = first_day
    while day <= last_day:
        pool = rng.sample(patient_ids, min(len(patient_ids), target * len(locations)))
        for loc in locations:
            plans.extend((loc, *item) for item in gen.day(loc, day, pool, target))
        day += timedelta(days=1)
    blocks, statuses = [], []
    for loc, patient_id, placed in plans:
        status, late = _status(rng, placed[0][3], now)
        statuses.append((status, late))
        blocks.append(VisitBlock(patient_id=patient_id, location=loc, status=status, start=placed[0][3],
                                 end=max(p[4] for p in placed), sequence=1 if status == Status.CANCELLED else 0,
                                 note=DEMO_NOTE, created_by=creator, late_cancel=late,
                                 cancel_reason="Patient called to cancel" if status == Status.CANCELLED else ""))
    with transaction.atomic():
        VisitBlock.objects.bulk_create(blocks, batch_size=2000)
        appts, events = [], []
        for block, (_, patient_id, placed), (status, late) in zip(blocks, plans, statuses, strict=True):
            for i, (prac, room, service, start, end) in enumerate(placed):
                appts.append(Appointment(
                    block=block, position=i, patient_id=patient_id, service=service, practitioner=prac, room=room,
                    location_id=block.location_id, start=start.astimezone(UTC), end=end.astimezone(UTC),
                    practitioner_until=(end + timedelta(minutes=service.buffer_minutes)).astimezone(UTC),
                    room_until=(end + timedelta(minutes=service.room_turnover_minutes)).astimezone(UTC),
                    status=status, late_cancel=late, cancel_reason=block.cancel_reason,
                    cancelled_at=now if status == Status.CANCELLED else None))
            events.append(AppointmentEvent(block=block, at=block.start - timedelta(days=7), user=creator,
                                           username=creator.username if creator else "system:cli",
                                           action="booked", detail={"components": len(placed)}))
        Appointment.objects.bulk_create(appts, batch_size=2000)
        AppointmentEvent.objects.bulk_create(events, batch_size=2000)
    return len(blocks), len(appts)


def _next_weekday(day: date, weekday: int) -> date:
    return day + timedelta(days=(weekday - day.weekday()) % 7 or 7)


def generate_care(*, anchor: date, now: datetime, creator: User | None = None) -> dict[str, int]:
    """Referrals (physician to acupuncture, massage, nutrition), one weekly acupuncture series booked
    from a referral (free occurrences only, so it never double-books) and waitlist entries. Skips
    everything when demo referrals exist."""
    from plexus.core.audit import Actor
    from plexus.core.errors import ApplicationError
    from plexus.core.models import Discipline
    from plexus.scheduling.models import Priority, Referral
    from plexus.scheduling.referrals import referral_create
    from plexus.scheduling.series import visit_series_book
    from plexus.scheduling.services import Placement
    from plexus.scheduling.waitlist import waitlist_entry_create, waitlist_entry_from_referral

    out = {"referrals": 0, "series": 0, "waitlist entries": 0}
    if Referral.objects.filter(reason__startswith=DEMO_REASON).exists():
        return out
    pracs = {p.last_name: p for p in Practitioner.objects.filter(last_name__in=["Chen", "Webb", "Li", "Ortiz",
                                                                               "Feld"])}
    services = {s.name: s for s in Service.objects.all()}
    disciplines = {d.code: d for d in Discipline.objects.all()}
    patients = list(Patient.objects.order_by("pk")[:12])
    acu, massage = services.get("Acupuncture, initial 15 min (97810)"), services.get("Therapeutic massage 60 min (97124)")
    rd = next((s for n, s in services.items() if n.startswith("Medical nutrition therapy")), None)
    if len(patients) < 6 or not {"Chen", "Li", "Ortiz"} <= set(pracs) or not acu or not massage:
        return out
    actor = Actor(user=creator, via="cli")
    plans = [  # patient index, from, discipline, to, service, sessions, cadence, reason, codes, priority
        (0, "Chen", "lac", "Li", acu, 6, 1, "chronic low back pain", ["M54.50"], Priority.SOON),
        (1, "Chen", "lmt", None, massage, 4, 2, "neck and shoulder tension", ["M62.838"], Priority.ROUTINE),
        (2, "Webb" if "Webb" in pracs else "Chen", "lac", None, acu, 8, 1, "migraine prevention", ["G43.909"],
         Priority.URGENT),
        (3, "Chen", "rd", None, rd, 3, 4, "type 2 diabetes, nutrition", ["E11.9"], Priority.ROUTINE),
    ]
    made = []
    for i, sender, disc, to, service, sessions, cadence, reason, codes, priority in plans:
        if service is None or disc not in disciplines:
            continue
        made.append(referral_create(
            actor=actor, patient=patients[i], to_discipline_id=disciplines[disc].pk, service_ids=[service.pk],
            sessions_wanted=sessions, cadence_weeks=cadence, reason=f"{DEMO_REASON}{reason}", icd10_codes=codes,
            from_practitioner_id=pracs[sender].pk, to_practitioner_id=pracs[to].pk if to else None,
            priority=priority, now=now - timedelta(days=3 * (len(made) + 1))))
    out["referrals"] = len(made)
    tz = ZoneInfo("America/Los_Angeles")
    first = datetime.combine(_next_weekday(anchor, 0), time(15), tzinfo=tz)  # Mondays 15:00 with Li
    try:
        visit_series_book(actor=actor, patient=made[0].patient, interval_weeks=1, occurrences=6, mode="free",
                          components=[Placement(acu.pk, pracs["Li"].pk, first)], referral=made[0],
                          location_id=pracs["Li"].locations.order_by("pk").first().pk, note=DEMO_NOTE, now=now)
        out["series"] = 1
    except ApplicationError:
        pass
    for referral in made[1:3]:
        waitlist_entry_from_referral(actor=actor, referral=referral, earliest_date=anchor,
                                     latest_date=anchor + timedelta(weeks=4), now=now)
        out["waitlist entries"] += 1
    waitlist_entry_create(actor=actor, patient=patients[5], service_ids=[massage.pk], earliest_date=anchor,
                          latest_date=anchor + timedelta(weeks=3), time_of_day="morning", weekdays=[0, 2, 4],
                          note="Wants an earlier massage", now=now - timedelta(days=1))
    out["waitlist entries"] += 1
    return out


DEMO_REASON = "Demo: "


def load_schedule_demo(*, anchor: date, scale: int = 1) -> dict[str, int]:
    """Create demo availability, bookings, referrals, a series and waitlist entries around `anchor`;
    safe to run twice. Returns counts."""
    hours = ensure_hours()
    blocks = appts = 0
    now = datetime.combine(anchor, time(12), tzinfo=ZoneInfo("America/Los_Angeles"))
    creator = User.objects.filter(username="frontdesk").first()
    if not VisitBlock.objects.filter(note=DEMO_NOTE).exists():
        blocks, appts = generate_bookings(first_day=anchor - timedelta(weeks=8), last_day=anchor + timedelta(weeks=4),
                                          now=now, creator=creator)
    care = generate_care(anchor=anchor, now=now, creator=creator)
    return {"working hours": hours, "visit blocks": blocks, "appointments": appts, **care}
