"""The CMS 8-minute rule and acupuncture initial/add-on lines."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from plexus.engines.claims import ADD_ON_CODES, CodedLine, code_lines, timed_units


@pytest.mark.parametrize(
    ("minutes", "units"),
    [(0, 0), (7, 0), (8, 1), (15, 1), (22, 1), (23, 2), (37, 2), (38, 3), (52, 3), (53, 4), (60, 4), (67, 4), (68, 5)],
)
def test_eight_minute_rule(minutes: int, units: int) -> None:
    assert timed_units(minutes) == units


def test_other_unit_lengths_use_half_rounded_up() -> None:
    assert [timed_units(m, 30) for m in (14, 15, 44, 45)] == [0, 1, 1, 2]  # e.g. 97804, 30-minute units
    assert [timed_units(m, 5) for m in (2, 3, 7, 8)] == [0, 1, 1, 2]  # ceil(5 / 2) = 3


@given(st.integers(0, 600), st.integers(1, 60))
def test_units_grow_by_one_per_unit_of_minutes(minutes: int, unit: int) -> None:
    assert timed_units(minutes + unit, unit) == timed_units(minutes, unit) + 1
    assert 0 <= timed_units(minutes, unit) - minutes // unit <= 1


def test_bad_arguments_raise() -> None:
    with pytest.raises(ValueError, match="minutes"):
        timed_units(-1)
    with pytest.raises(ValueError, match="unit_minutes"):
        timed_units(10, 0)
    with pytest.raises(ValueError, match="max_units"):
        code_lines("97140", 30, 15, -1)


def test_timed_code_is_one_line_capped_by_max_units() -> None:
    assert code_lines("97140", 38, 15, 4, ("GP",)) == (CodedLine("97140", 3, ("GP",)),)
    assert code_lines("97140", 120, 15, 4) == (CodedLine("97140", 4),)
    assert code_lines("97140", 7, 15, 4) == ()
    assert code_lines("97140", 60, 15, 0) == ()


def test_untimed_code_is_one_unit() -> None:
    assert code_lines("98941", 25, 0, 1, ("AT",)) == (CodedLine("98941", 1, ("AT",)),)
    assert code_lines("99213", 0, 0, 1) == (CodedLine("99213", 1),)


def test_acupuncture_initial_then_add_on() -> None:
    assert code_lines("97810", 60, 15, 8) == (CodedLine("97810", 1), CodedLine("97811", 3))
    assert code_lines("97810", 15, 15, 8) == (CodedLine("97810", 1),)
    assert code_lines("97810", 22, 15, 8) == (CodedLine("97810", 1),)
    assert code_lines("97810", 23, 15, 8) == (CodedLine("97810", 1), CodedLine("97811", 1))
    assert code_lines("97810", 7, 15, 8) == ()


def test_electro_acupuncture_uses_97813_and_97814() -> None:
    assert code_lines("97813", 45, 15, 8, ("GA",)) == (CodedLine("97813", 1, ("GA",)), CodedLine("97814", 2, ("GA",)))


def test_max_units_caps_initial_plus_add_on() -> None:
    assert code_lines("97810", 90, 15, 4) == (CodedLine("97810", 1), CodedLine("97811", 3))
    assert code_lines("97813", 90, 15, 1) == (CodedLine("97813", 1),)


@given(st.sampled_from(sorted(ADD_ON_CODES)), st.integers(0, 240), st.integers(0, 10))
def test_acupuncture_units_total_the_capped_timed_units(code: str, minutes: int, cap: int) -> None:
    lines = code_lines(code, minutes, 15, cap)
    assert sum(line.units for line in lines) == min(timed_units(minutes), cap)
    assert all(line.units > 0 for line in lines)
    assert [line.procedure_code for line in lines] == [code, ADD_ON_CODES[code]][: len(lines)]
