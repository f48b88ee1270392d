"""Patient and coverage services: every bad input names its field and changes nothing."""

from datetime import date

import pytest

from plexus.core.errors import ApplicationError
from plexus.core.models import Payer
from plexus.patients import services
from plexus.patients.models import Coverage, Patient


def _fields(exc):
    return {e.field for e in exc.value.errors}


def _cov(payer, **over):
    data = dict(payer_id=payer.pk, member_id="NEW123", priority=2, effective_date=date(2026, 1, 1))
    data.update(over)
    return data


def test_second_coverage_with_other_priority_is_fine(patient, admin_actor):
    payer = Payer.objects.get(payer_id="SUMM2")
    cov = services.coverage_create(actor=admin_actor, patient=patient, data=_cov(payer))
    assert cov.priority == 2 and patient.coverages.count() == 2


def test_same_priority_overlapping_dates_is_rejected(patient, admin_actor):
    payer = Payer.objects.get(payer_id="SUMM2")
    with pytest.raises(ApplicationError) as exc:
        services.coverage_create(actor=admin_actor, patient=patient, data=_cov(payer, priority=1,
                                                                               effective_date=date(2026, 6, 1)))
    assert _fields(exc) == {"priority"}
    assert patient.coverages.count() == 1


def test_same_priority_after_the_old_one_ended_is_fine(patient, admin_actor):
    first = patient.coverages.get()
    services.coverage_end(actor=admin_actor, patient=patient, coverage_id=first.pk, end_date=date(2026, 5, 31))
    payer = Payer.objects.get(payer_id="SUMM2")
    services.coverage_create(actor=admin_actor, patient=patient, data=_cov(payer, priority=1,
                                                                           effective_date=date(2026, 6, 1)))
    assert patient.coverages.filter(priority=1).count() == 2


def test_duplicate_member_id_for_same_payer_is_rejected(patient, admin_actor):
    other = Patient.objects.create(chart_number="P900002", legal_first_name="Ann", legal_last_name="Other",
                                   date_of_birth=date(1990, 1, 1), sex_for_claims="F")
    payer = patient.coverages.get().payer
    with pytest.raises(ApplicationError) as exc:
        services.coverage_create(actor=admin_actor, patient=other, data=_cov(payer, member_id="EVG8842001", priority=1))
    assert _fields(exc) == {"member_id"}
    assert not other.coverages.exists()
    # A dependant may carry the subscriber's member ID.
    services.coverage_create(actor=admin_actor, patient=other, data=_cov(
        payer, member_id="EVG8842001", priority=1, relationship="19", subscriber_first_name="Maria",
        subscriber_last_name="Lopez"))


@pytest.mark.parametrize(("over", "field"), [
    ({"end_date": date(2025, 1, 1)}, "end_date"),
    ({"member_id": ""}, "member_id"),
    ({"relationship": "01"}, "subscriber_last_name"),
    ({"relationship": "ZZ"}, "relationship"),
])
def test_bad_coverage_fields(patient, admin_actor, over, field):
    payer = Payer.objects.get(payer_id="SUMM2")
    with pytest.raises(ApplicationError) as exc:
        services.coverage_create(actor=admin_actor, patient=patient, data=_cov(payer, **over))
    assert field in _fields(exc)
    assert patient.coverages.count() == 1


def _patient_data(**over):
    data = dict(legal_first_name="Jo", legal_last_name="Park", date_of_birth=date(1985, 3, 3), sex_for_claims="U",
                phone_mobile="503-555-0111", email="JO@Example.COM")
    data.update(over)
    return data


def test_patient_create_normalises_and_numbers(clinic, admin_actor):
    p = services.patient_create(actor=admin_actor, data=_patient_data())
    assert p.phone_mobile == "+15035550111" and p.email == "JO@example.com"
    assert p.chart_number == f"P{p.pk:06d}"


@pytest.mark.parametrize(("over", "field"), [
    ({"phone_mobile": "555"}, "phone_mobile"),
    ({"email": "jo@"}, "email"),
    ({"time_zone": "Mars/Olympus"}, "time_zone"),
    ({"sex_for_claims": "X"}, "sex_for_claims"),
    ({"date_of_birth": date(2999, 1, 1)}, "date_of_birth"),
    ({"nickname": "JJ"}, "nickname"),
])
def test_patient_bad_input(clinic, admin_actor, over, field):
    before = Patient.objects.count()
    with pytest.raises(ApplicationError) as exc:
        services.patient_create(actor=admin_actor, data=_patient_data(**over))
    assert field in _fields(exc)
    assert Patient.objects.count() == before


def test_patient_update_is_all_or_nothing(patient, admin_actor):
    with pytest.raises(ApplicationError):
        services.patient_update(actor=admin_actor, patient=patient, data={"pronouns": "she/her", "email": "bad@"})
    patient.refresh_from_db()
    assert patient.pronouns == "" and patient.email == "maria@example.com"


def test_coverages_keep_history(patient, admin_actor):
    cov = patient.coverages.get()
    with pytest.raises(ApplicationError):
        services.coverage_end(actor=admin_actor, patient=patient, coverage_id=cov.pk, end_date=date(2020, 1, 1))
    services.coverage_end(actor=admin_actor, patient=patient, coverage_id=cov.pk, end_date=date(2026, 12, 31))
    assert Coverage.objects.get(pk=cov.pk).end_date == date(2026, 12, 31)
