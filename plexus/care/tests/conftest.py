"""Care fixtures: a fixed clock (Wednesday 25 November 2026, 18:00 UTC = 10:00 in Portland) and
Maria's care team: Dr. Chen (lead physician), Li Wei (acupuncture), Sam Ortiz (massage) and
Chris Dunn (health coach), each with a practitioner login."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
import time_machine
from django.test import Client

from plexus.care import team as team_services
from plexus.care.models import TeamRole
from plexus.core.audit import Actor
from plexus.core.models import Practitioner, Role, User

NOW = datetime(2026, 11, 25, 18, 0, tzinfo=UTC)


@pytest.fixture(autouse=True)
def fixed_clock():
    with time_machine.travel(NOW, tick=False):
        yield


def _login(prac: Practitioner, username: str) -> User:
    if prac.user_id:
        return prac.user
    user = User.objects.create_user(username=username, password="x-pass-123", role=Role.PRACTITIONER,
                                    first_name=prac.first_name, last_name=prac.last_name)
    prac.user = user
    prac.save(update_fields=["user"])
    return user


@pytest.fixture
def pracs(clinic) -> dict[str, Practitioner]:
    """The practitioners of the story, each with a login (usernames chen, li, ortiz, dunn, feld, okafor)."""
    names = {"chen": "Chen", "li": "Li", "ortiz": "Ortiz", "dunn": "Dunn", "feld": "Feld", "okafor": "Okafor"}
    out = {}
    for key, last in names.items():
        p = Practitioner.objects.select_related("discipline").get(last_name=last)
        _login(p, key)
        out[key] = p
    return out


@pytest.fixture
def hours(pracs):
    """Mon-Fri 09:00-17:00 at each practitioner's first location (the demo setup has no hours)."""
    from datetime import time

    from plexus.scheduling.models import WorkingHours

    for p in pracs.values():
        loc = p.locations.order_by("pk").first()
        WorkingHours.objects.bulk_create([WorkingHours(practitioner=p, location=loc, weekday=d, start_time=time(9),
                                                       end_time=time(17)) for d in range(5)])


@pytest.fixture
def care_team(patient, pracs, users, hours):
    """Maria's team: Chen lead, Li, Ortiz, Dunn (Feld and Okafor are not on it)."""
    actor = Actor(user=users["front_desk"], ip="127.0.0.1")
    team_services.member_add(actor=actor, patient=patient, practitioner_id=pracs["chen"].pk,
                             role=TeamRole.LEAD_PHYSICIAN)
    for key in ("li", "ortiz", "dunn"):
        team_services.member_add(actor=actor, patient=patient, practitioner_id=pracs[key].pk)
    return pracs


def actor_for(prac: Practitioner) -> Actor:
    return Actor(user=prac.user, ip="127.0.0.1")


@pytest.fixture
def prac_client(pracs):
    def make(key: str) -> Client:
        c = Client()
        c.force_login(pracs[key].user)
        return c

    return make


def completed_blocks(patient, pracs, *, count: int, offset_days: int = 0) -> None:
    """Create ``count`` completed two-part visits (Chen then Li) on past weekdays."""
    from datetime import timedelta

    from plexus.core.models import Room, Service
    from plexus.scheduling.models import Appointment, Status, VisitBlock

    consult = Room.objects.filter(room_type="consult").order_by("pk").first()
    table = Room.objects.filter(room_type="treatment_table", location=consult.location).order_by("pk").first()
    em = Service.objects.get(procedure_code="99213")
    acu = Service.objects.get(procedure_code="97810")
    for i in range(count):
        start = NOW - timedelta(days=7 * (i + 1) + offset_days, hours=1)
        mid, end = start + timedelta(minutes=20), start + timedelta(minutes=50)
        block = VisitBlock.objects.create(patient=patient, location=consult.location, status=Status.COMPLETED,
                                          start=start, end=end)
        for pos, (svc, prac, room, s, e) in enumerate(((em, pracs["chen"], consult, start, mid),
                                                       (acu, pracs["li"], table, mid, end))):
            Appointment.objects.create(block=block, position=pos, patient=patient, service=svc, practitioner=prac,
                                       room=room, location=consult.location, start=s, end=e, practitioner_until=e,
                                       room_until=e, status=Status.COMPLETED)
