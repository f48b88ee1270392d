"""The pure benefits summary over parsed 271s (no database)."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from plexus.billing.benefits import AMBER, GREEN, RED, summarize
from plexus.billing.simulator import GENERAL_ONLY_BODY, STANDARDS_BODY
from plexus.engines.x12 import EnvelopeSpec, parse_271, write_interchange

ALL = ("30", "33", "64", "BE", "MH", "98")


def _271(body, trace="T1"):
    segs = [("BHT", "0022", "11", "R1", "20261127", "0900"),
            ("HL", "1", "", "20", "1"), ("NM1", "PR", "2", "EVERGREEN HEALTH PPO", "", "", "", "", "PI", "EVG01"),
            ("HL", "2", "1", "21", "1"), ("NM1", "1P", "2", "HARMONY", "", "", "", "", "XX", "1234567893"),
            ("HL", "3", "2", "22", "0"), ("TRN", "2", trace, "9PLEXUS000"),
            ("NM1", "IL", "1", "LOPEZ", "MARIA", "", "", "", "MI", "EVG8842001"), ("DMG", "D8", "19740514", "F"),
            *body]
    spec = EnvelopeSpec("CH", "PLEXUS", 7, 7, datetime(2026, 11, 27, 9, 0))
    (resp,) = parse_271(write_interchange(spec, "HB", "005010X279A1", [("271", segs)]))
    return resp


def _by_type(summary):
    return {s.service_type: s for s in summary.services}


def test_standards_271_summary():
    summary = summarize(_271(STANDARDS_BODY), ALL)
    s = _by_type(summary)
    assert summary.plan == "GOLD PPO" and summary.active is True and summary.general_only == ()
    general = s["30"]
    assert (general.deductible_total, general.deductible_remaining) == (Decimal(1500), Decimal(750))
    assert general.out_of_pocket_remaining == Decimal(2800) and general.status == GREEN
    assert general.headline == "General coverage: covered, deductible $1,500 ($750 left), $2,800 out-of-pocket left"
    acu = s["64"]
    assert acu.specific and acu.covered and acu.coinsurance_percent == Decimal(20)
    assert (acu.visits_total, acu.visit_period, acu.visits_remaining) == (12, "90 days", None)
    assert acu.in_network == "Y" and acu.status == GREEN
    assert acu.headline == "Acupuncture: covered, 20% coinsurance, 12 visits per 90 days"
    chiro = s["33"]
    assert chiro.copay == Decimal(25) and (chiro.visits_total, chiro.visits_used, chiro.visits_remaining) == (20, 6, 14)
    assert chiro.visit_period == "calendar year"
    assert chiro.headline == "Chiropractic: covered, $25 copay, 20 visits per calendar year (6 used, 14 left)"
    massage = s["BE"]
    assert massage.covered is False and massage.status == RED
    assert massage.headline == "Massage: not covered — direct pay"
    assert s["MH"].covered is True and s["MH"].status == GREEN
    assert s["98"].copay == Decimal(30)
    # Deductible and out-of-pocket are plan-level: every service type carries them.
    assert acu.deductible_remaining == Decimal(750) and acu.out_of_pocket_remaining == Decimal(2800)


def test_general_only_answer_says_so_plainly():
    summary = summarize(_271(GENERAL_ONLY_BODY), ALL)
    s = _by_type(summary)
    assert set(summary.general_only) == {"64", "BE"}
    acu = s["64"]
    assert not acu.specific and acu.status == AMBER
    assert acu.reasons[0] == "Payer answered for general coverage only."
    assert "general coverage only" in acu.headline
    assert acu.visits_total is None and acu.coinsurance_percent is None
    assert s["33"].specific and s["98"].copay == Decimal(40)  # listed in the repeated EB03
    assert s["30"].deductible_total == Decimal(2000)


def test_visit_limit_reached_is_red_and_few_left_is_amber():
    body = [("EB", "1", "IND", "30"), ("EB", "A", "IND", "64", "", "", "", "", "0.2"),
            ("EB", "F", "IND", "64", "", "", "23", "", "", "VS", "12"),
            ("EB", "F", "IND", "64", "", "", "29", "", "", "VS", "0"),
            ("EB", "B", "IND", "33", "", "", "27", "20", "", "", "", "Y"),
            ("EB", "F", "IND", "33", "", "", "23", "", "", "VS", "20"),
            ("EB", "F", "IND", "33", "", "", "29", "", "", "VS", "2")]
    s = _by_type(summarize(_271(body), ALL))
    assert s["64"].status == RED and s["64"].visits_used == 12 and "Visit limit reached" in s["64"].reasons[0]
    assert s["33"].status == AMBER and s["33"].auth_required is True
    assert "prior authorization required" in s["33"].headline


def test_inactive_plan_and_rejection():
    s = _by_type(summarize(_271([("EB", "6", "IND", "30")]), ("30", "64")))
    assert s["30"].status == RED and s["30"].active is False
    rejected = summarize(_271([("AAA", "N", "", "75", "C")]), ("30",))
    assert rejected.rejections == ("Payer rejected the request: subscriber not found (AAA 75)",)
    assert rejected.active is None


def test_maria_demo_shape_two_used_of_twelve():
    body = [("EB", "1", "IND", "30", "", "GOLD PPO"), ("EB", "A", "IND", "64", "", "", "", "", "0.2", "", "", "", "Y"),
            ("EB", "F", "IND", "64", "", "", "23", "", "", "VS", "12"),
            ("EB", "F", "IND", "64", "", "", "29", "", "", "VS", "10")]
    acu = _by_type(summarize(_271(body), ("64",)))["64"]
    assert acu.headline == "Acupuncture: covered, 20% coinsurance, 12 visits per calendar year (2 used, 10 left)"
