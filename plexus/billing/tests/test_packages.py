"""Packages and memberships: sale, draw-down at checkout, expiry, refunds by policy, monthly billing."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime
from decimal import Decimal

import pytest

from plexus.billing import ledger
from plexus.billing.charges import EncounterInput, encounter_approve, encounter_record
from plexus.billing.demo_claims import ensure_plans
from plexus.billing.invoices import invoice_create, invoice_issue, invoice_pay, total, uninvoiced_charges
from plexus.billing.models import Invoice, MembershipBill, PackagePlan, PackagePurchase, PackageUse, PurchaseStatus
from plexus.billing.packages import (
    draw_down,
    membership_set,
    purchase,
    reconcile_packages,
    refund_unused,
    sessions_left,
)
from plexus.core.errors import ApplicationError

MASSAGE = "Therapeutic massage 60 min (97124)"
ACU = "Acupuncture, initial 15 min (97810)"


@pytest.fixture
def plans(clinic):
    ensure_plans()
    return {p.name.split(" ")[0]: p for p in PackagePlan.objects.all()}


def _direct(actor, completed_visit, service=MASSAGE, prac="Ortiz", **kw):
    appt = completed_visit(service, prac, **kw)
    enc = encounter_record(actor=actor, data=EncounterInput(appt.pk, ("M62.830",), None))
    encounter_approve(actor=actor, encounter=enc)
    return enc.charges.get() if enc.charges.count() == 1 else enc.charges.first()


def _paid(actor, p):
    invoice_pay(actor=actor, invoice=p.invoice, amount=p.price_paid, method="card_external",
                reference=f"PKG-{p.pk}")


def test_sell_package_and_draw_a_massage_down(billing_actor, completed_visit, addressed, plans):
    p = purchase(actor=billing_actor, patient=addressed, plan=plans["5"])
    _paid(billing_actor, p)
    assert p.invoice.status == "issued" and total(p.invoice) == Decimal("525.00")
    assert p.expires_on == date(2027, 11, 27) and sessions_left(p, date(2026, 11, 27)) == 5
    charge = _direct(billing_actor, completed_visit)
    assert ledger.balance(addressed.pk).patient_due == Decimal("120.00")
    draw_down(actor=billing_actor, purchase_id=p.pk, charge_id=charge.pk)
    assert ledger.balance(addressed.pk).patient_due == Decimal("0.00")
    assert sessions_left(p, date(2026, 11, 27)) == 4 and uninvoiced_charges(addressed.pk) == []
    with pytest.raises(ApplicationError) as exc:
        draw_down(actor=billing_actor, purchase_id=p.pk, charge_id=charge.pk)
    assert exc.value.errors[0].field == "charge_id" and PackageUse.objects.count() == 1


def test_draw_down_refusals_post_nothing(billing_actor, completed_visit, addressed, plans):
    p = purchase(actor=billing_actor, patient=addressed, plan=plans["5"])
    acu = _direct(billing_actor, completed_visit, ACU, "Li", minutes=15)
    before = ledger.balance(addressed.pk)
    with pytest.raises(ApplicationError) as exc:
        draw_down(actor=billing_actor, purchase_id=p.pk, charge_id=acu.pk)
    assert "does not cover 97810" in exc.value.errors[0].message
    massage = _direct(billing_actor, completed_visit, hour=14)
    PackagePurchase.objects.filter(pk=p.pk).update(expires_on=date(2026, 11, 1))
    with pytest.raises(ApplicationError) as exc:
        draw_down(actor=billing_actor, purchase_id=p.pk, charge_id=massage.pk)
    assert exc.value.status == 409 and "expired" in exc.value.detail
    PackagePurchase.objects.filter(pk=p.pk).update(expires_on=date(2027, 11, 1), sessions_total=0)
    with pytest.raises(ApplicationError) as exc:
        draw_down(actor=billing_actor, purchase_id=p.pk, charge_id=massage.pk)
    assert "no sessions left" in exc.value.detail
    assert ledger.balance(addressed.pk).patient_due == before.patient_due + Decimal("120.00")
    assert not PackageUse.objects.exists()


def test_refund_unused_sessions_prorata_and_never_more_than_paid(billing_actor, completed_visit, addressed, plans,
                                                                  monkeypatch):
    p = purchase(actor=billing_actor, patient=addressed, plan=plans["10"])
    with pytest.raises(ApplicationError) as exc:  # nothing paid yet: no refund
        refund_unused(actor=billing_actor, purchase_id=p.pk, reference="R-1")
    assert exc.value.status == 409
    _paid(billing_actor, p)
    draw_down(actor=billing_actor, purchase_id=p.pk, charge_id=_direct(billing_actor, completed_visit).pk)
    due_before = ledger.balance(addressed.pk).patient_due
    assert refund_unused(actor=billing_actor, purchase_id=p.pk, reference="R-1") == Decimal("900.00")
    assert ledger.balance(addressed.pk).patient_due == due_before  # credit and refund net to zero
    assert PackagePurchase.objects.get(pk=p.pk).status == PurchaseStatus.REFUNDED
    monkeypatch.setenv("PLEXUS_PACKAGE_REFUND", "none")
    q = purchase(actor=billing_actor, patient=addressed, plan=plans["5"])
    _paid(billing_actor, q)
    assert refund_unused(actor=billing_actor, purchase_id=q.pk, reference="R-2") == Decimal("0.00")


def test_membership_bills_monthly_once_pauses_and_cancels(billing_actor, addressed, plans):
    start = datetime(2026, 9, 30, 17, tzinfo=UTC)
    m = purchase(actor=billing_actor, patient=addressed, plan=plans["Monthly"], now=start)
    assert m.next_billing_date == date(2026, 10, 30)
    reconcile_packages(now=datetime(2026, 11, 27, 17, tzinfo=UTC))
    assert [b.period_start for b in MembershipBill.objects.order_by("period_start")] == [
        date(2026, 9, 30), date(2026, 10, 30)]
    assert reconcile_packages(now=datetime(2026, 11, 27, 18, tzinfo=UTC)) == 0  # a second pass bills nothing
    m.refresh_from_db()
    assert m.next_billing_date == date(2026, 11, 30)
    membership_set(actor=billing_actor, purchase_id=m.pk, action="pause", until=date(2027, 1, 15))
    reconcile_packages(now=datetime(2026, 12, 5, 17, tzinfo=UTC))
    assert MembershipBill.objects.count() == 2
    with pytest.raises(ApplicationError) as exc:
        membership_set(actor=billing_actor, purchase_id=m.pk, action="pause", until=date(2026, 1, 1))
    assert exc.value.errors[0].field == "until"
    membership_set(actor=billing_actor, purchase_id=m.pk, action="cancel")
    reconcile_packages(now=datetime(2027, 3, 1, 17, tzinfo=UTC))
    assert MembershipBill.objects.count() == 2 and Invoice.objects.count() == 2


def test_membership_session_and_discount(billing_actor, completed_visit, addressed, plans):
    m = purchase(actor=billing_actor, patient=addressed, plan=plans["Monthly"],
                 now=datetime(2026, 11, 1, 17, tzinfo=UTC))
    first = _direct(billing_actor, completed_visit)
    draw_down(actor=billing_actor, purchase_id=m.pk, charge_id=first.pk)
    second = _direct(billing_actor, completed_visit, day=date(2026, 11, 21))
    with pytest.raises(ApplicationError):  # one session a month
        draw_down(actor=billing_actor, purchase_id=m.pk, charge_id=second.pk)
    inv = invoice_issue(actor=billing_actor, invoice=invoice_create(actor=billing_actor, patient=addressed,
                                                                    charge_ids=[second.pk]))
    assert total(inv) == Decimal("108.00")  # 10% off the 120.00 massage
    assert inv.lines.get(position=2).description.startswith("Monthly wellness membership: 10% off")


def test_package_api_and_panel(client_for, billing_actor, completed_visit, addressed, plans):
    front = client_for("front_desk")
    assert {p["name"] for p in front.get("/api/billing/package-plans").json()} >= {"5 massages (60 min)"}
    resp = front.post(f"/api/billing/patients/{addressed.pk}/packages", json.dumps({"plan_id": plans["5"].pk}),
                      content_type="application/json")
    assert resp.status_code == 201 and resp.json()["sessions_left"] == 5
    pid = resp.json()["id"]
    charge = _direct(billing_actor, completed_visit)
    panel = front.get(f"/billing/patients/{addressed.pk}/account/")
    assert b"use for 97124" in panel.content and b"5 massages (60 min)" in panel.content
    resp = front.post(f"/billing/patients/{addressed.pk}/packages/", {"action": "draw", "purchase_id": pid,
                                                                       "charge_id": charge.pk})
    assert resp.status_code == 200 and b"4 sessions left" in resp.content
    bad = front.post(f"/api/billing/packages/{pid}/draw", json.dumps({"charge_id": charge.pk}),
                     content_type="application/json")
    assert bad.status_code == 422 and bad.json()["errors"][0]["field"] == "charge_id"
    assert front.post(f"/api/billing/packages/{pid}/membership", json.dumps({"action": "cancel"}),
                      content_type="application/json").status_code == 422
    assert front.get(f"/api/billing/patients/{addressed.pk}/packages").json()[0]["sessions_left"] == 4
    assert front.post(f"/billing/patients/{addressed.pk}/packages/", {"action": "buy", "plan_id": 0}
                      ).status_code == 422
    assert client_for("practitioner").get(f"/api/billing/patients/{addressed.pk}/packages").status_code == 403


def test_refunded_package_invoice_owes_nothing(billing_actor, addressed, plans):
    from plexus.billing.invoices import balance_due

    p = purchase(actor=billing_actor, patient=addressed, plan=plans["5"])
    _paid(billing_actor, p)
    refund_unused(actor=billing_actor, purchase_id=p.pk, reference="R-9")
    p.invoice.refresh_from_db()
    assert balance_due(p.invoice) == Decimal("0.00") and ledger.balance(addressed.pk).patient_due == Decimal("0.00")
