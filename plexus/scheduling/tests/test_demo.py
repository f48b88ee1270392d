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
    assert counts["referrals"] == 4 and counts["series"] == 1 and counts["waitlist entries"] == 3
    from plexus.scheduling.models import Referral, VisitSeries

    series = VisitSeries.objects.get()
    assert series.referral.sessions_wanted == 6 and series.blocks.count() >= 1
    assert all(b.referral_id == series.referral_id for b in series.blocks.all())
    assert sorted(c for r in Referral.objects.all() for c in r.icd10_codes)[0] == "E11.9"
    assert services.overlapping_pairs() == [] if Appointment.objects.count() < 1500 else True
    again = load_schedule_demo(anchor=date(2026, 11, 27))
    assert again == {"working hours": 0, "visit blocks": 0, "appointments": 0, "referrals": 0, "series": 0,
                     "waitlist entries": 0}
