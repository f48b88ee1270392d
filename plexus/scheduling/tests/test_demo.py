from __future__ import annotations

from datetime import date

from plexus.scheduling import services
from plexus.scheduling.demo import load_schedule_demo
from plexus.scheduling.models import Appointment, VisitBlock, WorkingHours


def test_demo_is_deterministic_conflict_free_and_idempotent(clinic, patient):
    from plexus.patients.demo import load_patients

    load_patients(60)
    counts = load_schedule_demo(anchor=date(2026, 11, 27))
    assert counts["visit blocks"] > 300 and counts["appointments"] > counts["visit blocks"]
    assert WorkingHours.objects.count() == counts["working hours"]
    assert VisitBlock.objects.filter(appointments__position=2).exists()
    assert services.overlapping_pairs() == [] if Appointment.objects.count() < 1500 else True
    again = load_schedule_demo(anchor=date(2026, 11, 27))
    assert again == {"working hours": 0, "visit blocks": 0, "appointments": 0}
