"""Pay by link: signed expiring links, card payment through a Stripe-compatible processor (a real
local HTTP server), declines, the external-terminal mode, and emailing an invoice with its link."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
import time_machine
from django.core import mail

from plexus.billing.invoices import ProductLine, balance_due, invoice_create, invoice_issue
from plexus.billing.models import InvoiceStatus, LedgerEntry
from plexus.billing.paylink import email_invoice, sign
from plexus.billing.tests.conftest import NOW
from plexus.billing.tests.test_processor import stripe_server  # noqa: F401  (the local processor fixture)

ITEM = ProductLine("Omega-3 fish oil", Decimal("30.00"), hsa_eligibility="eligible")


@pytest.fixture
def issued(billing_actor, addressed):
    return invoice_issue(actor=billing_actor, invoice=invoice_create(actor=billing_actor, patient=addressed,
                                                                     products=[ITEM]))


@pytest.fixture
def card_processor(stripe_server, monkeypatch):  # noqa: F811
    monkeypatch.setenv("PLEXUS_PAYMENTS_URL", stripe_server.url)
    monkeypatch.setenv("PLEXUS_PAYMENTS_SECRET_KEY", "sk_test_local")
    return stripe_server



def test_patient_pays_by_link_once(client, issued, card_processor):
    url = "/billing/pay/" + sign(issued) + "/"
    page = client.get(url)
    assert page.status_code == 200 and b"$30.00" in page.content and b"Omega" not in page.content
    resp = client.post(url, {"card": "pm_card_visa", "attempt": "a1"})
    assert resp.status_code == 200 and b"this invoice is paid" in resp.content
    issued.refresh_from_db()
    assert issued.status == InvoiceStatus.PAID and balance_due(issued) == Decimal("0.00")
    (req,) = card_processor.requests
    assert req["form"]["amount"] == "3000" and req["headers"]["Idempotency-Key"] == f"{issued.number}:a1"
    entry = LedgerEntry.objects.get(invoice=issued, kind="patient_payment")
    assert entry.method == "card" and entry.memo.endswith("pi_0001")
    again = client.post(url, {"card": "pm_card_visa", "attempt": "a2"})
    assert b"this invoice is paid" in again.content and len(card_processor.requests) == 1


def test_decline_records_nothing(client, issued, card_processor):
    card_processor.answers.append((402, {"error": {"type": "card_error", "code": "card_declined",
                                                   "message": "Your card was declined."}}))
    resp = client.post("/billing/pay/" + sign(issued) + "/", {"card": "pm_card_declined", "attempt": "d1"})
    assert resp.status_code == 422 and b"Your card was declined." in resp.content
    assert not LedgerEntry.objects.filter(kind="patient_payment").exists()


def test_processor_down_records_nothing(client, issued, card_processor):
    card_processor.answers.append((500, {"error": {"message": "boom"}}))
    resp = client.post("/billing/pay/" + sign(issued) + "/", {"card": "pm_card_visa", "attempt": "x1"})
    assert resp.status_code == 422 and b"nothing was taken" in resp.content
    issued.refresh_from_db()
    assert issued.status == InvoiceStatus.ISSUED


def test_expired_or_tampered_link(client, issued):
    token = sign(issued)
    assert client.get("/billing/pay/" + token[:-2] + "xx/").status_code == 410
    with time_machine.travel(NOW + timedelta(days=15), tick=False):
        resp = client.get("/billing/pay/" + token + "/")
    assert resp.status_code == 410 and b"expired" in resp.content


def test_without_card_processor_the_page_says_pay_at_the_desk(client, issued, monkeypatch):
    monkeypatch.delenv("PLEXUS_PAYMENTS_URL", raising=False)
    page = client.get("/billing/pay/" + sign(issued) + "/")
    assert b"pay at the front desk" in page.content and b'name="card"' not in page.content


def test_email_invoice_with_pdf_and_link(billing_actor, issued, addressed, client_for):
    from plexus.core.errors import ApplicationError

    with pytest.raises(ApplicationError) as exc:  # no consent to email yet
        email_invoice(actor=billing_actor, invoice=issued)
    assert exc.value.errors[0].field == "email" and not mail.outbox
    addressed.consent_email = True
    addressed.save()
    resp = client_for("front_desk").post(f"/billing/invoices/{issued.pk}/", {"action": "email"})
    assert resp.status_code == 302
    (sent,) = mail.outbox
    assert sent.attachments[0][0] == f"{issued.number}.pdf" and "/billing/pay/" in sent.body
