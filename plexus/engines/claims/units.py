"""Units of service: the CMS 8-minute rule and acupuncture initial/add-on code lines."""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["ADD_ON_CODES", "CodedLine", "code_lines", "timed_units"]

# CPT: 97810/97813 cover the initial 15 minutes of personal one-on-one contact and +97811/+97814 each
# additional 15 minutes; only one initial code is reported per day (STANDARDS.md §3).
ADD_ON_CODES: dict[str, str] = {"97810": "97811", "97813": "97814"}


@dataclass(frozen=True, slots=True)
class CodedLine:
    """One billable line: a procedure code, its units and its modifiers."""

    procedure_code: str
    units: int
    modifiers: tuple[str, ...] = ()


def timed_units(minutes: int, unit_minutes: int = 15) -> int:
    """Return the units billable for ``minutes`` of one timed service (requires minutes >= 0, unit_minutes > 0).

    Medicare Claims Processing Manual (Pub. 100-04) ch. 5 §20.2, the 8-minute rule: a unit counts when at
    least half of it is provided, so with 15-minute units 0-7 min = 0, 8-22 = 1, 23-37 = 2, 38-52 = 3.
    Other unit lengths use ceil(unit_minutes / 2) as the threshold.
    """
    if minutes < 0:
        raise ValueError(f"minutes must be >= 0, not {minutes}")
    if unit_minutes <= 0:
        raise ValueError(f"unit_minutes must be > 0, not {unit_minutes}")
    whole, rest = divmod(minutes, unit_minutes)
    half = -(-unit_minutes // 2)  # ceil(unit_minutes / 2): 8 of 15
    return whole + (1 if rest >= half else 0)


def code_lines(
    procedure_code: str, minutes: int, unit_minutes: int, max_units: int, modifiers: tuple[str, ...] = ()
) -> tuple[CodedLine, ...]:
    """Return the lines to bill for ``minutes`` of ``procedure_code`` (requires minutes, max_units >= 0).

    ``unit_minutes == 0`` means untimed: one line of 1 unit. Timed services bill
    min(timed_units, max_units) units and nothing when that is 0. An initial acupuncture code
    (:data:`ADD_ON_CODES`) takes the first unit and the rest go on one add-on line, so 60 minutes of
    97810 is 97810 x1 + 97811 x3; ``max_units`` caps the total of both lines.
    """
    if max_units < 0:
        raise ValueError(f"max_units must be >= 0, not {max_units}")
    if unit_minutes == 0:
        return (CodedLine(procedure_code, 1, modifiers),)
    units = min(timed_units(minutes, unit_minutes), max_units)
    if units == 0:
        return ()
    add_on = ADD_ON_CODES.get(procedure_code)
    if add_on is None:
        return (CodedLine(procedure_code, units, modifiers),)
    first = CodedLine(procedure_code, 1, modifiers)
    return (first,) if units == 1 else (first, CodedLine(add_on, units - 1, modifiers))
