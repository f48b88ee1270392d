"""The billing demo: Maria's answer from SCENARIOS.md, ~50 insured patients, fast, safe twice."""

from __future__ import annotations

import time
from datetime import date

import pytest

from plexus.billing.demo import load_billing_demo
from plexus.billing.models import BenefitLine, CheckStatus, EligibilityCheck
from plexus.patients.demo import load_patients

ANCHOR = date(2026, 11, 27)


@pytest.fixture
def demo_patients(clinic):
    load_patients(200)


def test_demo_checks_are_answered_deterministic_and_idempotent(demo_patients):
    started = time.perf_counter()
    counts = load_billing_demo(anchor=ANCHOR)
    assert time.perf_counter() - started < 5
    assert counts == {"eligibility checks": 51}
    assert set(EligibilityCheck.objects.values_list("status", flat=True)) == {CheckStatus.ANSWERED}
    maria = EligibilityCheck.objects.get(patient__legal_first_name="Maria", patient__legal_last_name="Lopez")
    lines = {b.service_type: b for b in maria.benefit_lines.all()}
    acu = lines["64"]
    assert (acu.coinsurance_percent, acu.visits_total, acu.visits_used, acu.visit_period) == (20, 12, 2,
                                                                                             "calendar year")
    assert lines["BE"].headline == "Massage: not covered — direct pay"
    assert maria.request_x12.startswith("HL*") and "EQ*64~" in maria.request_x12  # only Maria's inquiry
    assert "LOPEZ" in maria.response_x12 and maria.response_x12.count("TRN*") == 1
    assert BenefitLine.objects.filter(specific=False, service_type="64").exists()  # a general-only payer
    before = sorted(BenefitLine.objects.values_list("headline", flat=True))
    assert load_billing_demo(anchor=ANCHOR) == {"eligibility checks": 0}
    assert sorted(BenefitLine.objects.values_list("headline", flat=True)) == before
