"""The claim scrubber: a clean claim, then one golden case per problem code."""

from __future__ import annotations

from dataclasses import replace
from datetime import date, timedelta
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from plexus.engines.claims import (
    ERROR,
    PAYER_TYPES,
    PROBLEM_CODES,
    TIMELY_FILING_DAYS,
    WARNING,
    ClaimFacts,
    LineFacts,
    ProviderFacts,
    scrub,
)

TODAY = date(2025, 2, 1)
DOS = date(2025, 1, 10)
D = Decimal
# Fake NPIs that pass the Luhn check (the same ones as the X12 tests).
ACUPUNCTURIST = ProviderFacts("Anna Lee, LAc", "1654321094", "lac", credentialed=True, requires_supervisor=False,
                              can_supervise=False)
PHYSICIAN = ProviderFacts("John Smith, MD", "1987654328", "md", credentialed=True, requires_supervisor=False,
                          can_supervise=True)
CHIROPRACTOR = ProviderFacts("Ravi Patel, DC", "1234567893", "dc", credentialed=True, requires_supervisor=False,
                             can_supervise=False)


def line(code: str, pointers: tuple[int, ...] = (1,), modifiers: tuple[str, ...] = (), charge: str = "75",
         units: str = "1", service_date: date = DOS) -> LineFacts:
    return LineFacts(code, modifiers, D(units), D(charge), pointers, service_date)


CLEAN = ClaimFacts(
    payer_type="commercial",
    billing_npi="1456789019",
    billing_tax_id="93-1234567",
    rendering=ACUPUNCTURIST,
    supervising=None,
    diagnoses=("M54.50", "G89.29"),
    lines=(line("99213", (1, 2), ("25",), "110"), line("97810"), line("97811", charge="50")),
    place_of_service="11",
    member_id="XYZ123456789",
    subscriber_address_complete=True,
    timely_filing_days=90,
    authorization_required=False,
    authorization_number="",
)
MEDICARE_ACU = replace(CLEAN, payer_type="medicare", supervising=PHYSICIAN, timely_filing_days=365,
                       lines=(line("97810", modifiers=("GA",)), line("97811", charge="50")))
MEDICARE_CHIRO = replace(CLEAN, payer_type="medicare", rendering=CHIROPRACTOR, diagnoses=("M99.03", "M54.50"),
                         timely_filing_days=365, lines=(line("98941", (1, 2), ("AT",), "110"),))


def found(facts: ClaimFacts, today: date = TODAY) -> list[tuple[str, str, str]]:
    return [(p.code, p.field, p.severity) for p in scrub(facts, today)]


@pytest.mark.parametrize("facts", [CLEAN, MEDICARE_ACU, MEDICARE_CHIRO], ids=["commercial", "medicare-acu", "chiro"])
def test_clean_claim_has_no_problems(facts: ClaimFacts) -> None:
    assert scrub(facts, TODAY) == ()


def lines_of(*lines: LineFacts) -> dict[str, object]:
    return {"lines": lines}


CASES: list[tuple[str, ClaimFacts, list[tuple[str, str, str]]]] = [
    ("billing-npi-missing", replace(CLEAN, billing_npi=" "), [("billing-npi-missing", "billing_npi", ERROR)]),
    ("billing-npi-invalid", replace(CLEAN, billing_npi="1456789018"), [("billing-npi-invalid", "billing_npi", ERROR)]),
    ("billing-tax-id-missing", replace(CLEAN, billing_tax_id=""),
     [("billing-tax-id-missing", "billing_tax_id", ERROR)]),
    ("billing-tax-id-invalid", replace(CLEAN, billing_tax_id="931-23-4567"),
     [("billing-tax-id-invalid", "billing_tax_id", ERROR)]),
    ("rendering-missing", replace(CLEAN, rendering=None), [("rendering-missing", "rendering", ERROR)]),
    ("rendering-npi-missing", replace(CLEAN, rendering=replace(ACUPUNCTURIST, npi="")),
     [("rendering-npi-missing", "rendering.npi", ERROR)]),
    ("rendering-npi-invalid", replace(CLEAN, rendering=replace(ACUPUNCTURIST, npi="0654321094")),
     [("rendering-npi-invalid", "rendering.npi", ERROR)]),
    ("rendering-not-credentialed", replace(CLEAN, rendering=replace(ACUPUNCTURIST, credentialed=False)),
     [("rendering-not-credentialed", "rendering.credentialed", ERROR)]),
    ("supervising-missing", replace(CLEAN, rendering=replace(ACUPUNCTURIST, requires_supervisor=True)),
     [("supervising-missing", "supervising", ERROR)]),
    ("supervising-npi-missing", replace(CLEAN, supervising=replace(PHYSICIAN, npi="")),
     [("supervising-npi-missing", "supervising.npi", ERROR)]),
    ("supervising-npi-invalid", replace(CLEAN, supervising=replace(PHYSICIAN, npi="1987654321")),
     [("supervising-npi-invalid", "supervising.npi", ERROR)]),
    ("supervising-cannot-supervise", replace(CLEAN, supervising=replace(PHYSICIAN, can_supervise=False)),
     [("supervising-cannot-supervise", "supervising.can_supervise", ERROR)]),
    ("diagnoses-missing", replace(CLEAN, diagnoses=(), lines=(line("97810", ()),)),
     [("diagnoses-missing", "diagnoses", ERROR), ("line-pointer-missing", "lines[0].diagnosis_pointers", ERROR)]),
    ("diagnoses-too-many", replace(CLEAN, diagnoses=("M54.50", "G89.29", "M54.2", "R51.9", "F41.9", "M62.83",
                                                     "G47.00", "M25.511", "M79.604", "R53.83", "Z73.3", "M54.6",
                                                     "M54.9")),
     [("diagnoses-too-many", "diagnoses", ERROR)]),
    ("diagnosis-invalid", replace(CLEAN, diagnoses=("M54.50", "5450", "M54.5012X")),
     [("diagnosis-invalid", "diagnoses[1]", ERROR), ("diagnosis-invalid", "diagnoses[2]", ERROR)]),
    ("lines-missing", replace(CLEAN, lines=()), [("lines-missing", "lines", ERROR)]),
    ("lines-too-many", replace(CLEAN, lines=(line("97140"),) * 51), [("lines-too-many", "lines", ERROR)]),
    ("line-procedure-invalid",
     replace(CLEAN, lines=(line("9781"), line("97810 "), line("g0270"), line("0591T"), line("G0270"), line("3074F"))),
     [("line-procedure-invalid", "lines[0].procedure_code", ERROR),
      ("line-procedure-invalid", "lines[1].procedure_code", ERROR),
      ("line-procedure-invalid", "lines[2].procedure_code", ERROR)]),
    ("line-modifiers-too-many", replace(CLEAN, lines=(line("97140", modifiers=("GP", "59", "KX", "GA", "XS")),)),
     [("line-modifiers-too-many", "lines[0].modifiers", ERROR)]),
    ("line-modifier-invalid", replace(CLEAN, lines=(line("97140", modifiers=("GP", "5")),)),
     [("line-modifier-invalid", "lines[0].modifiers", ERROR)]),
    ("line-pointer-missing", replace(CLEAN, lines=(line("97810", ()),)),
     [("line-pointer-missing", "lines[0].diagnosis_pointers", ERROR)]),
    ("line-pointers-too-many",
     replace(CLEAN, diagnoses=("M54.50", "G89.29", "M54.2", "R51.9", "F41.9"), lines=(line("99213", (1, 2, 3, 4, 5)),)),
     [("line-pointers-too-many", "lines[0].diagnosis_pointers", ERROR)]),
    ("line-pointer-invalid", replace(CLEAN, lines=(line("97810", (1, 3)), line("97811", (0,)))),
     [("line-pointer-invalid", "lines[0].diagnosis_pointers", ERROR),
      ("line-pointer-invalid", "lines[1].diagnosis_pointers", ERROR)]),
    ("line-units-invalid", replace(CLEAN, lines=(line("97810", units="0"), line("97811", units="-1"))),
     [("line-units-invalid", "lines[0].units", ERROR), ("line-units-invalid", "lines[1].units", ERROR)]),
    ("line-charge-invalid", replace(CLEAN, lines=(line("97810", charge="0.00"),)),
     [("line-charge-invalid", "lines[0].charge", ERROR)]),
    ("line-service-date-future", replace(CLEAN, lines=(line("97810"), line("97811", service_date=TODAY + timedelta(1)))),
     [("line-service-date-future", "lines[1].service_date", ERROR)]),
    ("place-of-service-invalid", replace(CLEAN, place_of_service="2"),
     [("place-of-service-invalid", "place_of_service", ERROR)]),
    ("member-id-missing", replace(CLEAN, member_id="  "), [("member-id-missing", "member_id", ERROR)]),
    ("subscriber-address-incomplete", replace(CLEAN, subscriber_address_complete=False),
     [("subscriber-address-incomplete", "subscriber_address_complete", ERROR)]),
    ("authorization-missing", replace(CLEAN, authorization_required=True, authorization_number=" "),
     [("authorization-missing", "authorization_number", ERROR)]),
    ("timely-filing-expired", replace(CLEAN, timely_filing_days=21),
     [("timely-filing-expired", "lines[0].service_date", ERROR)]),
    ("timely-filing-near", replace(CLEAN, timely_filing_days=30),
     [("timely-filing-near", "lines[0].service_date", WARNING)]),
    # Medicare (traditional) only.
    ("supervising-missing (medicare lac)", replace(MEDICARE_ACU, supervising=None),
     [("supervising-missing", "supervising", ERROR)]),
    ("acu-diagnosis", replace(MEDICARE_ACU, diagnoses=("M54.2",)), [("acu-diagnosis", "diagnoses", ERROR)]),
    ("acu-annual-limit", replace(MEDICARE_ACU, acupuncture_visits_this_year=20, improving=True),
     [("acu-annual-limit", "acupuncture_visits_this_year", ERROR)]),
    ("acu-90-day-limit", replace(MEDICARE_ACU, acupuncture_visits_last_90_days=12, acupuncture_visits_this_year=12),
     [("acu-90-day-limit", "acupuncture_visits_last_90_days", ERROR)]),
    ("acu-not-improving", replace(MEDICARE_ACU, acupuncture_visits_this_year=4, improving=False),
     [("acu-not-improving", "improving", ERROR)]),
    ("acu-near-limit", replace(MEDICARE_ACU, acupuncture_visits_last_90_days=10, acupuncture_visits_this_year=10),
     [("acu-near-limit", "acupuncture_visits_last_90_days", WARNING)]),
    ("acu-supervision", replace(MEDICARE_ACU, supervising=replace(PHYSICIAN, discipline_code="lmt")),
     [("acu-supervision", "supervising.discipline_code", ERROR)]),
    ("acu-initial-code", replace(MEDICARE_ACU, lines=(line("97810"), line("97813"), line("97814"))),
     [("acu-initial-code", "lines[1].procedure_code", ERROR)]),
    ("chiro-service", replace(MEDICARE_CHIRO, lines=(*MEDICARE_CHIRO.lines, line("98943", modifiers=("AT",)))),
     [("chiro-service", "lines[1].procedure_code", ERROR)]),
    ("chiro-at-modifier", replace(MEDICARE_CHIRO, lines=(line("98940", (1, 2), ("GA",)),)),
     [("chiro-at-modifier", "lines[0].modifiers", ERROR)]),
    ("chiro-subluxation", replace(MEDICARE_CHIRO, lines=(line("98941", (2, 1), ("AT",)),)),
     [("chiro-subluxation", "lines[0].diagnosis_pointers", ERROR)]),
]


@pytest.mark.parametrize(("facts", "expected"), [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_each_problem_code_fires(facts: ClaimFacts, expected: list[tuple[str, str, str]]) -> None:
    assert found(facts) == expected
    assert all(p.message for p in scrub(facts, TODAY))


def test_every_problem_code_has_a_golden_case() -> None:
    named = [c[0].split(" ")[0] for c in CASES]
    assert set(named) == set(PROBLEM_CODES) and len(set(PROBLEM_CODES)) == len(PROBLEM_CODES)
    for name, _, expected in CASES:
        assert name.split(" ")[0] in {code for code, _, _ in expected}


def test_every_problem_is_reported_errors_before_warnings() -> None:
    facts = replace(MEDICARE_ACU, billing_npi="", member_id="", diagnoses=("M54.50", "bad"), timely_filing_days=30,
                    acupuncture_visits_last_90_days=11, acupuncture_visits_this_year=11,
                    lines=(line("97810", (1, 3)), line("97811", units="0")))
    assert found(facts) == [
        ("billing-npi-missing", "billing_npi", ERROR),
        ("diagnosis-invalid", "diagnoses[1]", ERROR),
        ("line-pointer-invalid", "lines[0].diagnosis_pointers", ERROR),
        ("line-units-invalid", "lines[1].units", ERROR),
        ("member-id-missing", "member_id", ERROR),
        ("timely-filing-near", "lines[0].service_date", WARNING),
        ("acu-near-limit", "acupuncture_visits_last_90_days", WARNING),
    ]
    assert scrub(facts, TODAY) == scrub(facts, TODAY)


def test_medicare_lac_without_supervisor_is_reported_once() -> None:
    problems = found(replace(MEDICARE_ACU, supervising=None, lines=(line("97810"), line("97810", service_date=DOS + timedelta(7)))))
    assert problems == [("supervising-missing", "supervising", ERROR)]


def test_one_initial_code_per_day_not_per_claim() -> None:
    two_visits = (line("97810"), line("97811"), line("97813", service_date=DOS + timedelta(7)))
    assert scrub(replace(MEDICARE_ACU, lines=two_visits), TODAY) == ()
    same_day_twice = (*two_visits, line("97810", service_date=DOS + timedelta(7)))
    problems = scrub(replace(MEDICARE_ACU, lines=same_day_twice), TODAY)
    assert [(p.code, p.field) for p in problems] == [("acu-initial-code", "lines[3].procedure_code")]
    assert "2025-01-17" in problems[0].message


def test_visit_limit_is_reported_once_for_a_claim_with_several_dates() -> None:
    lines = (line("97810"), line("97810", service_date=DOS + timedelta(7)))
    facts = replace(MEDICARE_ACU, lines=lines, acupuncture_visits_this_year=20)
    assert found(facts) == [("acu-annual-limit", "acupuncture_visits_this_year", ERROR)]


@pytest.mark.parametrize("payer", ["medicare_advantage", "medicaid", "commercial", "workers_comp", "auto"])
def test_medicare_coverage_rules_apply_to_medicare_only(payer: str) -> None:
    assert scrub(replace(MEDICARE_ACU, payer_type=payer, supervising=None, diagnoses=("M54.2",)), TODAY) == ()
    assert scrub(replace(MEDICARE_CHIRO, payer_type=payer, lines=(line("97140", modifiers=("GP",)),)), TODAY) == ()


def test_chiropractic_rules_use_the_lines_own_primary_pointer() -> None:
    lines = (line("98941", (1, 2), ("AT",)), line("98941", (2,), ("AT",), service_date=DOS + timedelta(2)))
    assert found(replace(MEDICARE_CHIRO, lines=lines)) == [("chiro-subluxation", "lines[1].diagnosis_pointers", ERROR)]


def test_timely_filing_boundaries_use_the_earliest_service_date() -> None:
    lines = (line("97810", service_date=DOS + timedelta(3)), line("97810", service_date=DOS))
    base = replace(CLEAN, lines=lines, timely_filing_days=90)
    deadline = DOS + timedelta(90)
    assert found(base, deadline - timedelta(15)) == []
    assert found(base, deadline - timedelta(14)) == [("timely-filing-near", "lines[1].service_date", WARNING)]
    near = scrub(base, deadline)
    assert [p.code for p in near] == ["timely-filing-near"] and near[0].message.startswith("0 days left")
    assert found(base, deadline + timedelta(1)) == [("timely-filing-expired", "lines[1].service_date", ERROR)]


def test_timely_filing_defaults() -> None:
    assert TIMELY_FILING_DAYS["medicare"] == 365 and TIMELY_FILING_DAYS["medicaid"] == 365
    assert TIMELY_FILING_DAYS["commercial"] == 90 and set(TIMELY_FILING_DAYS) == set(PAYER_TYPES)


def test_unknown_payer_type_is_rejected() -> None:
    with pytest.raises(ValueError, match="Medicare"):
        scrub(replace(CLEAN, payer_type="Medicare"), TODAY)


mutations = st.fixed_dictionaries(
    {},
    optional={
        "payer_type": st.sampled_from(PAYER_TYPES),
        "billing_npi": st.sampled_from(["", "1456789019", "123"]),
        "rendering": st.sampled_from([None, ACUPUNCTURIST, CHIROPRACTOR, replace(PHYSICIAN, credentialed=False)]),
        "supervising": st.sampled_from([None, PHYSICIAN, replace(ACUPUNCTURIST, npi="x")]),
        "diagnoses": st.lists(st.sampled_from(["M54.50", "M99.03", "5450", "G89.29", ""]), max_size=14).map(tuple),
        "lines": st.lists(
            st.builds(line, st.sampled_from(["97810", "97813", "97811", "98941", "99213", "x"]),
                      st.lists(st.integers(0, 14), max_size=5).map(tuple), st.sampled_from([(), ("AT",), ("GP", "5")]),
                      st.sampled_from(["0", "75"]), st.sampled_from(["0", "1", "2.5"]),
                      st.integers(-400, 40).map(lambda d: TODAY - timedelta(days=d))),
            max_size=6,
        ).map(tuple),
        "timely_filing_days": st.integers(0, 400),
        "acupuncture_visits_last_90_days": st.integers(0, 14),
        "acupuncture_visits_this_year": st.integers(0, 22),
        "improving": st.sampled_from([None, True, False]),
    },
)


@given(mutations)
def test_any_claim_gives_unique_errors_then_warnings(changes: dict[str, object]) -> None:
    problems = scrub(replace(CLEAN, **changes), TODAY)  # type: ignore[arg-type]
    severities = [p.severity for p in problems]
    assert severities == sorted(severities, key=lambda s: s != ERROR)
    assert set(severities) <= {ERROR, WARNING}
    assert {p.code for p in problems} <= set(PROBLEM_CODES)
    keys = [(p.code, p.field) for p in problems]
    assert len(keys) == len(set(keys))
    assert problems == scrub(replace(CLEAN, **changes), TODAY)  # type: ignore[arg-type]
