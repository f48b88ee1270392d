"""Demo data for claims: encounters for recent completed visits, a practice fee schedule, claims
through the scrubber, 837P batches per payer, and each payer's simulated 999, 277CA and 835 imported
through the same path as clearinghouse files (plexus.billing.payer_sim). Deterministic; a second run
adds nothing.

What a billing specialist finds on a Monday morning: paid and denied claims with patient balances
from two weeks ago, batches waiting for their answers from last week, and the last few days'
visits waiting in charge review.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal

from django.db import transaction
from django.utils import timezone

from plexus.billing.charges import EncounterInput, catalog_unit_fee, encounter_approve, encounter_record
from plexus.billing.claims import batch_build
from plexus.billing.models import ClaimStatus, Encounter, FeeSchedule, FeeScheduleEntry, PackagePlan
from plexus.billing.payer_sim import Policy, adjudicate
from plexus.billing.services import x12_import
from plexus.core.audit import Actor
from plexus.core.errors import ApplicationError
from plexus.core.models import Service
from plexus.patients.models import Patient, Priority
from plexus.scheduling.models import ACTIVE_VALUES, Appointment, Status

DEFAULT_SCHEDULE = "Practice default"
# A plausible principal (and secondary) diagnosis per discipline (ICD-10-CM).
DIAGNOSES = {"md": ("M54.50", "G89.29"), "np": ("M54.50",), "lac": ("M54.50",), "dc": ("M99.03", "M54.50"),
             "rd": ("E11.9",), "psy": ("F41.1",), "lmt": ("M62.830",), "coach": ("Z71.3",)}
BATCHED_BEFORE_DAYS, REVIEW_DAYS = 7, 3
MAX_ENCOUNTERS = 70
RECENT_IN_REVIEW = 10


def ensure_fee_schedule() -> FeeSchedule:
    """The practice default schedule: one fee per code and unit from the service catalog."""
    schedule, _ = FeeSchedule.objects.get_or_create(name=DEFAULT_SCHEDULE, payer=None)
    per_code: dict[str, list[Decimal]] = {}
    for service in Service.objects.order_by("pk"):
        per_code.setdefault(service.procedure_code, []).append(catalog_unit_fee(service))
    # one fee per code: the middle of the catalog's per-unit prices (e.g. 97124: 30/60/90-minute massages)
    fees = {code: sorted(values)[len(values) // 2] for code, values in per_code.items()}
    existing = set(schedule.entries.values_list("procedure_code", flat=True))
    FeeScheduleEntry.objects.bulk_create([FeeScheduleEntry(schedule=schedule, procedure_code=code, amount=fee)
                                          for code, fee in sorted(fees.items()) if code not in existing])
    return schedule


def _visits(anchor: date) -> list[Appointment]:
    start = datetime.combine(anchor - timedelta(days=28), time(0), tzinfo=UTC)
    end = datetime.combine(anchor, time(0), tzinfo=UTC)
    qs = (Appointment.objects.filter(status=Status.COMPLETED, start__gte=start, start__lt=end,
                                     patient__coverages__priority=Priority.PRIMARY)
          .exclude(patient__address_line1="").select_related("service", "practitioner__discipline", "patient")
          .distinct().order_by("start", "pk"))
    review_from = datetime.combine(anchor - timedelta(days=REVIEW_DAYS), time(0), tzinfo=UTC)
    older = list(qs.filter(start__lt=review_from)[:MAX_ENCOUNTERS])
    recent = list(qs.filter(start__gte=review_from).order_by("-start", "pk")[:RECENT_IN_REVIEW])
    return older + recent


def _evening(day: date, latest: datetime) -> datetime:
    """18:00 UTC on the day after ``day`` (when the billing team works the day's visits), not after ``latest``."""
    return min(datetime.combine(day + timedelta(days=1), time(18), tzinfo=UTC), latest)


# name, kind, price, codes, sessions, validity days, discount %
PLANS = [
    ("5 massages (60 min)", "package", Decimal("525.00"), ["97124"], 5, 365, Decimal(0)),
    ("10 massages (60 min)", "package", Decimal("1000.00"), ["97124"], 10, 365, Decimal(0)),
    ("Monthly wellness membership", "membership", Decimal("99.00"), ["97810", "97124"], 1, 0, Decimal("10.00")),
]


def ensure_plans() -> int:
    """The demo's packages and memberships (by name; safe to run twice)."""
    made = 0
    for name, kind, price, codes, sessions, days, discount in PLANS:
        _, created = PackagePlan.objects.get_or_create(name=name, defaults={
            "kind": kind, "price": price, "procedure_codes": codes, "sessions": sessions, "validity_days": days,
            "discount_percent": discount})
        made += created
    return made


# Maria's Thursday (SCENARIOS.md): Dr Chen 45 min new-patient E/M, acupuncture 60 min with Li Wei,
# massage 60 min with Sam Ortiz; coded and approved, ready for checkout, with a letter of medical
# necessity for massage signed by Dr Chen.
MARIA_VISIT = [("New patient visit, moderate complexity (99204)", "Chen", ("M54.50", "G89.29")),
               ("Acupuncture, initial 15 min (97810)", "Li", ("M54.50",)),
               ("Therapeutic massage 60 min (97124)", "Ortiz", ("M62.830", "M54.50"))]
MARIA_MINUTES = (45, 60, 60)


def _free(appts, start: datetime, end: datetime) -> bool:
    return not any(a.start < end and start < max(a.practitioner_until, a.room_until) for a in appts)


def _maria_visit(anchor: date, now: datetime) -> int:
    """Book and complete Maria's three-part visit yesterday at the first time all three are free."""
    from zoneinfo import ZoneInfo

    from plexus.core.models import Location, Practitioner, Room
    from plexus.scheduling.models import VisitBlock

    maria = Patient.objects.filter(email="maria.lopez@example.com").first()
    if maria is None or VisitBlock.objects.filter(patient=maria, note="Scenario: Thursday visit").exists():
        return 0
    loc = Location.objects.order_by("pk").first()
    day = anchor - timedelta(days=1)
    tz = ZoneInfo(loc.time_zone)
    parts = []
    for (name, prac, dx), minutes in zip(MARIA_VISIT, MARIA_MINUTES, strict=True):
        svc = Service.objects.get(name=name)
        parts.append((svc, Practitioner.objects.get(last_name=prac), dx, minutes,
                      list(Room.objects.filter(location=loc, room_type=svc.room_type, is_active=True))))
    busy = list(Appointment.objects.filter(start__date__gte=day - timedelta(days=1),
                                           start__date__lte=day + timedelta(days=1), status__in=ACTIVE_VALUES))
    for quarter in range(8 * 4, 16 * 4):
        t = datetime.combine(day, time(quarter // 4, 15 * (quarter % 4)), tzinfo=tz)
        plan = []
        for svc, prac, dx, minutes, rooms in parts:
            end = t + timedelta(minutes=minutes)
            mine = [a for a in busy if a.practitioner_id == prac.pk]
            room = next((r for r in rooms if _free([a for a in busy if a.room_id == r.pk], t, end)), None)
            if room is None or not _free(mine, t, end):
                break
            plan.append((svc, prac, dx, room, t, end))
            t = end
        if len(plan) == len(parts):
            break
    else:
        return 0
    block = VisitBlock.objects.create(patient=maria, location=loc, status=Status.COMPLETED, start=plan[0][4],
                                      end=plan[-1][5], note="Scenario: Thursday visit")
    actor = Actor.system("cli")
    cov = maria.coverages.filter(priority=Priority.PRIMARY).first()
    for i, (svc, prac, dx, room, start, end) in enumerate(plan, start=1):
        appt = Appointment.objects.create(block=block, position=i, patient=maria, service=svc, practitioner=prac,
                                          room=room, location=loc, start=start, end=end, practitioner_until=end,
                                          room_until=end, status=Status.COMPLETED)
        enc = encounter_record(actor=actor, data=EncounterInput(appt.pk, dx, cov.pk if cov else None), now=now)
        encounter_approve(actor=actor, encounter=enc, now=now)
    from plexus.billing.invoices import letter_create

    letter_create(actor=actor, patient=maria, practitioner_id=parts[0][1].pk, diagnoses=["M54.50"],
                  procedure_codes=["97124"], frequency="weekly for 6 weeks", valid_from=day,
                  valid_to=day + timedelta(days=90))
    return 1


def load_claims_demo(*, anchor: date) -> dict[str, int]:
    """Create the demo's encounters, claims, batches and remittances (nothing when they exist)."""
    ensure_fee_schedule()
    ensure_plans()
    if Encounter.objects.exists():
        return {"encounters": 0, "claims": 0, "remittances": 0}
    actor = Actor.system("cli")
    now = datetime.combine(anchor, time(9), tzinfo=UTC)
    claims = []
    encounters = 0
    with transaction.atomic():
        for appt in _visits(anchor):
            day = timezone.localdate(appt.start)
            coverage = next((c for c in appt.patient.coverages.filter(priority=Priority.PRIMARY)
                             if c.is_active_on(day)), None)
            dx = DIAGNOSES.get(appt.practitioner.discipline.code, ("Z00.00",))
            try:
                enc = encounter_record(actor=actor, data=EncounterInput(
                    appointment_id=appt.pk, diagnoses=dx, coverage_id=coverage.pk if coverage else None,
                    improving=True), now=_evening(day, now))
            except ApplicationError:
                continue  # e.g. a visit shorter than one billable unit: nothing to charge
            encounters += 1
            if (anchor - day).days <= REVIEW_DAYS:
                continue  # the last few days wait in charge review
            claim = encounter_approve(actor=actor, encounter=enc, now=_evening(day, now))
            if claim is not None:
                claims.append(claim)
    remittances = 0
    _maria_visit(anchor, now)
    by_payer: dict[int, list] = defaultdict(list)
    for claim in claims:
        claim.refresh_from_db()
        if claim.status == ClaimStatus.READY and (anchor - claim.service_date).days > BATCHED_BEFORE_DAYS:
            by_payer[claim.payer_id].append(claim)
    for n, (_, payer_claims) in enumerate(sorted(by_payer.items()), start=1):
        # the evening after the payer's last visit was approved; answers 3 days later, payment 4 after that
        built = _evening(max(c.service_date for c in payer_claims) + timedelta(days=1), now)
        batch = batch_build(actor=actor, claim_ids=[c.pk for c in payer_claims], now=built)
        if n % 4 == 0:
            continue  # this payer has not answered yet: claims stay submitted
        answered = (built + timedelta(days=3)).replace(tzinfo=None)
        # One payer refuses acupuncture and chiropractic outright (CO-96): the denial list has work in it.
        policy = Policy(denied_codes=frozenset({"97810", "97811", "98940", "98941"})) if n == 2 else Policy()
        answers = adjudicate(batch.x12, created=answered, control_number=9000 + n, policy=policy)
        when = min(built + timedelta(days=3), now)
        x12_import(actor=actor, text=answers.ack_999, source_name=f"demo-{batch.control_number}.999", now=when)
        x12_import(actor=actor, text=answers.ack_277ca, source_name=f"demo-{batch.control_number}.277", now=when)
        x12_import(actor=actor, text=answers.remit_835, source_name=f"demo-{batch.control_number}.835",
                   now=min(when + timedelta(days=4), now))
        remittances += 1
    return {"encounters": encounters, "claims": len(claims), "remittances": remittances}
