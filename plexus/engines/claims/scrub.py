"""Claim scrubber: every problem that would get a professional (837P) claim rejected or denied.

:func:`scrub` takes plain facts gathered by the billing app and returns every :class:`Problem`
at once (errors first, then warnings, each group in a fixed check order), never just the first.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal

from plexus.engines.x12.values import npi_is_valid

from .icd10 import icd10_problem
from .medicare import (
    ACUPUNCTURE_CODES,
    ACUPUNCTURE_INITIAL,
    ERROR,
    WARNING,
    medicare_acupuncture,
    medicare_chiropractic,
)

__all__ = [
    "MAX_DIAGNOSES",
    "MAX_LINES",
    "MAX_MODIFIERS",
    "MAX_POINTERS",
    "PAYER_TYPES",
    "PROBLEM_CODES",
    "TIMELY_FILING_DAYS",
    "TIMELY_FILING_WARNING_DAYS",
    "ClaimFacts",
    "LineFacts",
    "Problem",
    "ProviderFacts",
    "scrub",
]

PAYER_TYPES = ("medicare", "medicare_advantage", "medicaid", "commercial", "workers_comp", "auto")

TIMELY_FILING_DAYS: dict[str, int] = {
    "medicare": 365,  # 42 CFR 424.44(a)(1): no later than 1 calendar year after the date of service
    "medicare_advantage": 90,
    "medicaid": 365,  # 42 CFR 447.45(d)(1): states require claims within 12 months; state plans differ
    "commercial": 90,
    "workers_comp": 90,
    "auto": 90,
}
"""Default timely filing limits, in days from the earliest date of service, by payer type.

Payer contracts and state rules vary (many commercial contracts allow 90 to 180 days, workers'
compensation and auto limits are set by state law): pass the payer's own limit in
``ClaimFacts.timely_filing_days`` when it is known, and use these only as defaults.
"""

TIMELY_FILING_WARNING_DAYS = 14  # warn when the filing limit is this many days away or fewer

# 005010X222A1 (837P): HI carries up to 12 diagnoses, the 2400 loop repeats up to 50 times,
# SV101 takes up to 4 modifiers and SV107 up to 4 diagnosis pointers.
MAX_DIAGNOSES, MAX_LINES, MAX_MODIFIERS, MAX_POINTERS = 12, 50, 4, 4

# CPT Category I (5 digits), Category II (4 digits + F), Category III (4 digits + T),
# PLA codes (4 digits + U), HCPCS Level II (a letter + 4 digits).
_PROCEDURE = re.compile(r"[0-9]{5}|[0-9]{4}[FTU]|[A-Z][0-9]{4}")
_MODIFIER = re.compile(r"[A-Z0-9]{2}")
_TAX_ID = re.compile(r"[0-9]{2}-?[0-9]{7}")  # EIN: 9 digits, optionally written NN-NNNNNNN
_PLACE_OF_SERVICE = re.compile(r"[0-9]{2}")  # CMS place of service code set

PROBLEM_CODES = (
    "billing-npi-missing", "billing-npi-invalid", "billing-tax-id-missing", "billing-tax-id-invalid",
    "rendering-missing", "rendering-npi-missing", "rendering-npi-invalid", "rendering-not-credentialed",
    "supervising-missing", "supervising-npi-missing", "supervising-npi-invalid", "supervising-cannot-supervise",
    "diagnoses-missing", "diagnoses-too-many", "diagnosis-invalid",
    "lines-missing", "lines-too-many", "line-procedure-invalid", "line-modifiers-too-many", "line-modifier-invalid",
    "line-pointer-missing", "line-pointers-too-many", "line-pointer-invalid", "line-units-invalid",
    "line-charge-invalid", "line-service-date-future",
    "place-of-service-invalid", "member-id-missing", "subscriber-address-incomplete", "authorization-missing",
    "timely-filing-expired", "timely-filing-near",
    "acu-diagnosis", "acu-annual-limit", "acu-90-day-limit", "acu-not-improving", "acu-near-limit",
    "acu-supervision", "acu-initial-code", "chiro-service", "chiro-at-modifier", "chiro-subluxation",
)
"""Every code :func:`scrub` can return, in check order (the acu-/chiro- codes come from :mod:`.medicare`)."""

_ACUPUNCTURE_FIELDS = {
    "acu-diagnosis": "diagnoses",
    "acu-annual-limit": "acupuncture_visits_this_year",
    "acu-90-day-limit": "acupuncture_visits_last_90_days",
    "acu-not-improving": "improving",
    "acu-near-limit": "acupuncture_visits_last_90_days",
    "acu-supervision": "supervising.discipline_code",
}
_CHIROPRACTIC_FIELDS = {
    "chiro-service": "procedure_code",
    "chiro-at-modifier": "modifiers",
    "chiro-subluxation": "diagnosis_pointers",
}


@dataclass(frozen=True, slots=True)
class ProviderFacts:
    """A rendering or supervising provider as the payer sees them."""

    name: str
    npi: str
    discipline_code: str  # 'md', 'do', 'np', 'pa', 'dc', 'lac', 'lmt', ...
    credentialed: bool  # credentialed (enrolled) with this claim's payer
    requires_supervisor: bool  # this payer needs a supervising provider on the rendering provider's claims
    can_supervise: bool


@dataclass(frozen=True, slots=True)
class LineFacts:
    """One service line (837P loop 2400)."""

    procedure_code: str
    modifiers: tuple[str, ...]
    units: Decimal
    charge: Decimal
    diagnosis_pointers: tuple[int, ...]  # 1-based indexes into ClaimFacts.diagnoses, primary first
    service_date: date


@dataclass(frozen=True, slots=True)
class ClaimFacts:
    """Everything the scrubber needs about one claim; visit counts exclude this claim's visits."""

    payer_type: str  # one of PAYER_TYPES
    billing_npi: str
    billing_tax_id: str
    rendering: ProviderFacts | None
    supervising: ProviderFacts | None
    diagnoses: tuple[str, ...]  # ICD-10-CM, primary first, dots optional
    lines: tuple[LineFacts, ...]
    place_of_service: str
    member_id: str
    subscriber_address_complete: bool
    timely_filing_days: int
    authorization_required: bool
    authorization_number: str
    acupuncture_visits_last_90_days: int = 0
    acupuncture_visits_this_year: int = 0
    improving: bool | None = None


@dataclass(frozen=True, slots=True)
class Problem:
    """One thing wrong with a claim: a stable ``code``, the ``field`` path it concerns, and why."""

    code: str
    field: str  # a ClaimFacts attribute path: "billing_npi", "diagnoses[2]", "lines[0].units"
    severity: str  # ERROR or WARNING
    message: str


def scrub(facts: ClaimFacts, today: date) -> tuple[Problem, ...]:
    """Return every problem with ``facts`` as of ``today``: errors first, then warnings, in check order.

    Requires ``facts.payer_type`` in :data:`PAYER_TYPES` (raise ValueError otherwise). An empty
    result means the claim is clean. Medicare coverage checks run for payer type 'medicare' only;
    the acupuncture visit counts are taken as the visits before each acupuncture date on the claim.
    """
    if facts.payer_type not in PAYER_TYPES:
        raise ValueError(f"unknown payer type {facts.payer_type!r}; expected one of {', '.join(PAYER_TYPES)}")
    problems = [
        *_billing_provider(facts),
        *_providers(facts),
        *_diagnoses(facts),
        *_lines(facts, today),
        *_claim(facts),
        *_timely_filing(facts, today),
        *_medicare(facts),
    ]
    return tuple(sorted(problems, key=lambda p: p.severity != ERROR))  # stable: keeps check order


def _error(code: str, field: str, message: str) -> Problem:
    return Problem(code, field, ERROR, message)


def _npi(npi: str, who: str, prefix: str, field: str) -> Iterator[Problem]:
    if not npi.strip():
        yield _error(f"{prefix}-npi-missing", field, f"The {who} NPI is missing.")
    elif not npi_is_valid(npi):
        yield _error(f"{prefix}-npi-invalid", field,
                     f"The {who} NPI {npi!r} is not valid: 10 digits starting 1 or 2 with a Luhn check digit.")


def _billing_provider(facts: ClaimFacts) -> Iterator[Problem]:
    yield from _npi(facts.billing_npi, "billing provider", "billing", "billing_npi")
    if not facts.billing_tax_id.strip():
        yield _error("billing-tax-id-missing", "billing_tax_id", "The billing provider tax ID (EIN) is missing.")
    elif not _TAX_ID.fullmatch(facts.billing_tax_id):
        yield _error("billing-tax-id-invalid", "billing_tax_id",
                     f"The tax ID {facts.billing_tax_id!r} must be 9 digits (NN-NNNNNNN or NNNNNNNNN).")


def _needs_supervisor(facts: ClaimFacts) -> str | None:
    """Return why the claim needs a supervising provider, or None."""
    rendering = facts.rendering
    if rendering is None:
        return None
    # NCD 30.3.3: Medicare does not enroll licensed acupuncturists; a physician, NP or PA must bill.
    if facts.payer_type == "medicare" and rendering.discipline_code.lower() == "lac":
        return ("A licensed acupuncturist cannot bill Medicare directly (NCD 30.3.3): "
                "a supervising physician, NP or PA must be on the claim.")
    if rendering.requires_supervisor:
        return f"{rendering.name} needs a supervising provider on this payer's claims."
    return None


def _providers(facts: ClaimFacts) -> Iterator[Problem]:
    rendering, supervising = facts.rendering, facts.supervising
    if rendering is None:
        yield _error("rendering-missing", "rendering", "The rendering provider is missing.")
    else:
        yield from _npi(rendering.npi, "rendering provider", "rendering", "rendering.npi")
        if not rendering.credentialed:
            yield _error("rendering-not-credentialed", "rendering.credentialed",
                         f"{rendering.name} is not credentialed with this payer.")
    reason = _needs_supervisor(facts)
    if supervising is None:
        if reason:
            yield _error("supervising-missing", "supervising", reason)
        return
    yield from _npi(supervising.npi, "supervising provider", "supervising", "supervising.npi")
    if not supervising.can_supervise:
        yield _error("supervising-cannot-supervise", "supervising.can_supervise",
                     f"{supervising.name} is not allowed to supervise.")


def _diagnoses(facts: ClaimFacts) -> Iterator[Problem]:
    if not facts.diagnoses:
        yield _error("diagnoses-missing", "diagnoses", "The claim has no diagnosis.")
    elif len(facts.diagnoses) > MAX_DIAGNOSES:
        yield _error("diagnoses-too-many", "diagnoses",
                     f"{len(facts.diagnoses)} diagnoses: an 837P claim carries at most {MAX_DIAGNOSES}.")
    for i, code in enumerate(facts.diagnoses):
        problem = icd10_problem(code)
        if problem:
            yield _error("diagnosis-invalid", f"diagnoses[{i}]", problem)


def _lines(facts: ClaimFacts, today: date) -> Iterator[Problem]:
    if not facts.lines:
        yield _error("lines-missing", "lines", "The claim has no service lines.")
    elif len(facts.lines) > MAX_LINES:
        yield _error("lines-too-many", "lines",
                     f"{len(facts.lines)} service lines: an 837P claim carries at most {MAX_LINES}; split it.")
    for i, line in enumerate(facts.lines):
        yield from _line(i, line, len(facts.diagnoses), today)


def _line(i: int, line: LineFacts, n_diagnoses: int, today: date) -> Iterator[Problem]:
    at = f"lines[{i}]"
    if not _PROCEDURE.fullmatch(line.procedure_code):
        yield _error("line-procedure-invalid", f"{at}.procedure_code",
                     f"{line.procedure_code!r} is not a CPT or HCPCS code (5 digits, 4 digits + F/T/U, "
                     f"or a letter + 4 digits).")
    if len(line.modifiers) > MAX_MODIFIERS:
        yield _error("line-modifiers-too-many", f"{at}.modifiers",
                     f"{len(line.modifiers)} modifiers: a line carries at most {MAX_MODIFIERS}.")
    bad_modifiers = [m for m in line.modifiers if not _MODIFIER.fullmatch(m)]
    if bad_modifiers:
        yield _error("line-modifier-invalid", f"{at}.modifiers",
                     f"Modifiers are 2 letters or digits: {', '.join(map(repr, bad_modifiers))}.")
    pointers = line.diagnosis_pointers
    if not pointers:
        yield _error("line-pointer-missing", f"{at}.diagnosis_pointers", "The line points to no diagnosis.")
    if len(pointers) > MAX_POINTERS:
        yield _error("line-pointers-too-many", f"{at}.diagnosis_pointers",
                     f"{len(pointers)} diagnosis pointers: a line carries at most {MAX_POINTERS}.")
    out_of_range = [p for p in pointers if not 1 <= p <= n_diagnoses]
    if out_of_range:
        yield _error("line-pointer-invalid", f"{at}.diagnosis_pointers",
                     f"Pointers {', '.join(map(str, out_of_range))} are outside 1..{n_diagnoses} "
                     f"(the claim's diagnoses).")
    if not _positive(line.units):
        yield _error("line-units-invalid", f"{at}.units", f"Units must be more than 0, not {line.units}.")
    if not _positive(line.charge):
        yield _error("line-charge-invalid", f"{at}.charge", f"The charge must be more than 0, not {line.charge}.")
    if line.service_date > today:
        yield _error("line-service-date-future", f"{at}.service_date",
                     f"The service date {line.service_date.isoformat()} is in the future.")


def _positive(value: Decimal) -> bool:
    return value.is_finite() and value > 0 if isinstance(value, Decimal) else value > 0


def _claim(facts: ClaimFacts) -> Iterator[Problem]:
    if not _PLACE_OF_SERVICE.fullmatch(facts.place_of_service):
        yield _error("place-of-service-invalid", "place_of_service",
                     f"Place of service {facts.place_of_service!r} must be a 2-digit code (11 = office).")
    if not facts.member_id.strip():
        yield _error("member-id-missing", "member_id", "The subscriber's member ID is missing.")
    if not facts.subscriber_address_complete:
        yield _error("subscriber-address-incomplete", "subscriber_address_complete",
                     "The subscriber's address is incomplete (street, city, state and ZIP are required).")
    if facts.authorization_required and not facts.authorization_number.strip():
        yield _error("authorization-missing", "authorization_number",
                     "The payer requires prior authorization and no authorization number is given.")


def _timely_filing(facts: ClaimFacts, today: date) -> Iterator[Problem]:
    if not facts.lines:
        return
    i, first = min(enumerate(facts.lines), key=lambda pair: (pair[1].service_date, pair[0]))
    deadline = first.service_date + timedelta(days=facts.timely_filing_days)
    field = f"lines[{i}].service_date"
    if deadline < today:
        yield _error("timely-filing-expired", field,
                     f"The {facts.timely_filing_days}-day filing limit from {first.service_date.isoformat()} "
                     f"ended on {deadline.isoformat()}.")
    elif (deadline - today).days <= TIMELY_FILING_WARNING_DAYS:
        yield Problem("timely-filing-near", field, WARNING,
                      f"{(deadline - today).days} days left to file: the {facts.timely_filing_days}-day limit "
                      f"from {first.service_date.isoformat()} ends on {deadline.isoformat()}.")


def _medicare(facts: ClaimFacts) -> Iterator[Problem]:
    if facts.payer_type != "medicare":
        return
    yield from _medicare_acupuncture(facts)
    rendering = facts.rendering
    if rendering is not None and rendering.discipline_code.lower() == "dc":
        yield from _medicare_chiropractic(facts)


def _medicare_acupuncture(facts: ClaimFacts) -> Iterator[Problem]:
    """Check each date of service with acupuncture lines as one visit (NCD 30.3.3)."""
    by_date: dict[date, list[int]] = {}
    for i, line in enumerate(facts.lines):
        if line.procedure_code in ACUPUNCTURE_CODES:
            by_date.setdefault(line.service_date, []).append(i)
    rendering, supervising = facts.rendering, facts.supervising
    seen: set[tuple[str, str]] = set()
    for day in sorted(by_date):
        indexes = by_date[day]
        findings = medicare_acupuncture(
            diagnoses=facts.diagnoses,
            procedure_codes=[facts.lines[i].procedure_code for i in indexes],
            visits_last_90_days=facts.acupuncture_visits_last_90_days,
            visits_this_year=facts.acupuncture_visits_this_year,
            improving=facts.improving,
            rendering_discipline=rendering.discipline_code.lower() if rendering else "",
            supervisor_discipline=supervising.discipline_code.lower() if supervising else None,
        )
        for finding in findings:
            if finding.code == "acu-supervision" and supervising is None:
                continue  # already reported as supervising-missing
            if finding.code == "acu-initial-code":
                second = [i for i in indexes if facts.lines[i].procedure_code in ACUPUNCTURE_INITIAL][1]
                field, message = f"lines[{second}].procedure_code", f"{finding.message} ({day.isoformat()})"
            else:
                field, message = _ACUPUNCTURE_FIELDS[finding.code], finding.message
            if (finding.code, field) not in seen:
                seen.add((finding.code, field))
                yield Problem(finding.code, field, finding.severity, message)


def _medicare_chiropractic(facts: ClaimFacts) -> Iterator[Problem]:
    """Check each line of a chiropractor's claim; the line's pointed diagnoses, primary first, must be valid."""
    n = len(facts.diagnoses)
    for i, line in enumerate(facts.lines):
        pointed = [facts.diagnoses[p - 1] for p in line.diagnosis_pointers if 1 <= p <= n]
        for finding in medicare_chiropractic(procedure_code=line.procedure_code, modifiers=line.modifiers,
                                             diagnoses=pointed):
            field = f"lines[{i}].{_CHIROPRACTIC_FIELDS[finding.code]}"
            yield Problem(finding.code, field, finding.severity, finding.message)
