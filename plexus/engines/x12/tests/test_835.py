from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from plexus.engines.x12 import Adjustment, Delimiters, ProviderAdjustment, X12Error, parse_835

from .conftest import read
from .factories import make_835
from .pyx12_oracle import validate_with_pyx12

GOLDEN = read("835_managed_care.x12")


def raises_at(text: str, index: int, seg_id: str, position: int | None) -> X12Error:
    with pytest.raises(X12Error) as info:
        parse_835(text)
    err = info.value
    assert (err.segment_index, err.segment_id, err.element_position) == (index, seg_id, position), str(err)
    return err


def test_golden_file_validates_with_pyx12():
    ok, messages = validate_with_pyx12(GOLDEN, with_ack=False)
    assert ok, messages


def test_golden_header_and_parties():
    (r,) = parse_835(GOLDEN)
    assert (r.handling_code, r.payment_amount, r.credit_debit, r.payment_method) == ("I", Decimal("441.27"), "C", "ACH")
    assert r.payment_date == date(2025, 3, 5) and r.production_date == date(2025, 3, 1)
    assert (r.trace_number, r.originator_id) == ("12345", "1512345678")
    assert r.payer.name == "EXAMPLE HEALTH PLAN"
    assert (r.payee.name, r.payee.id_qualifier, r.payee.identifier) == ("HARMONY INTEGRATIVE CLINIC", "XX", "1456789019")
    assert r.provider_adjustments == (
        ProviderAdjustment("1456789019", date(2025, 12, 31), "CV", "CP", Decimal("-1.27")),
        ProviderAdjustment("1456789019", date(2025, 12, 31), "WO", "INV123", Decimal("10")),
    )


def test_golden_claims_and_lines():
    (r,) = parse_835(GOLDEN)
    first, second = r.claims
    assert (first.patient_control_number, first.status, first.charge, first.paid, first.patient_responsibility,
            first.filing_indicator, first.payer_claim_number) == (
        "5554555444", "1", Decimal(800), Decimal(450), Decimal(300), "12", "94060555410000")
    assert first.adjustments == (Adjustment("CO", "A2", Decimal(50)),)
    assert (first.patient.name, first.patient.first_name, first.patient.identifier) == ("BUDD", "WILLIAM",
                                                                                          "33344555510")
    assert first.statement_start == first.statement_end == date(2025, 2, 1)
    (line,) = first.lines
    assert (line.procedure_code, line.charge, line.paid, line.units, line.service_date) == (
        "99211", Decimal(800), Decimal(450), Decimal(1), date(2025, 2, 1))
    assert line.adjustments == (Adjustment("PR", "1", Decimal(300)), Adjustment("CO", "A2", Decimal(50)))
    assert line.remark_codes == ("N130",)
    assert second.denied and second.remark_codes == ("MA130",)
    assert [(ln.procedure_code, ln.modifiers, ln.units) for ln in second.lines] == [
        ("97810", ("GP",), Decimal(1)), ("97811", (), Decimal(2))]
    assert sum(ln.charge for ln in second.lines) == second.charge


def test_pyx12_public_sample_835_mult_loops():
    text = read("835_mult_loops.txt")
    assert validate_with_pyx12(text, with_ack=False)[0]
    (r,) = parse_835(text)
    assert r.payment_method == "NON" and r.payment_amount == 0 and r.payment_date == date(2004, 10, 28)
    (claim,) = r.claims
    assert (claim.patient_control_number, claim.status, claim.charge, claim.filing_indicator) == (
        "2005555A", "4", Decimal("915.39"), "MC")
    assert claim.patient_responsibility == 0 and claim.patient.name == "BACH"
    assert [ln.units for ln in claim.lines] == [68, 16, 36]
    assert [ln.adjustments[0].group for ln in claim.lines] == ["CO", "OA", "OA"]
    assert all(ln.remark_codes == ("N14",) for ln in claim.lines)
    assert claim.lines[0].service_date == claim.lines[0].service_date_end == date(2003, 11, 29)
    assert sum(ln.charge for ln in claim.lines) == claim.charge


def test_generated_835_validates_and_parses():
    text = make_835(25)
    ok, messages = validate_with_pyx12(text, with_ack=False)
    assert ok, messages
    (r,) = parse_835(text)
    assert len(r.claims) == 25
    assert r.payment_amount == sum(c.paid for c in r.claims) - sum(a.amount for a in r.provider_adjustments)


def test_unusual_delimiters_835():
    text = make_835(5, delimiters=Delimiters("|", ">", "}", "\n"))
    assert parse_835(text) == parse_835(make_835(5))


def test_cas_with_six_triples():
    text = GOLDEN.replace("CAS*CO*A2*50~\nNM1*QC*1*BUDD",
                          "CAS*CO*A2*50*1*45*5**94*1*3*B6*2**A1*1**B1*4~\nNM1*QC*1*BUDD")
    claim = parse_835(text)[0].claims[0]
    assert [(a.reason, a.amount, a.quantity) for a in claim.adjustments] == [
        ("A2", 50, 1), ("45", 5, None), ("94", 1, 3), ("B6", 2, None), ("A1", 1, None), ("B1", 4, None)]


# --- bad input ---------------------------------------------------------------------------------

def test_claim_without_patient_name():
    raises_at(GOLDEN.replace("NM1*QC*1*BUDD*WILLIAM****MI*33344555510~\n", "").replace("SE*37", "SE*36"),
              17, "CLP", None)


def test_claim_missing_payer_claim_number():
    bad = GOLDEN.replace("CLP*5554555444*1*800*450*300*12*94060555410000~", "CLP*5554555444*1*800*450*300*12~")
    err = raises_at(bad, 17, "CLP", 7)
    assert "payer claim control number" in err.message


def test_claim_with_bad_amount():
    raises_at(GOLDEN.replace("CLP*5554555444*1*800*", "CLP*5554555444*1*8O0*"), 17, "CLP", 3)


def test_unknown_segment_inside_835():
    bad = GOLDEN.replace("LQ*HE*N130~", "LQ*HE*N130~\nSV1*HC:99211*1~").replace("SE*37", "SE*38")
    raises_at(bad, 27, "SV1", None)


def test_missing_bpr():
    bad = GOLDEN.replace("BPR*I*441.27*C*ACH*CCP*01*999999992*DA*123456*1512345678**01*999988880*DA*98765*20250305~\n",
                         "").replace("SE*37", "SE*36")
    raises_at(bad, 4, "TRN", None)


def test_missing_payee():
    bad = GOLDEN.replace("N1*PE*", "N2*").replace("REF*TJ*931234567~\n", "")
    raises_at(bad.replace("SE*37", "SE*36"), 15, "LX", None)


def test_bad_adjustment_group():
    raises_at(GOLDEN.replace("CAS*CO*A2*50~\nNM1", "CAS*CR*A2*50~\nNM1"), 18, "CAS", 1)


def test_not_an_835():
    raises_at(read("999_accepted.x12"), 3, "ST", 1)
