"""Load the demo clinic's practice setup (idempotent: get-or-create on natural keys)."""

from __future__ import annotations

from django.db import transaction

from plexus.core.demo import catalog
from plexus.core.demo.npi import make_npi
from plexus.core.models import Discipline, Location, Payer, Practice, Practitioner, Room, Service, User


@transaction.atomic
def load_setup(scale: int = 1) -> dict[str, int]:
    """Create the practice, locations, rooms, disciplines, payers, services, practitioners and one
    staff login per role. `scale` multiplies practitioners (for benchmarks). Returns counts."""
    practice, _ = Practice.objects.get_or_create(
        legal_name="Harmony Integrative Health (demo)",
        defaults=dict(tax_id="93-1234567", group_npi=make_npi(45678901), address_line1="100 SW Main St",
                      city="Portland", state="OR", postal_code="97204", phone="+15035550100"),
    )
    locations = []
    for name, addr, city, state, zip_code, phone, tz, pos in catalog.LOCATIONS:
        loc, _ = Location.objects.get_or_create(
            name=name, defaults=dict(practice=practice, address_line1=addr, city=city, state=state,
                                     postal_code=zip_code, phone=f"+1{phone}", time_zone=tz, place_of_service=pos),
        )
        locations.append(loc)
    for loc_index, name, room_type, capacity in catalog.ROOMS:
        Room.objects.get_or_create(location=locations[loc_index], name=name,
                                   defaults=dict(room_type=room_type, capacity=capacity))
    disciplines, taxonomy, credentials = {}, {}, {}
    for code, name, clinical, can_sup, needs_sup, colour, tax, cred in catalog.DISCIPLINES:
        disciplines[code], _ = Discipline.objects.get_or_create(
            code=code, defaults=dict(name=name, is_clinical=clinical, can_supervise=can_sup,
                                     requires_supervisor=needs_sup, colour=colour),
        )
        taxonomy[code], credentials[code] = tax, cred
    payers = []
    for name, payer_id, payer_type, phone in catalog.PAYERS:
        payer, _ = Payer.objects.get_or_create(payer_id=payer_id, defaults=dict(name=name, payer_type=payer_type,
                                                                               phone=f"+1{phone}"))
        payers.append(payer)
    for (name, minutes, discs, room_type, code, mods, unit_min, max_units, fee, coverage, hsa) in catalog.SERVICES:
        service, created = Service.objects.get_or_create(
            name=name, defaults=dict(duration_minutes=minutes, room_type=room_type, procedure_code=code,
                                     modifiers=mods, unit_minutes=unit_min, max_units=max_units, default_fee=fee,
                                     coverage_category=coverage, hsa_eligibility=hsa,
                                     room_turnover_minutes=10 if room_type == "massage" else 0,
                                     buffer_minutes=5 if room_type == "massage" else 0),
        )
        if created:
            service.disciplines.set([disciplines[d] for d in discs])
    staff = {}
    for username, role, first, last in catalog.STAFF:
        staff[username] = _user(username, role, first, last)
    supervisor = None
    serial = 0
    for copy in range(scale):
        for first, last, disc, loc_idx, login in catalog.PRACTITIONERS:
            serial += 1
            suffix = "" if copy == 0 else f" {copy + 1}"
            user = _user(login, "practitioner", first, last) if (login and copy == 0) else None
            prac, created = Practitioner.objects.get_or_create(
                first_name=first, last_name=last + suffix,
                defaults=dict(user=user, discipline=disciplines[disc], credentials=credentials[disc],
                              npi=make_npi(10_000_000 + serial), taxonomy_code=taxonomy[disc],
                              license_number=f"{disc.upper()}-{serial:05d}",
                              supervising_physician=supervisor if disc == "lac" else None),
            )
            if disc == "md" and supervisor is None:
                supervisor = prac
            if created:
                prac.locations.set([locations[i] for i in loc_idx])
                # Credentialed with every payer except that massage therapists are not a Medicare provider type.
                prac.payers.set([p for p in payers if disc not in {"lmt", "coach"}])
    return {
        "locations": Location.objects.count(), "rooms": Room.objects.count(),
        "practitioners": Practitioner.objects.count(), "disciplines": Discipline.objects.count(),
        "services": Service.objects.count(), "payers": Payer.objects.count(),
    }


def _user(username: str, role: str, first: str, last: str) -> User:
    user, created = User.objects.get_or_create(
        username=username, defaults=dict(role=role, first_name=first, last_name=last,
                                          email=f"{username}@harmony.example.com"),
    )
    if created:
        user.set_password(catalog.DEMO_PASSWORD)
        user.save(update_fields=["password"])
    return user
