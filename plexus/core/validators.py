"""Field validators for identifiers and codes used across Plexus (pure functions + Django wrappers)."""

from __future__ import annotations

import re
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones

import phonenumbers
from django.core.exceptions import ValidationError
from email_validator import EmailNotValidError, validate_email
from stdnum import luhn

TAXONOMY_RE = re.compile(r"^[0-9]{3}[0-9A-Z]{6}X$")
# CMS place-of-service code set (two digits). Codes in use for outpatient practices; see
# https://www.cms.gov/medicare/coding-billing/place-of-service-codes/code-sets
PLACE_OF_SERVICE = {
    "02": "Telehealth other than patient's home",
    "10": "Telehealth in patient's home",
    "11": "Office",
    "12": "Home",
    "19": "Off campus outpatient hospital",
    "22": "On campus outpatient hospital",
    "49": "Independent clinic",
    "71": "Public health clinic",
    "72": "Rural health clinic",
}
CPT_HCPCS_RE = re.compile(r"^(?:[0-9]{4}[0-9FTU]|[A-V][0-9]{4})$")
MODIFIER_RE = re.compile(r"^[0-9A-Z]{2}$")
TAX_ID_RE = re.compile(r"^[0-9]{2}-?[0-9]{7}$")


def npi_is_valid(value: str) -> bool:
    """Return True when value is a 10-digit NPI starting 1 or 2 whose Luhn check over 80840+NPI holds.

    Rule: STANDARDS.md §6 (CMS NPI check digit, ISO/IEC 7812 prefix 80840).
    """
    return len(value) == 10 and value.isdigit() and value[0] in "12" and luhn.is_valid("80840" + value)


def validate_npi(value: str) -> None:
    if not npi_is_valid(value or ""):
        raise ValidationError(
            "Enter a valid 10-digit NPI (starts with 1 or 2; check digit must match).", code="invalid_npi"
        )


def validate_taxonomy(value: str) -> None:
    """Check the NUCC Health Care Provider Taxonomy code shape, e.g. 171100000X."""
    if not TAXONOMY_RE.match(value or ""):
        raise ValidationError(
            "Enter a 10-character NUCC taxonomy code such as 171100000X.", code="invalid_taxonomy"
        )


_ZONES: frozenset[str] | None = None


def validate_time_zone(value: str) -> None:
    """Accept only canonical IANA zone names (e.g. America/Denver)."""
    global _ZONES
    if _ZONES is None:
        _ZONES = frozenset(available_timezones())
    if value not in _ZONES:
        raise ValidationError(f"'{value}' is not an IANA time zone such as America/Denver.", code="invalid_tz")
    try:
        ZoneInfo(value)
    except ZoneInfoNotFoundError as exc:  # pragma: no cover - available_timezones already checked
        raise ValidationError(f"'{value}' is not an IANA time zone.", code="invalid_tz") from exc


def validate_place_of_service(value: str) -> None:
    if value not in PLACE_OF_SERVICE:
        raise ValidationError(
            f"'{value}' is not a supported place-of-service code ({', '.join(sorted(PLACE_OF_SERVICE))}).",
            code="invalid_pos",
        )


def validate_procedure_code(value: str) -> None:
    """CPT (5 digits, or 4 digits + F/T/U for Category II/III) or HCPCS Level II (letter + 4 digits)."""
    if not CPT_HCPCS_RE.match(value or ""):
        raise ValidationError(
            f"'{value}' is not a CPT or HCPCS code (e.g. 97810, 0591T, G0270).", code="invalid_code"
        )


def validate_modifiers(value: list[str]) -> None:
    if not isinstance(value, list) or len(value) > 4:
        raise ValidationError("Give at most four modifiers.", code="invalid_modifiers")
    for mod in value:
        if not isinstance(mod, str) or not MODIFIER_RE.match(mod):
            raise ValidationError(f"'{mod}' is not a two-character modifier.", code="invalid_modifiers")


def validate_tax_id(value: str) -> None:
    if not TAX_ID_RE.match(value or ""):
        raise ValidationError("Enter a 9-digit EIN such as 93-1234567.", code="invalid_tax_id")


def normalize_phone(value: str, region: str = "US") -> str:
    """Return the E.164 form of a phone number, or raise ValidationError naming the problem."""
    if not value:
        return ""
    try:
        parsed = phonenumbers.parse(value, region)
    except phonenumbers.NumberParseException as exc:
        raise ValidationError(f"'{value}' is not a phone number.", code="invalid_phone") from exc
    if not phonenumbers.is_valid_number(parsed):
        raise ValidationError(f"'{value}' is not a valid phone number.", code="invalid_phone")
    return phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164)


def validate_phone(value: str) -> None:
    normalize_phone(value)


def normalize_email(value: str) -> str:
    """Return the normalised address, or raise ValidationError. Does no DNS look-up."""
    if not value:
        return ""
    try:
        return validate_email(value, check_deliverability=False).normalized
    except EmailNotValidError as exc:
        raise ValidationError(f"'{value}' is not a valid email address: {exc}", code="invalid_email") from exc


def format_phone(value: str) -> str:
    """Display an E.164 number in national format for staff screens."""
    if not value:
        return ""
    try:
        return phonenumbers.format_number(phonenumbers.parse(value, "US"), phonenumbers.PhoneNumberFormat.NATIONAL)
    except phonenumbers.NumberParseException:
        return value
