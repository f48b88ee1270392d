from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from plexus.engines.x12 import ElementError, SegmentError, Status, X12Error, parse_277ca, parse_999

from .conftest import read
from .pyx12_oracle import validate_with_pyx12


def test_999_accepted():
    (ack,) = parse_999(read("999_accepted.x12"))
    assert ack.accepted and (ack.functional_id, ack.group_control_number, ack.version) == ("HC", "123",
                                                                                           "005010X222A1")
    assert (ack.included, ack.received, ack.accepted_count) == (1, 1, 1)
    (tx,) = ack.transactions
    assert tx.accepted and (tx.set_id, tx.control_number, tx.segment_errors) == ("837", "0001", ())


def test_999_rejected_with_segment_and_element_errors():
    text = read("999_rejected.x12")
    assert validate_with_pyx12(text, with_ack=False)[0]
    (ack,) = parse_999(text)
    assert not ack.accepted and ack.status == "R" and ack.accepted_count == 0
    (tx,) = ack.transactions
    assert not tx.accepted and tx.control_number == "0028" and tx.error_codes == ("5",)
    assert tx.segment_errors == (
        SegmentError("NM1", 17, "2010", "8", (ElementError(9, None, None, "67", "7", "12345"),)),)


def test_999_missing_ak9():
    text = read("999_accepted.x12").replace("AK9*A*1*1*1~\n", "").replace("SE*6*", "SE*5*")
    with pytest.raises(X12Error) as info:
        parse_999(text)
    assert (info.value.segment_index, info.value.segment_id) == (7, "SE")


def test_999_unknown_segment():
    text = read("999_accepted.x12").replace("IK5*A~", "CLP*1~")
    with pytest.raises(X12Error) as info:
        parse_999(text)
    assert (info.value.segment_index, info.value.segment_id) == (6, "CLP")


def test_277ca_accepted():
    text = read("277ca_accepted.x12")
    assert validate_with_pyx12(text, with_ack=False)[0]
    (claim,) = parse_277ca(text)
    assert claim.accepted and not claim.rejected
    assert (claim.patient_control_number, claim.payer_claim_number, claim.clearinghouse_trace) == (
        "PT000123", "25016000123", "CH7788990001")
    assert (claim.patient_last_name, claim.member_id) == ("DOE", "XYZ123456789")
    assert claim.statuses == (Status("A2", "20", "PR", date(2025, 1, 16), "WQ", Decimal(235)),)
    assert claim.service_date == claim.service_date_end == date(2025, 1, 10)


def test_277ca_rejected_public_sample_with_pipe_components():
    (claim,) = parse_277ca(read("277ca_rejected.x12"))
    assert claim.rejected and not claim.accepted
    assert claim.patient_control_number == "3920394930203" and claim.payer_claim_number == "1107000000001120"
    assert claim.statuses == (Status("A7", "562", "85", date(2011, 3, 11), "WQ", Decimal("199.14")),)


def test_277ca_line_level_rejection():
    text = read("277ca_accepted.x12").replace(
        "DTP*472*RD8*20250110-20250110~",
        "DTP*472*RD8*20250110-20250110~\nSVC*HC:97810:GP*75*****1~\nSTC*A3:21:82*20250116*U~\nREF*FJ*2~\n"
        "DTP*472*D8*20250110~").replace("SE*28", "SE*32")
    (claim,) = parse_277ca(text)
    (line,) = claim.lines
    assert (line.procedure_code, line.modifiers, line.charge, line.control_number) == ("97810", ("GP",),
                                                                                       Decimal(75), "2")
    assert line.statuses[0].category == "A3" and line.service_date == date(2025, 1, 10)


def test_277ca_bad_status():
    text = read("277ca_accepted.x12").replace("STC*A2:20:PR*", "STC*:20:PR*")
    with pytest.raises(X12Error) as info:
        parse_277ca(text)
    assert (info.value.segment_id, info.value.element_position) == ("STC", 1)
