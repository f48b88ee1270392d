"""Synthetic NPIs that pass the check-digit rule (STANDARDS.md §6)."""

from __future__ import annotations

from stdnum import luhn


def make_npi(serial: int, first_digit: str = "1") -> str:
    """Return a valid 10-digit NPI built from a serial number (deterministic)."""
    base = f"{first_digit}{serial % 10**8:08d}"
    return base + luhn.calc_check_digit("80840" + base)
