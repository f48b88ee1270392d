"""Medicare acupuncture (NCD 30.3.3) and chiropractic (AT modifier) rules as pure functions."""

from __future__ import annotations

from plexus.billing.coverage_rules import medicare_acupuncture, medicare_chiropractic


def _acu(**kw):
    args = dict(diagnoses=["M54.50"], procedure_codes=["97810", "97811"], visits_last_90_days=0,
                visits_this_year=0, improving=None, rendering_discipline="lac", supervisor_discipline="md")
    args.update(kw)
    return [f.code for f in medicare_acupuncture(**args)]


def test_acupuncture_covered_visit_has_no_findings():
    assert _acu() == []
    assert _acu(diagnoses=["G89.29", "M5459"]) == []  # chronic pain code first is fine


def test_acupuncture_needs_chronic_low_back_pain():
    assert _acu(diagnoses=["M54.2"]) == ["acu-diagnosis"]  # neck pain
    assert _acu(diagnoses=["M54.5"]) == ["acu-diagnosis"]  # retired on 2021-10-01


def test_acupuncture_visit_limits():
    assert _acu(visits_last_90_days=12) == ["acu-90-day-limit"]
    assert _acu(visits_last_90_days=12, visits_this_year=12, improving=True) == []
    assert _acu(visits_last_90_days=14, visits_this_year=20, improving=True) == ["acu-annual-limit"]
    assert _acu(visits_last_90_days=5, visits_this_year=5, improving=False) == ["acu-not-improving"]
    assert _acu(visits_last_90_days=10, visits_this_year=10) == ["acu-near-limit"]


def test_acupuncturist_needs_a_billing_supervisor():
    assert _acu(supervisor_discipline=None) == ["acu-supervision"]
    assert _acu(supervisor_discipline="lmt") == ["acu-supervision"]
    assert _acu(rendering_discipline="md", supervisor_discipline=None) == []
    assert _acu(supervisor_discipline="np") == []


def test_one_initial_acupuncture_code_per_day():
    assert _acu(procedure_codes=["97810", "97813"]) == ["acu-initial-code"]


def test_chiropractic_rules():
    ok = medicare_chiropractic(procedure_code="98941", modifiers=["AT"], diagnoses=["M99.03", "M54.50"])
    assert ok == []
    no_at = medicare_chiropractic(procedure_code="98941", modifiers=[], diagnoses=["M99.03"])
    assert [f.code for f in no_at] == ["chiro-at-modifier"] and "maintenance" in no_at[0].message
    assert [f.code for f in medicare_chiropractic(procedure_code="98940", modifiers=["at"],
                                                  diagnoses=["M54.50", "M99.03"])] == ["chiro-subluxation"]
    assert [f.code for f in medicare_chiropractic(procedure_code="98943", modifiers=["AT"],
                                                  diagnoses=["M99.03"])] == ["chiro-service"]
