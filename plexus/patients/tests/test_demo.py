"""The demo clinic: deterministic, safe to run twice, realistic, and valid by our own rules."""

import io
from collections import Counter

from django.core.management import call_command

from plexus.core.models import Discipline, Location, Payer, Practitioner, Room, Service, User
from plexus.core.validators import npi_is_valid
from plexus.patients.models import Coverage, Patient


def test_load_demo_twice(db):
    out = io.StringIO()
    call_command("load_demo", stdout=out)
    assert "500 patients" in out.getvalue() and "plexus-demo-2026" in out.getvalue()
    counts = (Patient.objects.count(), Coverage.objects.count(), Practitioner.objects.count())
    call_command("load_demo", stdout=io.StringIO())
    assert (Patient.objects.count(), Coverage.objects.count(), Practitioner.objects.count()) == counts

    assert Location.objects.count() == 2 and len({loc.time_zone for loc in Location.objects.all()}) == 2
    assert Room.objects.count() >= 10 and Practitioner.objects.count() >= 14
    assert Discipline.objects.filter(practitioners__isnull=False).distinct().count() >= 8
    assert Service.objects.count() >= 30 and Payer.objects.count() >= 8
    assert {"medicare", "medicare_advantage", "medicaid", "commercial"} <= set(
        Payer.objects.values_list("payer_type", flat=True))
    assert set(User.objects.values_list("role", flat=True)) == {
        "admin", "front_desk", "billing", "virtual_assistant", "practitioner"}

    per_patient = Counter(Coverage.objects.values_list("patient_id", flat=True))
    self_pay = Patient.objects.count() - len(per_patient)
    assert 50 < self_pay < 250
    assert sum(1 for n in per_patient.values() if n == 2) > 20
    assert Patient.objects.filter(has_hsa_fsa=True).count() > 75
    maria = Patient.objects.get(legal_first_name="Maria", legal_last_name="Lopez")
    assert maria.has_hsa_fsa and maria.coverages.get().payer.payer_type == "commercial"


def test_demo_data_passes_model_validation(db):
    call_command("load_demo", stdout=io.StringIO())
    for practitioner in Practitioner.objects.all():
        practitioner.full_clean()
        assert npi_is_valid(practitioner.npi)
        if practitioner.discipline.requires_supervisor:
            assert practitioner.supervising_physician.discipline.can_supervise
    for service in Service.objects.all():
        service.full_clean()
    for patient in Patient.objects.all()[:200]:
        patient.full_clean()
    for coverage in Coverage.objects.select_related("payer")[:200]:
        coverage.full_clean()


def test_scale_multiplies_patients_and_practitioners(db):
    call_command("load_demo", "--scale", "2", stdout=io.StringIO())
    assert Patient.objects.count() == 1000
    assert Practitioner.objects.count() == 30
