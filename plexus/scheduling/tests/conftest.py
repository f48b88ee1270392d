"""Fixtures for scheduling tests: the demo setup with weekly hours, services and practitioners by
short name, and a frozen clock (Monday 30 November 2026, 00:00 in Portland)."""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest
import time_machine

from plexus.core.models import Practitioner, Room, Service
from plexus.scheduling.demo import ensure_hours

PDX = ZoneInfo("America/Los_Angeles")
NOW = datetime(2026, 11, 30, 8, tzinfo=UTC)
SERVICES = {"md": "Established visit, moderate complexity (99214)", "acu": "Acupuncture, initial 15 min (97810)",
            "massage": "Therapeutic massage 60 min (97124)", "infusion": "IV infusion, initial hour (96365)"}


def pdx(day: int, hour: int, minute: int = 0) -> datetime:
    """A Portland wall-clock instant in December 2026."""
    return datetime(2026, 12, day, hour, minute, tzinfo=PDX)


@pytest.fixture
def frozen():
    with time_machine.travel(NOW, tick=False):
        yield NOW


@pytest.fixture
def sched(clinic, frozen):
    ensure_hours()


@pytest.fixture
def svc(sched) -> dict[str, Service]:
    return {k: Service.objects.get(name=v) for k, v in SERVICES.items()}


@pytest.fixture
def prac(sched) -> dict[str, Practitioner]:
    return {"chen": Practitioner.objects.get(last_name="Chen"), "li": Practitioner.objects.get(last_name="Li"),
            "ortiz": Practitioner.objects.get(last_name="Ortiz"), "okafor": Practitioner.objects.get(last_name="Okafor"),
            "price": Practitioner.objects.get(last_name="Price")}


@pytest.fixture
def room(sched) -> dict[str, Room]:
    return {r.name: r for r in Room.objects.all()}


@pytest.fixture
def three(svc, prac, room):
    """Placements for the 3-component visit on Tuesday 1 December at 09:00 Portland time."""
    from plexus.scheduling.services import Placement

    return [Placement(svc["md"].pk, prac["chen"].pk, pdx(1, 9), room["Consult 1"].pk),
            Placement(svc["acu"].pk, prac["li"].pk, pdx(1, 9, 30), room["Treatment 1"].pk),
            Placement(svc["massage"].pk, prac["ortiz"].pk, pdx(1, 10), room["Massage A"].pk)]
