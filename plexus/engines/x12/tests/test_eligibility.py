from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from plexus.engines.x12 import (
    DateInfo,
    Delivery,
    EligibilityRequest,
    InformationReceiver,
    InformationSource,
    Member,
    Rejection,
    X12Error,
    build_270,
    parse_271,
    parse_interchange,
)

from .conftest import read
from .factories import envelope, make_271

SOURCE = InformationSource("EXAMPLE HEALTH PLAN", "12345")
CLINIC = InformationReceiver("HARMONY INTEGRATIVE CLINIC", "1456789019")
JANE = Member("DOE", "JANE", date(1980, 2, 14), "F", "XYZ123456789")


def benefit_rows(resp):
    return [(b.code, b.coverage_level, b.service_types, b.time_period, b.amount, b.percent, b.quantity_qualifier,
             b.quantity, b.in_network) for b in resp.benefits]


def test_golden_271_every_benefit():
    (resp,) = parse_271(read("271_benefits.x12"))
    assert resp.trace_numbers == ("93175-012547",)
    assert (resp.payer.name, resp.payer.identifier) == ("EXAMPLE HEALTH PLAN", "12345")
    assert resp.provider.identifier == "1456789019"
    sub = resp.subscriber
    assert (sub.last_name, sub.first_name, sub.member_id, sub.birth_date, sub.gender, sub.group_number) == (
        "DOE", "JANE", "XYZ123456789", date(1980, 2, 14), "F", "GRP001")
    assert resp.dependent is None and resp.rejections == ()
    assert resp.dates == (DateInfo("346", date(2025, 1, 1)),)
    n = None
    assert benefit_rows(resp) == [
        ("1", "IND", ("30",), "", n, n, "", n, ""),                      # active coverage
        ("C", "IND", ("30",), "23", Decimal(1500), n, "", n, ""),        # deductible, calendar year
        ("C", "IND", ("30",), "29", Decimal(750), n, "", n, ""),         # deductible remaining
        ("A", "IND", ("64",), "", n, Decimal("0.2"), "", n, "Y"),        # acupuncture 20% coinsurance
        ("F", "IND", ("64",), "", n, n, "", n, ""),                      # acupuncture limitation (HSD)
        ("B", "IND", ("33",), "27", Decimal(25), n, "", n, "Y"),         # chiropractic copay per visit
        ("F", "IND", ("33",), "23", n, n, "VS", Decimal(20), ""),        # 20 visits per calendar year
        ("F", "IND", ("33",), "29", n, n, "VS", Decimal(14), ""),        # 14 remaining
        ("I", "IND", ("BE",), "", n, n, "", n, ""),                      # massage not covered
        ("1", "IND", ("MH",), "", n, n, "", n, ""),                      # mental health active
        ("B", "IND", ("98",), "27", Decimal(30), n, "", n, "Y"),         # office visit copay
        ("G", "IND", ("30",), "29", Decimal(2800), n, "", n, "Y"),       # out-of-pocket remaining
    ]
    assert resp.benefits[0].plan_description == "GOLD PPO"
    assert resp.benefits[4].deliveries == (Delivery("VS", Decimal(12), "", None, "7", Decimal(90)),)
    assert [b.code for b in resp.benefits_for("33")] == ["B", "F", "F"]


def test_multiple_subscribers_rejection_dependent_and_repeated_eb03():
    smith, nguyen, sofia = parse_271(read("271_multi.x12"))
    assert smith.trace_numbers == ("TRACE-A",)
    (copay,) = smith.benefits
    assert copay.service_types == ("1", "33", "35", "47", "86", "88", "98", "AL", "MH", "UC")
    assert (copay.insurance_type, copay.plan_description, copay.amount) == ("HM", "GOLD 123 PLAN", Decimal("10.00"))
    assert copay.messages == ("COPAY WAIVED FOR PREVENTIVE VISITS",)
    assert nguyen.benefits == () and nguyen.rejections == (Rejection("2100C", "Y", "72", "C"),)
    assert sofia.trace_numbers == ("TRACE-C",) and sofia.subscriber.member_id == "M555444333"
    assert sofia.dependent is not None and sofia.dependent.first_name == "SOFIA"
    assert sofia.dependent.birth_date == date(2015, 6, 7)
    active, limit = sofia.benefits
    assert active.dates == (DateInfo("291", date(2025, 1, 1), date(2025, 12, 31)),)
    assert (limit.auth_required, limit.in_network, limit.quantity) == ("N", "W", Decimal(20))


def test_generated_271s_round_trip_trace_numbers():
    for n in range(20):
        (resp,) = parse_271(make_271(n))
        assert resp.trace_numbers == (f"TRACE{n}",)
        assert len(resp.benefits) == 8


def test_271_unknown_segment_in_benefit_loop():
    text = read("271_benefits.x12").replace("HSD*VS*12***7*90~", "CLM*X*1~")
    with pytest.raises(X12Error) as info:
        parse_271(text)
    assert (info.value.segment_index, info.value.segment_id) == (22, "CLM")


def test_271_eb_quantity_pair_enforced():
    text = read("271_benefits.x12").replace("EB*F*IND*33***23***VS*20~", "EB*F*IND*33***23***VS~")
    with pytest.raises(X12Error) as info:
        parse_271(text)
    assert (info.value.segment_index, info.value.segment_id, info.value.element_position) == (24, "EB", 10)


def test_271_bad_amount():
    text = read("271_benefits.x12").replace("EB*C*IND*30***23*1500~", "EB*C*IND*30***23*15X0~")
    with pytest.raises(X12Error) as info:
        parse_271(text)
    assert (info.value.segment_id, info.value.element_position) == ("EB", 7)


def test_build_270_subscriber():
    req = EligibilityRequest(SOURCE, CLINIC, JANE, ("30", "64", "BE", "33"), "93175-012547", date(2025, 1, 20))
    text = build_270([req], envelope(), "ELIG0001")
    tx = parse_interchange(text).transactions()[0]
    assert (tx.set_id, tx.implementation) == ("270", "005010X279A1")
    ids = [s.seg_id for s in tx.body]
    assert ids == ["BHT", "HL", "NM1", "HL", "NM1", "HL", "TRN", "NM1", "DMG", "DTP", "EQ", "EQ", "EQ", "EQ"]
    assert "TRN*1*93175-012547*9PLEXUS000~" in text and "DTP*291*D8*20250120~" in text
    assert "NM1*IL*1*DOE*JANE****MI*XYZ123456789~" in text and "GS*HS*" in text


def test_build_270_dependent_and_many():
    kid = Member("DOE", "TIM", date(2015, 6, 7), "M")
    reqs = [EligibilityRequest(SOURCE, CLINIC, JANE, ("30",), f"T{n}", date(2025, 1, 20),
                               dependent=kid if n == 1 else None) for n in range(3)]
    text = build_270(reqs, envelope(), "ELIG0002")
    hls = [s for s in parse_interchange(text).transactions()[0].body if s.seg_id == "HL"]
    assert [(h.element(1), h.element(2), h.element(3)) for h in hls] == [
        ("1", "", "20"), ("2", "1", "21"), ("3", "2", "22"),
        ("4", "", "20"), ("5", "4", "21"), ("6", "5", "22"), ("7", "6", "23"),
        ("8", "", "20"), ("9", "8", "21"), ("10", "9", "22")]
    assert "NM1*03*1*DOE*TIM~" in text


def test_build_270_refuses_incomplete():
    with pytest.raises(ValueError, match="service type"):
        build_270([EligibilityRequest(SOURCE, CLINIC, JANE, (), "T", date(2025, 1, 1))], envelope(), "R")
    with pytest.raises(ValueError, match="NPI"):
        bad = InformationReceiver("X", "1234567890")
        build_270([EligibilityRequest(SOURCE, bad, JANE, ("30",), "T", date(2025, 1, 1))], envelope(), "R")
