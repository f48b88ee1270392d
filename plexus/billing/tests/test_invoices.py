"""Direct pay: invoices from visits and by hand, payments (HSA/FSA rules), letters, PDFs, superbills."""

from __future__ import annotations

import contextlib
import json
from datetime import date
from decimal import Decimal

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from plexus.billing import ledger
from plexus.billing.charges import EncounterInput, encounter_approve, encounter_record
from plexus.billing.documents import invoice_html, superbill_html, superbill_visits, to_pdf
from plexus.billing.invoices import (
    ProductLine,
    balance_due,
    hsa_room,
    invoice_create,
    invoice_issue,
    invoice_pay,
    invoice_void,
    letter_create,
    paid,
    uninvoiced_charges,
)
from plexus.billing.models import Invoice, InvoiceStatus, LedgerEntry
from plexus.core.errors import ApplicationError
from plexus.core.models import Practitioner

MASSAGE = "Therapeutic massage 60 min (97124)"
ACU = "Acupuncture, initial 15 min (97810)"
SUPPLEMENT = ProductLine("Magnesium glycinate 120 ct", Decimal("24.00"), Decimal(2), Decimal("0.08"), "eligible")


def _massage(actor, completed_visit, **kw):
    appt = completed_visit(MASSAGE, "Ortiz", **kw)
    enc = encounter_record(actor=actor, data=EncounterInput(appt.pk, ("M62.830",), None))
    encounter_approve(actor=actor, encounter=enc)
    return enc


def _issued(actor, patient, products=()):
    return invoice_issue(actor=actor, invoice=invoice_create(actor=actor, patient=patient, products=products))


def test_invoice_from_visit_and_product_posts_once(billing_actor, completed_visit, addressed):
    _massage(billing_actor, completed_visit)
    inv = invoice_create(actor=billing_actor, patient=addressed, products=[SUPPLEMENT])
    lines = list(inv.lines.all())
    assert [(li.procedure_code, li.amount) for li in lines] == [("97124", Decimal("120.00")), ("", Decimal("51.84"))]
    assert lines[1].tax == Decimal("3.84") and inv.status == InvoiceStatus.DRAFT
    assert uninvoiced_charges(addressed.pk) == []
    assert ledger.balance(addressed.pk).patient_due == Decimal("120.00")  # the visit charge only, so far
    invoice_issue(actor=billing_actor, invoice=inv)
    assert ledger.balance(addressed.pk).patient_due == Decimal("171.84")
    with pytest.raises(ApplicationError) as exc:
        invoice_issue(actor=billing_actor, invoice=inv)
    assert exc.value.status == 409 and ledger.balance(addressed.pk).patient_due == Decimal("171.84")


def test_payments_partial_then_paid_and_overpayment_needs_explicit_credit(billing_actor, completed_visit,
                                                                           addressed):
    _massage(billing_actor, completed_visit)
    inv = _issued(billing_actor, addressed)
    invoice_pay(actor=billing_actor, invoice=inv, amount=Decimal("20.00"), method="cash", reference="C1")
    inv.refresh_from_db()
    assert inv.status == InvoiceStatus.PARTIAL and paid(inv) == Decimal("20.00")
    with pytest.raises(ApplicationError) as exc:
        invoice_pay(actor=billing_actor, invoice=inv, amount=Decimal("150.00"), method="cash", reference="C2")
    assert exc.value.errors[0].field == "amount" and paid(inv) == Decimal("20.00")
    invoice_pay(actor=billing_actor, invoice=inv, amount=Decimal("150.00"), method="cash", reference="C2",
                credit_overpayment=True)
    inv.refresh_from_db()
    assert inv.status == InvoiceStatus.PAID and balance_due(inv) == Decimal("-50.00")
    assert ledger.balance(addressed.pk).patient_due == Decimal("-50.00")  # a credit on the account


def test_hsa_pays_only_eligible_lines_and_a_letter_makes_massage_eligible(billing_actor, completed_visit,
                                                                           addressed):
    _massage(billing_actor, completed_visit)
    inv = _issued(billing_actor, addressed, [SUPPLEMENT])
    assert hsa_room(inv) == Decimal("51.84")  # massage needs a letter; the supplement is eligible
    with pytest.raises(ApplicationError) as exc:
        invoice_pay(actor=billing_actor, invoice=inv, amount=Decimal("100.00"), method="hsa", reference="H1")
    assert "HSA/FSA card can pay only eligible lines" in exc.value.errors[0].message
    assert not LedgerEntry.objects.filter(method="hsa").exists()
    chen = Practitioner.objects.get(last_name="Chen")
    letter_create(actor=billing_actor, patient=addressed, practitioner_id=chen.pk, diagnoses=["M54.50"],
                  procedure_codes=["97124"], frequency="weekly for 12 weeks", valid_from=date(2026, 11, 1),
                  valid_to=date(2027, 1, 31))
    assert hsa_room(inv) == Decimal("171.84")
    invoice_pay(actor=billing_actor, invoice=inv, amount=Decimal("171.84"), method="hsa", reference="H2")
    inv.refresh_from_db()
    assert inv.status == InvoiceStatus.PAID and hsa_room(inv) == Decimal("0.00")


@pytest.mark.parametrize(("kw", "field"), [
    ({"diagnoses": []}, "diagnoses"), ({"diagnoses": ["bad"]}, "diagnoses[0]"),
    ({"procedure_codes": ["99999"]}, "procedure_codes"), ({"valid_to": date(2026, 1, 1)}, "valid_to"),
    ({"practitioner_id": 0}, "practitioner_id"), ({"frequency": " "}, "frequency"),
])
def test_bad_letter_names_the_field(billing_actor, addressed, kw, field):
    base = {"practitioner_id": Practitioner.objects.get(last_name="Chen").pk, "diagnoses": ["M54.50"],
            "procedure_codes": ["97124"], "frequency": "weekly", "valid_from": date(2026, 11, 1),
            "valid_to": date(2026, 12, 31)}
    with pytest.raises(ApplicationError) as exc:
        letter_create(actor=billing_actor, patient=addressed, **{**base, **kw})
    assert field in [e.field for e in exc.value.errors]
    assert not addressed.medical_necessity_letters.exists()


@pytest.mark.parametrize(("product", "field"), [
    (ProductLine("", Decimal(1)), "lines[0].description"), (ProductLine("x", Decimal(0)), "lines[0].unit_price"),
    (ProductLine("x", Decimal(1), Decimal(0)), "lines[0].quantity"),
    (ProductLine("x", Decimal(1), tax_rate=Decimal(2)), "lines[0].tax_rate"),
    (ProductLine("x", Decimal(1), hsa_eligibility="maybe"), "lines[0].hsa_eligibility"),
])
def test_bad_invoice_item_names_the_field(billing_actor, addressed, product, field):
    with pytest.raises(ApplicationError) as exc:
        invoice_create(actor=billing_actor, patient=addressed, products=[product])
    assert field in [e.field for e in exc.value.errors] and not Invoice.objects.exists()


def test_nothing_to_invoice_and_void_rules(billing_actor, completed_visit, addressed):
    with pytest.raises(ApplicationError) as exc:
        invoice_create(actor=billing_actor, patient=addressed)
    assert exc.value.errors[0].field == "lines"
    _massage(billing_actor, completed_visit)
    inv = _issued(billing_actor, addressed, [SUPPLEMENT])
    invoice_pay(actor=billing_actor, invoice=inv, amount=Decimal("5.00"), method="cash", reference="V1")
    with pytest.raises(ApplicationError) as exc:
        invoice_void(actor=billing_actor, invoice=inv, reason="wrong patient")
    assert exc.value.status == 409
    other = _issued(billing_actor, addressed, [SUPPLEMENT])
    before = ledger.balance(addressed.pk).patient_due
    invoice_void(actor=billing_actor, invoice=other, reason="entered twice")
    assert ledger.balance(addressed.pk).patient_due == before - Decimal("51.84")
    with pytest.raises(ApplicationError) as exc:
        invoice_pay(actor=billing_actor, invoice=Invoice.objects.get(pk=other.pk), amount=Decimal(1), method="cash",
                    reference="V2")
    assert exc.value.status == 409


def test_invoice_pdf_and_superbill_contents(billing_actor, completed_visit, addressed):
    acu = completed_visit(ACU, "Li", minutes=45)
    encounter_approve(actor=billing_actor, encounter=encounter_record(
        actor=billing_actor, data=EncounterInput(acu.pk, ("M54.50", "G89.29"), None)))
    _massage(billing_actor, completed_visit, hour=13)
    inv = _issued(billing_actor, addressed)
    invoice_pay(actor=billing_actor, invoice=inv, amount=balance_due(inv), method="card_external", reference="T1")
    inv.refresh_from_db()
    html = invoice_html(inv)
    assert "Itemised receipt" in html and "Eligible" in html and "Tax ID" in html
    pdf = to_pdf(html)
    assert pdf.startswith(b"%PDF") and len(pdf) > 2000
    sb = superbill_html(addressed, date(2026, 11, 1), date(2026, 11, 30))
    for needle in ("97810", "97811", "M5450", "G8929", "Organisation NPI", "Tax ID (EIN)", "EVG8842001",
                   "1974-05-14", ">11<", "Provider signature"):
        assert needle in sb, needle
    visits = superbill_visits(addressed, date(2026, 11, 1), date(2026, 11, 30))
    assert sum(v.paid for v in visits) == inv_total(inv) and to_pdf(sb).startswith(b"%PDF")


def inv_total(inv):
    from plexus.billing.invoices import total

    return total(inv)


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(ops=st.lists(st.tuples(st.sampled_from(["pay", "hsa", "over"]), st.integers(1, 20000)), max_size=8))
def test_property_invoice_payments_never_exceed_rules(billing_actor, addressed, ops):
    """Over random payments: paid never exceeds the total unless a credit was explicit, HSA never
    exceeds eligible lines, and the ledger equals the sum of its entries."""
    inv = _issued(billing_actor, addressed, [SUPPLEMENT, ProductLine("Yoga mat", Decimal("40.00"))])
    for n, (kind, cents) in enumerate(ops):
        amount = Decimal(cents) / 100
        with contextlib.suppress(ApplicationError):  # refused payments are part of the property
            invoice_pay(actor=billing_actor, invoice=inv, amount=amount, method="hsa" if kind == "hsa" else "cash",
                        reference=f"P{inv.pk}-{n}", credit_overpayment=kind == "over")
    hsa_paid = -sum((e.amount for e in LedgerEntry.objects.filter(invoice=inv, method="hsa")), Decimal(0))
    assert hsa_paid <= Decimal("51.84")
    credits = any(k == "over" for k, _ in ops)
    assert credits or paid(inv) <= Decimal("91.84")
    total = sum((e.amount for e in LedgerEntry.objects.filter(patient=addressed)), Decimal(0))
    assert ledger.balance(addressed.pk).total == total


def test_direct_pay_http(client_for, billing_actor, completed_visit, addressed):
    _massage(billing_actor, completed_visit)
    front = client_for("front_desk")
    resp = front.post(f"/api/billing/patients/{addressed.pk}/invoices", json.dumps(
        {"products": [{"description": "Omega-3", "unit_price": "30.00", "hsa_eligibility": "eligible"}]}),
        content_type="application/json")
    assert resp.status_code == 201, resp.content
    inv = resp.json()
    assert inv["total"] == "150.00" and len(inv["lines"]) == 2
    assert front.post(f"/api/billing/invoices/{inv['id']}/issue").json()["status"] == "issued"
    bad = front.post(f"/api/billing/invoices/{inv['id']}/payments", json.dumps(
        {"amount": "150.00", "method": "hsa", "reference": "H"}), content_type="application/json")
    assert bad.status_code == 422 and bad.json()["errors"][0]["field"] == "amount"
    ok = front.post(f"/api/billing/invoices/{inv['id']}/payments", json.dumps(
        {"amount": "30.00", "method": "hsa", "reference": "H"}), content_type="application/json")
    assert ok.status_code == 201 and ok.json()["status"] == "partial"
    assert front.get(f"/api/billing/invoices/{inv['id']}/pdf")["Content-Type"] == "application/pdf"
    assert front.post(f"/api/billing/invoices/{inv['id']}/void", json.dumps({"reason": "x"}),
                      content_type="application/json").status_code == 403
    sb = front.get(f"/api/billing/patients/{addressed.pk}/superbill?start=2026-11-01&end=2026-11-30")
    assert sb.status_code == 200 and sb.content.startswith(b"%PDF")
    assert front.get(f"/api/billing/patients/{addressed.pk}/superbill?start=2026-12-01&end=2026-11-01"
                     ).status_code == 422
    chen = Practitioner.objects.get(last_name="Chen").pk
    letter = front.post(f"/api/billing/patients/{addressed.pk}/letters", json.dumps({
        "practitioner_id": chen, "diagnoses": ["M54.50"], "procedure_codes": ["97124"], "frequency": "weekly",
        "valid_from": "2026-11-01", "valid_to": "2027-01-31"}), content_type="application/json")
    assert letter.status_code == 201
    assert front.get(f"/api/billing/invoices/{inv['id']}").json()["hsa_room"] == "120.00"


def test_direct_pay_screens(client_for, billing_actor, completed_visit, addressed):
    _massage(billing_actor, completed_visit)
    front = client_for("front_desk")
    panel = front.get(f"/billing/patients/{addressed.pk}/account/")
    assert b"Not invoiced yet" in panel.content and b"Create invoice" in panel.content
    resp = front.post(f"/billing/patients/{addressed.pk}/invoices/new/", {"description": "Magnesium",
                                                                           "unit_price": "24.00", "quantity": "1",
                                                                           "tax_rate": "0", "hsa_eligibility":
                                                                           "eligible"})
    assert resp.status_code == 302
    url = resp["Location"]
    assert front.post(url, {"action": "issue"}).status_code == 302
    bad = front.post(url, {"action": "pay", "amount": "200", "method": "hsa", "reference": "H9"})
    assert bad.status_code == 422 and b"HSA/FSA card can pay only eligible lines" in bad.content
    assert front.post(url, {"action": "pay", "amount": "144.00", "method": "card_external",
                            "reference": "T9"}).status_code == 302
    page = front.get(url)
    assert b"Paid" in page.content and b"Itemised receipt" in page.content
    assert front.get(url + "?pdf=1")["Content-Type"] == "application/pdf"
    assert front.post(url, {"action": "void", "reason": "x"}).status_code == 403
    bad_letter = front.post(f"/billing/patients/{addressed.pk}/letters/new/", {"diagnoses": ""})
    assert bad_letter.status_code == 422 and not addressed.medical_necessity_letters.exists()
    sb = front.get(f"/billing/patients/{addressed.pk}/superbill/")
    assert sb.status_code == 200 and sb["Content-Type"] == "application/pdf"
    assert client_for("practitioner").get(f"/billing/patients/{addressed.pk}/superbill/").status_code == 403


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(ops=st.lists(st.tuples(st.sampled_from(["pay", "refund"]), st.integers(1, 12000)), min_size=1, max_size=10))
def test_property_refunds_never_exceed_payments_and_entries_never_change(billing_actor, addressed, ops):
    """Over random payments and refunds on one invoice: refunded <= paid at every step, the
    balance is the sum of the entries, and entries already written stay exactly as they were."""
    from plexus.billing.invoices import invoice_refund

    inv = _issued(billing_actor, addressed, [ProductLine("Herbal formula", Decimal("80.00"))])
    seen: dict[int, tuple] = {}
    for n, (kind, cents) in enumerate(ops):
        amount = Decimal(cents) / 100
        with contextlib.suppress(ApplicationError):
            if kind == "pay":
                invoice_pay(actor=billing_actor, invoice=inv, amount=amount, method="cash", reference=f"Q{inv.pk}-{n}",
                            credit_overpayment=True)
            else:
                invoice_refund(actor=billing_actor, invoice=inv, amount=amount, method="cash",
                               reference=f"RF{inv.pk}-{n}", reason="not given")
        entries = LedgerEntry.objects.filter(invoice=inv)
        payments = -sum((e.amount for e in entries if e.kind == "patient_payment"), Decimal(0))
        refunds = sum((e.amount for e in entries if e.kind == "refund"), Decimal(0))
        assert refunds <= payments
        for e in LedgerEntry.objects.filter(patient=addressed):
            snapshot = (e.amount, e.kind, e.account, e.key, e.posted_at)
            assert seen.setdefault(e.pk, snapshot) == snapshot
    total = sum((e.amount for e in LedgerEntry.objects.filter(patient=addressed)), Decimal(0))
    assert ledger.balance(addressed.pk).total == total


def test_refund_rules(billing_actor, addressed):
    from plexus.billing.invoices import invoice_refund

    inv = _issued(billing_actor, addressed, [ProductLine("Herbal formula", Decimal("80.00"))])
    invoice_pay(actor=billing_actor, invoice=inv, amount=Decimal("80.00"), method="cash", reference="F1")
    with pytest.raises(ApplicationError) as exc:
        invoice_refund(actor=billing_actor, invoice=inv, amount=Decimal("90.00"), method="cash", reference="X",
                       reason="r")
    assert exc.value.errors[0].field == "amount"
    invoice_refund(actor=billing_actor, invoice=inv, amount=Decimal("30.00"), method="cash", reference="X",
                   reason="half returned")
    inv.refresh_from_db()
    assert paid(inv) == Decimal("50.00") and balance_due(inv) == Decimal("0.00") and inv.status == "paid"
    assert ledger.balance(addressed.pk).patient_due == Decimal("0.00")


def test_refund_screen_and_api(client_for, billing_actor, addressed):
    inv = _issued(billing_actor, addressed, [ProductLine("Herbal formula", Decimal("80.00"))])
    invoice_pay(actor=billing_actor, invoice=inv, amount=Decimal("80.00"), method="cash", reference="G1")
    billing = client_for("billing")
    bad = billing.post(f"/billing/invoices/{inv.pk}/", {"action": "refund", "refund_amount": "99",
                                                         "refund_reference": "K", "reason": "r"})
    assert bad.status_code == 422 and b"At most $80.00" in bad.content
    ok = billing.post(f"/api/billing/invoices/{inv.pk}/refunds", json.dumps(
        {"amount": "10.00", "method": "cash", "reference": "K2", "reason": "partly not given"}),
        content_type="application/json")
    assert ok.status_code == 201 and ok.json()["paid"] == "70.00"
    assert client_for("front_desk").post(f"/billing/invoices/{inv.pk}/", {"action": "refund"}).status_code == 403


def test_superbills_command_writes_one_pdf_per_patient(billing_actor, completed_visit, addressed, tmp_path):
    from django.core.management import CommandError, call_command

    _massage(billing_actor, completed_visit)
    call_command("superbills", "--start", "2026-11-01", "--end", "2026-11-30", "--out", str(tmp_path / "sb"))
    (pdf,) = (tmp_path / "sb").iterdir()
    assert pdf.name == "superbill-P900001-2026-11-01-2026-11-30.pdf" and pdf.read_bytes().startswith(b"%PDF")
    with pytest.raises(CommandError, match="after"):
        call_command("superbills", "--start", "2026-12-01", "--end", "2026-11-01", "--out", str(tmp_path))
