"""The eligibility reconciler: one check per patient ahead of insurance-billable visits, idempotent."""

from __future__ import annotations

import io
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from plexus.billing.models import CheckStatus, EligibilityCheck
from plexus.billing.reconcilers import reconcile_eligibility
from plexus.core.models import Practitioner, Room, Service
from plexus.scheduling.demo import ensure_hours
from plexus.scheduling.services import Placement, visit_block_book

from .conftest import NOW

PDX = ZoneInfo("America/Los_Angeles")


def _book(actor, patient, service_name: str, practitioner: str, room: str, day: int, hour: int):
    ensure_hours()
    service = Service.objects.get(name=service_name)
    return visit_block_book(actor=actor, patient=patient, components=[Placement(
        service.pk, Practitioner.objects.get(last_name=practitioner).pk,
        datetime(2026, 11, day, hour, tzinfo=PDX), Room.objects.get(name=room).pk)])


def test_one_check_per_patient_then_nothing_new(patient, admin_actor, clearinghouse_dir):
    _book(admin_actor, patient, "Acupuncture, initial 15 min (97810)", "Li", "Treatment 1", 30, 9)
    _book(admin_actor, patient, "Established visit, moderate complexity (99214)", "Chen", "Consult 1", 30, 11)
    assert reconcile_eligibility(now=NOW, days_ahead=5) == 1
    check = EligibilityCheck.objects.get(patient=patient)
    assert check.status == CheckStatus.SENT and str(check.service_date) == "2026-11-30"
    assert check.coverage == patient.coverages.get(priority=1)
    assert len(list((clearinghouse_dir / "outbox").glob("270-*.x12"))) == 1
    assert reconcile_eligibility(now=NOW, days_ahead=5) == 0  # a recent check exists
    assert reconcile_eligibility(now=NOW + timedelta(days=15), days_ahead=5) == 0  # visit is past


def test_skips_direct_pay_far_visits_and_self_pay(patient, admin_actor):
    _book(admin_actor, patient, "Therapeutic massage 60 min (97124)", "Ortiz", "Massage A", 30, 9)
    assert reconcile_eligibility(now=NOW, days_ahead=5) == 0  # massage is direct pay
    _book(admin_actor, patient, "Acupuncture, initial 15 min (97810)", "Li", "Treatment 1", 30, 12)
    assert reconcile_eligibility(now=NOW, days_ahead=1) == 0  # too far ahead
    patient.coverages.update(end_date="2026-11-01")
    assert reconcile_eligibility(now=NOW, days_ahead=5) == 0  # no active coverage: self-pay


def test_failed_check_is_retried(patient, admin_actor):
    _book(admin_actor, patient, "Acupuncture, initial 15 min (97810)", "Li", "Treatment 1", 30, 9)
    assert reconcile_eligibility(now=NOW, days_ahead=5) == 1
    EligibilityCheck.objects.update(status=CheckStatus.ERROR)
    assert reconcile_eligibility(now=NOW, days_ahead=5) == 1


def test_reconcile_command(patient, admin_actor):
    out = io.StringIO()
    call_command("reconcile", "eligibility", stdout=out)
    assert out.getvalue().strip() == "eligibility: 0 created"
    with pytest.raises(CommandError, match="Unknown reconciler"):
        call_command("reconcile", "nope", stdout=io.StringIO())
