from __future__ import annotations

import dataclasses
from datetime import date
from decimal import Decimal

import pytest

from plexus.engines.x12 import (
    Address,
    Adjustment,
    Claim,
    ClaimBatch,
    ClaimGroup,
    Delimiters,
    LineAdjudication,
    OtherPayer,
    Patient,
    Payer,
    ServiceLine,
    Subscriber,
    build_837p,
    parse_interchange,
    parse_interchanges,
    tokenize,
)
from plexus.engines.x12.tx837p import MAX_CLAIMS_PER_HL

from .conftest import read
from .factories import (
    ACUPUNCTURIST,
    BILLING,
    CHIROPRACTOR,
    CREATED,
    DX,
    PAYER,
    PHYSICIAN,
    RECEIVER,
    SUBMITTER,
    envelope,
    random_batch,
)
from .pyx12_oracle import validate_with_pyx12

JANE = Subscriber("XYZ123456789", "DOE", "JANE", date(1980, 2, 14), "F",
                  Address("200 OAK AVE", "PORTLAND", "OR", "972051234"), "GRP001")
DOS = date(2025, 1, 10)
ACU_CLAIM = Claim(
    "PT000123", Decimal("235.00"), "11", ("M54.50", "G89.29"),
    (ServiceLine("99213", Decimal("110.00"), DOS, modifiers=("25",), diagnosis_pointers=(1, 2)),
     ServiceLine("97810", Decimal("75"), DOS), ServiceLine("97811", Decimal("50"), DOS)),
    rendering_provider=ACUPUNCTURIST, supervising_provider=PHYSICIAN,
)


def batch(*groups: ClaimGroup) -> ClaimBatch:
    return ClaimBatch(SUBMITTER, RECEIVER, BILLING, groups, "BATCH0001", CREATED)


def assert_valid(text: str) -> None:
    ok, messages = validate_with_pyx12(text)
    assert ok and not messages, "\n".join(messages)


def test_golden_acupuncture_claim_segment_by_segment():
    built = build_837p(batch(ClaimGroup(JANE, PAYER, (ACU_CLAIM,))), envelope(), newline=True)
    golden = tokenize(read("837p_acupuncture.x12"))[1]
    ours = tokenize(built)[1]
    assert [(s.seg_id, s.elements) for s in ours] == [(s.seg_id, s.elements) for s in golden]
    assert built == read("837p_acupuncture.x12")
    assert_valid(built)


def test_chiropractic_with_at_modifier_and_initial_treatment_date():
    claim = Claim("PT000200", Decimal("110"), "11", ("M99.03", "M54.50"),
                  (ServiceLine("98941", Decimal("110"), DOS, modifiers=("AT",), diagnosis_pointers=(1, 2)),),
                  rendering_provider=CHIROPRACTOR, initial_treatment_date=date(2024, 11, 15),
                  prior_authorization="AUTH778899")
    text = build_837p(batch(ClaimGroup(JANE, PAYER, (claim,))), envelope())
    segs = tokenize(text)[1]
    ids = [s.seg_id for s in segs]
    assert "DTP*454*D8*20241115~" in text and "SV1*HC:98941:AT*110*UN*1***1:2~" in text
    assert "HI*ABK:M9903*ABF:M5450~" in text and "REF*G1*AUTH778899~" in text
    assert ids.index("DTP") > ids.index("CLM")
    assert_valid(text)


def test_many_claims_and_subscribers_in_one_file():
    text = build_837p(random_batch(40, seed=5), envelope(icn=900))
    ic = parse_interchange(text)
    (tx,) = ic.transactions()
    assert sum(1 for s in tx.body if s.seg_id == "CLM") == 40
    assert sum(1 for s in tx.body if s.seg_id == "HL") == 1 + 14
    assert_valid(text)


def test_twelve_diagnosis_codes_and_four_modifiers():
    line = ServiceLine("97140", Decimal("65.5"), DOS, Decimal(2), ("GP", "59", "KX", "XU"), (1, 5, 9, 12))
    claim = Claim("PT12DX", Decimal("65.5"), "11", DX, (line,), rendering_provider=ACUPUNCTURIST)
    text = build_837p(batch(ClaimGroup(JANE, PAYER, (claim,))), envelope())
    hi = next(s for s in tokenize(text)[1] if s.seg_id == "HI")
    assert len(hi.elements) == 12 and hi.component(12, 1) == "ABF"
    assert "SV1*HC:97140:GP:59:KX:XU*65.5*UN*2***1:5:9:12~" in text
    assert_valid(text)


@pytest.mark.parametrize("delims", [Delimiters("|", ">", "{", "\n"), Delimiters("^", "\\", "!", "'"),
                                    Delimiters("+", ":", "?", "#")])
def test_unusual_delimiters_validate(delims: Delimiters):
    text = build_837p(batch(ClaimGroup(JANE, PAYER, (ACU_CLAIM,))), envelope(), delims)
    assert parse_interchange(text).delimiters == delims
    assert_valid(text)


def test_dependent_patient_loop_2000c():
    child = Patient("19", "DOE", "TIM", date(2015, 6, 7), "M", Address("200 OAK AVE", "PORTLAND", "OR", "97205"))
    group = ClaimGroup(dataclasses.replace(JANE, address=None), PAYER,
                       (dataclasses.replace(ACU_CLAIM, patient_control_number="PTKID1"),), patient=child)
    text = build_837p(batch(group, ClaimGroup(JANE, PAYER, (ACU_CLAIM,))), envelope())
    assert "HL*3*2*23*0~PAT*19~NM1*QC*1*DOE*TIM~" in text and "HL*2*1*22*1~SBR*P**GRP001" in text
    assert "HL*4*1*22*0~" in text
    assert_valid(text)


def test_subscriber_loop_repeats_past_100_claims():
    claims = tuple(dataclasses.replace(ACU_CLAIM, patient_control_number=f"PT{n}") for n in range(150))
    text = build_837p(batch(ClaimGroup(JANE, PAYER, claims)), envelope())
    body = parse_interchange(text).transactions()[0].body
    hls = [s for s in body if s.seg_id == "HL"]
    assert [h.element(3) for h in hls] == ["20", "22", "22"]
    assert sum(1 for s in body if s.seg_id == "CLM") == 150
    assert MAX_CLAIMS_PER_HL == 100
    assert_valid(text)


def test_transactions_split_at_5000_claims():
    text = build_837p(random_batch(5003, seed=9, claims_per_subscriber=1), envelope())
    (ic,) = parse_interchanges(text)
    txs = ic.transactions()
    assert [sum(1 for s in t.body if s.seg_id == "CLM") for t in txs] == [5000, 3]
    assert [t.control_number for t in txs] == ["0001", "0002"]
    assert txs[1].body[0].element(3) == "BATCH0001-2"


@pytest.mark.parametrize(("change", "message"), [
    ({"total_charge": Decimal("999")}, "total charge"),
    ({"diagnosis_codes": (*DX, "Z000")}, "diagnosis codes"),
    ({"diagnosis_codes": ()}, "diagnosis codes"),
    ({"lines": ()}, "service lines"),
    ({"lines": (ServiceLine("97810", Decimal("235"), DOS, diagnosis_pointers=(3,)),)}, "pointers"),
    ({"lines": (ServiceLine("97810", Decimal("235"), DOS, modifiers=("1", "2", "3", "4", "5")),)}, "modifiers"),
    ({"rendering_provider": dataclasses.replace(ACUPUNCTURIST, npi="1234567890")}, "NPI"),
])
def test_invalid_claims_are_refused(change, message):
    claim = dataclasses.replace(ACU_CLAIM, **change)
    with pytest.raises(ValueError, match=message):
        build_837p(batch(ClaimGroup(JANE, PAYER, (claim,))), envelope())


def test_too_many_lines_refused():
    lines = tuple(ServiceLine("97810", Decimal(1), DOS) for _ in range(51))
    claim = dataclasses.replace(ACU_CLAIM, lines=lines, total_charge=Decimal(51))
    with pytest.raises(ValueError, match="service lines"):
        build_837p(batch(ClaimGroup(JANE, PAYER, (claim,))), envelope())


# Secondary claims: coordination of benefits (2320/2330A/2330B/2430).

PRIMARY = Payer("FIRST CHOICE HEALTH", "60054", Address("PO BOX 1000", "SEATTLE", "WA", "98101"))
SECONDARY = Payer("SECOND HEALTH PLAN", "77001")
JANE_SECONDARY = dataclasses.replace(JANE, member_id="SEC55501", group_number="GRP900",
                                     payer_responsibility="S")
ADJUDICATED = date(2025, 2, 3)
SEC_LINES = (ServiceLine("97810", Decimal("120.00"), DOS), ServiceLine("97811", Decimal("96.00"), DOS))


def _line_adjudication(code: str, paid: str, co45: str, pr2: str) -> LineAdjudication:
    return LineAdjudication(code, (), Decimal(paid), Decimal(1),
                            (Adjustment("CO", "45", Decimal(co45)), Adjustment("PR", "2", Decimal(pr2))),
                            ADJUDICATED)


PRIMARY_ADJUDICATION = OtherPayer(
    PRIMARY, JANE, Decimal("144.00"),
    lines=(_line_adjudication("97810", "80.00", "20.00", "20.00"),
           _line_adjudication("97811", "64.00", "16.00", "16.00")),
)
SEC_CLAIM = Claim("PT000900", Decimal("216.00"), "11", ("M54.50",), SEC_LINES,
                  rendering_provider=ACUPUNCTURIST, supervising_provider=PHYSICIAN,
                  other_payers=(PRIMARY_ADJUDICATION,))


def test_secondary_claim_with_line_adjudication_validates():
    text = build_837p(batch(ClaimGroup(JANE_SECONDARY, SECONDARY, (SEC_CLAIM,))), envelope())
    assert_valid(text)
    assert "SBR*S*18*GRP900******CI~NM1*IL*1*DOE*JANE****MI*SEC55501~" in text
    assert ("SBR*P*18*GRP001******CI~AMT*D*144~OI***Y***Y~NM1*IL*1*DOE*JANE****MI*XYZ123456789~"
            "N3*200 OAK AVE~N4*PORTLAND*OR*972051234~NM1*PR*2*FIRST CHOICE HEALTH*****PI*60054~"
            "N3*PO BOX 1000~N4*SEATTLE*WA*98101~LX*1~") in text
    assert ("DTP*472*D8*20250110~SVD*60054*80*HC:97810**1~CAS*CO*45*20~CAS*PR*2*20~DTP*573*D8*20250203~"
            "LX*2~") in text
    assert text.count("SVD*60054*") == 2 and "SVD*60054*64*HC:97811**1~CAS*CO*45*16~CAS*PR*2*16~" in text


def test_secondary_claim_loops_in_guide_order():
    text = build_837p(batch(ClaimGroup(JANE_SECONDARY, SECONDARY, (SEC_CLAIM,))), envelope())
    body = parse_interchange(text).transactions()[0].body
    tail = [(s.seg_id, s.element(1)) for s in body[[s.seg_id for s in body].index("CLM"):]]
    assert tail == [
        ("CLM", "PT000900"), ("HI", "ABK:M5450"), ("NM1", "82"), ("PRV", "PE"), ("NM1", "DQ"),
        ("SBR", "P"), ("AMT", "D"), ("OI", ""), ("NM1", "IL"), ("N3", "200 OAK AVE"), ("N4", "PORTLAND"),
        ("NM1", "PR"), ("N3", "PO BOX 1000"), ("N4", "SEATTLE"),
        ("LX", "1"), ("SV1", "HC:97810"), ("DTP", "472"), ("SVD", "60054"), ("CAS", "CO"), ("CAS", "PR"),
        ("DTP", "573"),
        ("LX", "2"), ("SV1", "HC:97811"), ("DTP", "472"), ("SVD", "60054"), ("CAS", "CO"), ("CAS", "PR"),
        ("DTP", "573"),
    ]


def test_tertiary_claim_with_claim_level_adjudication_and_cas_chunking():
    # The secondary adjudicated at claim level only: 7 CO reasons -> two CAS*CO segments (6 + 1).
    co = tuple(Adjustment("CO", str(r), Decimal("1.00")) for r in (45, 97, 16, 18, 24, 59, 96))
    secondary = OtherPayer(SECONDARY, JANE_SECONDARY, Decimal("50.00"),
                           claim_adjustments=(*co, Adjustment("PR", "1", Decimal("15"), Decimal(1))),
                           responsibility="S", adjudicated=date(2025, 2, 20),
                           remaining_liability=Decimal("15.00"))
    claim = dataclasses.replace(SEC_CLAIM, patient_control_number="PT000901",
                                other_payers=(PRIMARY_ADJUDICATION, dataclasses.replace(
                                    secondary, paid=Decimal("194.00"))))
    tertiary = dataclasses.replace(JANE, member_id="TER1", payer_responsibility="T")
    text = build_837p(batch(ClaimGroup(tertiary, Payer("THIRD PLAN", "88002"), (claim,))), envelope())
    assert_valid(text)
    assert ("SBR*S*18*GRP900******CI~CAS*CO*45*1**97*1**16*1**18*1**24*1**59*1~CAS*CO*96*1~CAS*PR*1*15*1~"
            "AMT*D*194~AMT*EAF*15~OI***Y***Y~NM1*IL*1*DOE*JANE****MI*SEC55501~") in text
    assert "NM1*PR*2*SECOND HEALTH PLAN*****PI*77001~DTP*573*D8*20250220~LX*1~" in text
    assert text.count("~SVD*") == 2  # only the primary reported line adjudication


def test_claim_without_other_payers_is_byte_identical():
    claim = dataclasses.replace(ACU_CLAIM, other_payers=())
    assert claim == ACU_CLAIM
    built = build_837p(batch(ClaimGroup(JANE, PAYER, (claim,))), envelope(), newline=True)
    assert built == read("837p_acupuncture.x12")
    assert "SBR*P*18" not in built.split("CLM*", 1)[1] and "SVD" not in built


@pytest.mark.parametrize(("change", "message"), [
    ({"lines": PRIMARY_ADJUDICATION.lines[:1]}, r"claim PT000900 other payer 60054: 1 line adjudications for 2"),
    ({"paid": Decimal("-1")}, r"claim PT000900 other payer 60054: paid -1 is negative"),
    ({"paid": Decimal("140")}, r"paid 140 \+ adjustments 72.00 != total charge 216.00"),
    ({"lines": (PRIMARY_ADJUDICATION.lines[0], _line_adjudication("97811", "64", "16", "10"))},
     r"claim PT000900 line 2 other payer 60054: paid 64 \+ adjustments 26 != line charge 96.00"),
    ({"lines": (), "claim_adjustments": (Adjustment("CO", "45", Decimal(72)),)}, "adjudication date required"),
    ({"lines": (), "adjudicated": ADJUDICATED, "claim_adjustments": (Adjustment("XX", "45", Decimal(72)),)},
     "adjustment group 'XX'"),
    ({"lines": (), "adjudicated": ADJUDICATED,
      "claim_adjustments": tuple(Adjustment(g, str(r), Decimal(12)) for g in ("CO", "OA", "PI") for r in (1, 2))
      + tuple(Adjustment(g, "1", Decimal(0)) for g in ("PR", "CR", "CO", "CO", "CO", "CO", "CO", "CO"))},
     "need 6 CAS segments, at most 5"),
    ({"responsibility": "S"}, "responsibility 'S' repeats"),
])
def test_invalid_other_payers_are_refused(change, message):
    claim = dataclasses.replace(SEC_CLAIM, other_payers=(dataclasses.replace(PRIMARY_ADJUDICATION, **change),))
    with pytest.raises(ValueError, match=message):
        build_837p(batch(ClaimGroup(JANE_SECONDARY, SECONDARY, (claim,))), envelope())
