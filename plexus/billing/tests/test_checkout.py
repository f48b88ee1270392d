"""Hybrid checkout: an insured visit's copay, a massage drawn from a package and a supplement on an
HSA/FSA card, settled in one step; refusals post nothing."""

from __future__ import annotations

from datetime import datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest

from plexus.billing import ledger
from plexus.billing.charges import EncounterInput, encounter_approve, encounter_record
from plexus.billing.checkout import checkout, summary
from plexus.billing.demo_claims import ensure_plans
from plexus.billing.invoices import ProductLine
from plexus.billing.models import LedgerEntry, PackagePlan, PackageUse
from plexus.billing.packages import purchase
from plexus.billing.services import eligibility_check_run, x12_import
from plexus.billing.tests.conftest import standards_answer
from plexus.core.errors import ApplicationError
from plexus.core.models import Location, Practitioner, Room, Service
from plexus.scheduling.models import Appointment, Status, VisitBlock

PDX = ZoneInfo("America/Los_Angeles")


@pytest.fixture
def hybrid(billing_actor, addressed):
    """Maria's completed block on 20 Nov: 99213 with Dr Chen (insured, $30 office copay), then a
    60-minute massage with Sam Ortiz (direct pay), coded and approved; her answered eligibility."""
    check = eligibility_check_run(actor=billing_actor, patient=addressed, coverage_id=addressed.coverages.get().pk,
                                  service_types=["30", "98", "BE"], service_date=datetime(2026, 11, 20).date())
    x12_import(actor=billing_actor, text=standards_answer(check.request_x12), source_name="a.271")
    loc = Location.objects.get(name="Portland Downtown")
    start = datetime(2026, 11, 20, 9, tzinfo=PDX)
    block = VisitBlock.objects.create(patient=addressed, location=loc, start=start, end=start + timedelta(hours=2),
                                      status=Status.COMPLETED)
    for i, (name, prac) in enumerate([("Established visit, low complexity (99213)", "Chen"),
                                      ("Therapeutic massage 60 min (97124)", "Ortiz")]):
        svc = Service.objects.get(name=name)
        s = start + timedelta(minutes=60 * i)
        e = s + timedelta(minutes=svc.duration_minutes)
        appt = Appointment.objects.create(block=block, position=i + 1, patient=addressed, service=svc,
                                          practitioner=Practitioner.objects.get(last_name=prac),
                                          room=Room.objects.filter(room_type=svc.room_type, location=loc).first(),
                                          location=loc, start=s, end=e, practitioner_until=e, room_until=e,
                                          status=Status.COMPLETED)
        cov = addressed.coverages.get().pk if i == 0 else None
        encounter_approve(actor=billing_actor, encounter=encounter_record(
            actor=billing_actor, data=EncounterInput(appt.pk, ("M54.50",), cov)))
    return block


def test_summary_shows_copay_and_direct_pay(hybrid):
    s = summary(hybrid)
    assert [(li.stream, li.copay) for li in s.lines] == [("insurance", Decimal("30.00")), ("direct", Decimal(0))]
    assert s.lines[1].charge.amount == Decimal("120.00") and s.copay + s.direct == Decimal("150.00")


def test_hybrid_checkout_with_package_and_hsa_supplement(billing_actor, hybrid, addressed):
    ensure_plans()
    pkg = purchase(actor=billing_actor, patient=addressed, plan=PackagePlan.objects.get(name="5 massages (60 min)"))
    massage = summary(hybrid).lines[1].charge
    due_before = ledger.balance(addressed.pk).patient_due
    result = checkout(actor=billing_actor, block=hybrid, method="card_external", reference="T-77",
                      use_packages={massage.pk: pkg.pk},
                      products=[ProductLine("Magnesium glycinate", Decimal("24.00"), hsa_eligibility="eligible")],
                      product_method="hsa")
    assert result.copay_paid == Decimal("30.00") and result.packages_used == 1 and result.invoice is None
    assert result.products_invoice.status == "paid"
    assert PackageUse.objects.get().charge_id == massage.pk
    hsa = LedgerEntry.objects.get(method="hsa")
    assert hsa.amount == Decimal("-24.00")
    # copay prepaid (-30), massage credited by the package (-120), supplement charged and paid (0)
    assert ledger.balance(addressed.pk).patient_due == due_before - Decimal("150.00")


def test_hsa_on_an_ineligible_item_refuses_everything(billing_actor, hybrid, addressed):
    n = LedgerEntry.objects.count()
    with pytest.raises(ApplicationError) as exc:
        checkout(actor=billing_actor, block=hybrid, method="card_external", reference="T-78", use_packages={},
                 products=[ProductLine("Yoga mat", Decimal("40.00"))], product_method="hsa")
    assert exc.value.errors[0].field == "amount"
    assert LedgerEntry.objects.count() == n and not addressed.invoices.exists()


def test_checkout_screen(client_for, hybrid):
    front = client_for("front_desk")
    page = front.get(f"/billing/checkout/{hybrid.pk}/")
    assert page.status_code == 200 and b"$150.00" in page.content
    bad = front.post(f"/billing/checkout/{hybrid.pk}/", {"method": "card_external", "reference": ""})
    assert bad.status_code == 422 and b"reference" in bad.content
    ok = front.post(f"/billing/checkout/{hybrid.pk}/", {"method": "card_external", "reference": "T-1"})
    assert ok.status_code == 200 and b"Settled: copay $30.00" in ok.content
    again = front.post(f"/billing/checkout/{hybrid.pk}/", {"method": "card_external", "reference": "T-2"})
    assert again.status_code in (409, 200)
    assert client_for("practitioner").get(f"/billing/checkout/{hybrid.pk}/").status_code == 403
