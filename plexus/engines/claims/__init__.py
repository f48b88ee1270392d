"""Claims engine (pure standard library): Medicare coverage rules, ICD-10-CM shape, units of service,
the claim scrubber and receivable aging.

:func:`scrub` returns every :class:`Problem` with a claim; :func:`code_lines` turns minutes into
billable lines (CMS 8-minute rule, acupuncture add-on codes); :func:`age` buckets a ledger FIFO.
"""

from .aging import Aging, Entry, age
from .icd10 import icd10_problem, normalize_icd10
from .medicare import (
    ACUPUNCTURE_CODES,
    ACUPUNCTURE_INITIAL,
    CHRONIC_LOW_BACK_PAIN,
    ERROR,
    SPINAL_MANIPULATION,
    SUPERVISING_DISCIPLINES,
    WARNING,
    Finding,
    medicare_acupuncture,
    medicare_chiropractic,
)
from .scrub import (
    MAX_DIAGNOSES,
    MAX_LINES,
    MAX_MODIFIERS,
    MAX_POINTERS,
    PAYER_TYPES,
    PROBLEM_CODES,
    TIMELY_FILING_DAYS,
    TIMELY_FILING_WARNING_DAYS,
    ClaimFacts,
    LineFacts,
    Problem,
    ProviderFacts,
    scrub,
)
from .units import ADD_ON_CODES, CodedLine, code_lines, timed_units

__all__ = [
    "ACUPUNCTURE_CODES",
    "ACUPUNCTURE_INITIAL",
    "ADD_ON_CODES",
    "CHRONIC_LOW_BACK_PAIN",
    "ERROR",
    "MAX_DIAGNOSES",
    "MAX_LINES",
    "MAX_MODIFIERS",
    "MAX_POINTERS",
    "PAYER_TYPES",
    "PROBLEM_CODES",
    "SPINAL_MANIPULATION",
    "SUPERVISING_DISCIPLINES",
    "TIMELY_FILING_DAYS",
    "TIMELY_FILING_WARNING_DAYS",
    "WARNING",
    "Aging",
    "ClaimFacts",
    "CodedLine",
    "Entry",
    "Finding",
    "LineFacts",
    "Problem",
    "ProviderFacts",
    "age",
    "code_lines",
    "icd10_problem",
    "medicare_acupuncture",
    "medicare_chiropractic",
    "normalize_icd10",
    "scrub",
    "timed_units",
]
