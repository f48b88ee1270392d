"""Billing fixtures: a fixed clock, a private clearinghouse folder, 271 helpers."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
import time_machine

from plexus.billing.simulator import STANDARDS_BODY, answer_270

NOW = datetime(2026, 11, 27, 17, 0, tzinfo=UTC)
SERVICE_DATE = date(2026, 11, 30)


@pytest.fixture(autouse=True)
def fixed_clock():
    with time_machine.travel(NOW, tick=False):
        yield


@pytest.fixture(autouse=True)
def clearinghouse_dir(settings, tmp_path, monkeypatch):
    """Each test gets its own DATA_DIR (outbox/inbox) and the default file-exchange transport."""
    settings.DATA_DIR = tmp_path
    for name in ("PLEXUS_CLEARINGHOUSE_URL", "PLEXUS_CLEARINGHOUSE_TOKEN", "PLEXUS_CLEARINGHOUSE_SENDER_ID",
                 "PLEXUS_CLEARINGHOUSE_RECEIVER_ID"):
        monkeypatch.delenv(name, raising=False)
    return tmp_path / "clearinghouse"


def standards_answer(request_x12: str, body=None) -> str:
    """A 271 answering ``request_x12`` with the STANDARDS.md §1.1 benefits (or ``body``)."""
    return answer_270(request_x12, lambda member_id: list(body or STANDARDS_BODY), created=NOW.replace(tzinfo=None))


# --- claims fixtures -------------------------------------------------------------------------------

VISIT_DAY = date(2026, 11, 20)


@pytest.fixture
def billing_actor(users):
    from plexus.core.audit import Actor

    return Actor(user=users["billing"], ip="127.0.0.1", via="ui")


@pytest.fixture
def addressed(patient):
    """Maria with the address a claim needs."""
    patient.address_line1, patient.city, patient.state, patient.postal_code = "12 Alder St", "Portland", "OR", "97205"
    patient.save()
    return patient


@pytest.fixture
def completed_visit(addressed):
    """Make a completed appointment for Maria: completed_visit(service_name, practitioner_last_name, day, minutes)."""
    from datetime import timedelta
    from zoneinfo import ZoneInfo

    from plexus.core.models import Practitioner, Room, Service
    from plexus.scheduling.models import Appointment, Status, VisitBlock

    def make(service: str, practitioner: str, day: date = VISIT_DAY, minutes: int | None = None,
             hour: int = 9, patient=None) -> Appointment:
        svc = Service.objects.get(name=service)
        prac = Practitioner.objects.get(last_name=practitioner)
        room = Room.objects.filter(room_type=svc.room_type).first()
        start = datetime(day.year, day.month, day.day, hour, tzinfo=ZoneInfo("America/Los_Angeles"))
        end = start + timedelta(minutes=minutes or svc.duration_minutes)
        who = patient or addressed
        block = VisitBlock.objects.create(patient=who, location=room.location, status=Status.COMPLETED, start=start,
                                          end=end)
        return Appointment.objects.create(block=block, position=1, patient=who, service=svc, practitioner=prac,
                                          room=room, location=room.location, start=start, end=end,
                                          practitioner_until=end, room_until=end, status=Status.COMPLETED)

    return make
