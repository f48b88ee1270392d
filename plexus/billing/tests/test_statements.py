"""Monthly statements: contents across both streams, one per month, email with PDF, follow-ups."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal

from django.core import mail

from plexus.billing.charges import EncounterInput, encounter_approve, encounter_record
from plexus.billing.claims import batch_build
from plexus.billing.models import Statement
from plexus.billing.payer_sim import adjudicate
from plexus.billing.services import x12_import
from plexus.billing.statements import month_end, reconcile_statements, statement_data, statement_html, statement_pdf

ACU = "Acupuncture, initial 15 min (97810)"
MASSAGE = "Therapeutic massage 60 min (97124)"


def _month(billing_actor, completed_visit, addressed):
    """November: an acupuncture claim paid by the 835 (coinsurance to Maria) and a direct-pay massage."""
    addressed.consent_email = True
    addressed.save()
    cov = addressed.coverages.get().pk
    encounter_approve(actor=billing_actor, encounter=encounter_record(
        actor=billing_actor, data=EncounterInput(completed_visit(ACU, "Li", minutes=60).pk, ("M54.50",), cov)))
    encounter_approve(actor=billing_actor, encounter=encounter_record(
        actor=billing_actor, data=EncounterInput(completed_visit(MASSAGE, "Ortiz", hour=13).pk, ("M62.830",), None)))
    batch = batch_build(actor=billing_actor)
    x12_import(actor=billing_actor, text=adjudicate(batch.x12, created=datetime(2026, 11, 27, 12),
                                                    control_number=31).remit_835, source_name="era.835")


def test_statement_shows_both_streams(billing_actor, completed_visit, addressed):
    _month(billing_actor, completed_visit, addressed)
    d = statement_data(addressed, date(2026, 11, 30))
    assert d.charged == Decimal("345.00")  # 225.00 acupuncture + 120.00 massage
    assert d.insurance_paid == Decimal("144.00") and d.adjusted == Decimal("45.00")
    assert d.balance.patient_due == Decimal("156.00") and d.balance.insurance_pending == Decimal("0.00")
    assert d.aging.b0_30 == Decimal("156.00")
    html = statement_html(d)
    assert "Amount due: $156.00" in html and "November 2026" in html
    assert statement_pdf(addressed, date(2026, 11, 30)).startswith(b"%PDF")


def test_reconciler_sends_once_and_follows_up(billing_actor, completed_visit, addressed):
    _month(billing_actor, completed_visit, addressed)
    assert month_end(date(2026, 12, 2)) == date(2026, 11, 30)
    first = datetime(2026, 12, 2, 14, tzinfo=UTC)
    assert reconcile_statements(now=first) == 1
    assert reconcile_statements(now=first) == 0
    st = Statement.objects.get()
    assert (st.period_end, st.patient_due, st.emailed_to) == (date(2026, 11, 30), Decimal("156.00"),
                                                             "maria@example.com")
    (sent,) = mail.outbox
    assert sent.attachments[0][0] == "statement-2026-11.pdf" and "156.00" in sent.body
    assert "M54" not in sent.subject + sent.body  # no clinical detail in email
    assert reconcile_statements(now=datetime(2027, 1, 3, 14, tzinfo=UTC)) >= 1
    st.refresh_from_db()
    assert st.follow_ups == [30] and "still due" in mail.outbox[-1].body
    reconcile_statements(now=datetime(2027, 1, 4, 14, tzinfo=UTC))
    st.refresh_from_db()
    assert st.follow_ups == [30]


def test_statement_screen_and_api(client_for, billing_actor, completed_visit, addressed):
    _month(billing_actor, completed_visit, addressed)
    front = client_for("front_desk")
    resp = front.get(f"/billing/patients/{addressed.pk}/statement/?end=2026-11-30")
    assert resp.status_code == 200 and resp.content.startswith(b"%PDF")
    assert front.get(f"/billing/patients/{addressed.pk}/statement/?end=nope").status_code == 422
    api = front.get(f"/api/billing/patients/{addressed.pk}/statement?end=2026-11-30")
    assert api.status_code == 200 and api["Content-Type"] == "application/pdf"
    assert client_for("practitioner").get(f"/billing/patients/{addressed.pk}/statement/").status_code == 403
