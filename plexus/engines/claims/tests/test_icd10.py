"""ICD-10-CM normalisation and shape check (shape only, not the code set)."""

from __future__ import annotations

import pytest

from plexus.engines.claims import icd10_problem, normalize_icd10


@pytest.mark.parametrize(
    ("raw", "normal"),
    [("M54.50", "M5450"), ("m54.50", "M5450"), (" M5450 ", "M5450"), ("q99.99x", "Q9999X"), ("R51", "R51")],
)
def test_normalize(raw: str, normal: str) -> None:
    assert normalize_icd10(raw) == normal


@pytest.mark.parametrize(
    "code",
    ["M54.50", "M5450", "m54.50", " M54.59 ", "Q9999X", "R51", "R51.9", "S06.0X1A", "S060X1A", "U07.1", "Z73.3"],
)
def test_well_shaped_codes(code: str) -> None:
    assert icd10_problem(code) is None


@pytest.mark.parametrize(
    ("code", "words"),
    [
        ("", "empty"),
        ("   ", "empty"),
        ("5450", "not shaped"),  # starts with a digit
        ("MM450", "not shaped"),  # second character must be a digit
        ("M5", "too short"),
        ("M54.5012X", "too long"),
        ("M545012XY", "too long"),
        ("M5.450", "dot"),
        ("M545.0", "dot"),
        ("M54.", "dot"),
        ("M54..5", "dot"),
        ("M54 50", "not shaped"),
        ("M54-50", "not shaped"),
    ],
)
def test_malformed_codes(code: str, words: str) -> None:
    problem = icd10_problem(code)
    assert problem is not None and words in problem
