"""Medicare coverage rules for acupuncture and chiropractic (pure: no Django, no clock).

Each check returns every problem it finds as a Finding; an empty list means the rule is met.
Sources are in STANDARDS.md §3 (facts as of the cited dates).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

__all__ = [
    "ACUPUNCTURE_CODES",
    "ACUPUNCTURE_INITIAL",
    "CHRONIC_LOW_BACK_PAIN",
    "ERROR",
    "SPINAL_MANIPULATION",
    "SUPERVISING_DISCIPLINES",
    "WARNING",
    "Finding",
    "medicare_acupuncture",
    "medicare_chiropractic",
]

ERROR, WARNING = "error", "warning"

# NCD 30.3.3: chronic low back pain. M54.5 was split into M54.50/.51/.59 on 2021-10-01.
CHRONIC_LOW_BACK_PAIN = frozenset({"M5450", "M5451", "M5459"})
ACUPUNCTURE_CODES = frozenset({"97810", "97811", "97813", "97814", "20560", "20561"})
ACUPUNCTURE_INITIAL = frozenset({"97810", "97813"})  # only one initial code per day
SUPERVISING_DISCIPLINES = frozenset({"md", "do", "np", "pa"})
SPINAL_MANIPULATION = frozenset({"98940", "98941", "98942"})  # Benefit Policy Manual ch. 15 §240


@dataclass(frozen=True, slots=True)
class Finding:
    code: str
    severity: str
    message: str


def _dx(codes: Sequence[str]) -> list[str]:
    return [c.replace(".", "").strip().upper() for c in codes if c.strip()]


def medicare_acupuncture(
    *, diagnoses: Sequence[str], procedure_codes: Sequence[str], visits_last_90_days: int, visits_this_year: int,
    improving: bool | None, rendering_discipline: str, supervisor_discipline: str | None,
) -> list[Finding]:
    """Check one Medicare acupuncture visit against NCD 30.3.3 (effective 2020-01-21).

    ``visits_*`` count earlier visits (not this one); ``improving`` is the documented response.
    """
    out: list[Finding] = []
    if not set(_dx(diagnoses)) & CHRONIC_LOW_BACK_PAIN:
        out.append(Finding("acu-diagnosis", ERROR, "Medicare covers acupuncture only for chronic low back pain "
                                                   "(ICD-10 M54.50, M54.51 or M54.59)."))
    if visits_this_year >= 20:
        out.append(Finding("acu-annual-limit", ERROR, "Medicare allows no more than 20 acupuncture visits a year."))
    elif visits_last_90_days >= 12 and improving is not True:
        out.append(Finding("acu-90-day-limit", ERROR, "12 visits in 90 days are used: up to 8 more only when "
                                                      "the patient is documented as improving."))
    elif improving is False and visits_this_year > 0:
        out.append(Finding("acu-not-improving", ERROR, "Treatment stops when the patient is not improving "
                                                       "or is regressing."))
    elif visits_last_90_days >= 10 and visits_this_year < 12:
        out.append(Finding("acu-near-limit", WARNING,
                           f"{12 - visits_last_90_days} of 12 visits in this 90-day period left."))
    if rendering_discipline == "lac" and supervisor_discipline not in SUPERVISING_DISCIPLINES:
        out.append(Finding("acu-supervision", ERROR, "A licensed acupuncturist cannot bill Medicare directly: "
                                                     "a supervising physician, NP or PA must bill."))
    if sum(1 for c in procedure_codes if c in ACUPUNCTURE_INITIAL) > 1:
        out.append(Finding("acu-initial-code", ERROR, "Only one initial acupuncture code (97810 or 97813) per day."))
    return out


def medicare_chiropractic(*, procedure_code: str, modifiers: Sequence[str], diagnoses: Sequence[str]) -> list[Finding]:
    """Check one Medicare chiropractic line: spinal manipulation only, AT modifier, subluxation first.

    Sources: MLN SE1601/SE1602; Benefit Policy Manual ch. 15 §§30.5, 240.
    """
    out: list[Finding] = []
    if procedure_code not in SPINAL_MANIPULATION:
        out.append(Finding("chiro-service", ERROR, f"Medicare covers only spinal manipulation (98940-98942) by a "
                                                   f"chiropractor, not {procedure_code}."))
        return out
    if "AT" not in {m.upper() for m in modifiers}:
        out.append(Finding("chiro-at-modifier", ERROR, "Active treatment needs the AT modifier; without it "
                                                       "Medicare treats the visit as maintenance and denies it."))
    dx = _dx(diagnoses)
    if not dx or not dx[0].startswith("M990"):
        out.append(Finding("chiro-subluxation", ERROR, "The primary diagnosis must be the subluxation (M99.0x)."))
    return out
