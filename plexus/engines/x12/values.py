"""Typed element values: money and quantities as Decimal, dates as datetime.date."""

from __future__ import annotations

from datetime import date
from decimal import Decimal, InvalidOperation

from .lexer import Segment


def format_amount(value: Decimal) -> str:
    """Render an X12 ``R`` value without exponent or trailing zeros (235.00 -> "235")."""
    if value == value.to_integral_value():
        return str(int(value))
    text = format(value, "f")
    return text.rstrip("0").rstrip(".") if "." in text else text


def format_date(value: date) -> str:
    """Render a CCYYMMDD (D8) date."""
    return f"{value.year:04d}{value.month:02d}{value.day:02d}"


def amount(seg: Segment, n: int, *, required: bool = False) -> Decimal | None:
    """Return element ``n`` as Decimal (None when empty and optional); raise X12Error when invalid."""
    text = seg.element(n)
    if not text:
        if required:
            raise seg.error("mandatory amount is missing", n)
        return None
    return dec(text, seg, n)


def dec(text: str, seg: Segment, n: int) -> Decimal:
    """Convert non-empty ``text`` (element ``n`` of ``seg``) to Decimal; raise X12Error when invalid."""
    if text.isdigit():
        return Decimal(text)
    try:
        value = Decimal(text)
    except InvalidOperation:
        raise seg.error(f"{text!r} is not a number", n) from None
    if not value.is_finite() or "_" in text or text != text.strip():
        raise seg.error(f"{text!r} is not a number", n)
    return value


def opt_dec(text: str, seg: Segment, n: int) -> Decimal | None:
    """Like :func:`dec` but return None for an empty ``text``."""
    return dec(text, seg, n) if text else None


def padded(seg: Segment, size: int) -> tuple[str, ...]:
    """Return the elements of ``seg`` padded with "" to at least ``size`` (for fast unpacking)."""
    els = seg.elements
    return els if len(els) >= size else els + ("",) * (size - len(els))


def req_amount(seg: Segment, n: int) -> Decimal:
    """Return mandatory element ``n`` as Decimal; raise X12Error when missing or invalid."""
    value = amount(seg, n, required=True)
    assert value is not None
    return value


def parse_d8(seg: Segment, n: int, text: str | None = None) -> date:
    """Parse a CCYYMMDD date from element ``n`` (or ``text``); raise X12Error when invalid."""
    value = seg.element(n) if text is None else text
    if len(value) != 8 or not value.isdigit():
        raise seg.error(f"{value!r} is not a CCYYMMDD date", n)
    try:
        return date(int(value[:4]), int(value[4:6]), int(value[6:]))
    except ValueError:
        raise seg.error(f"{value!r} is not a valid date", n) from None


def parse_period(seg: Segment, fmt_pos: int, value_pos: int) -> tuple[date, date | None]:
    """Parse a D8 or RD8 (CCYYMMDD-CCYYMMDD) date or range given its qualifier position."""
    fmt, value = seg.element(fmt_pos), seg.require(value_pos, "date")
    if fmt == "RD8":
        start, sep, end = value.partition("-")
        if not sep:
            raise seg.error(f"{value!r} is not a CCYYMMDD-CCYYMMDD range", value_pos)
        return parse_d8(seg, value_pos, start), parse_d8(seg, value_pos, end)
    if fmt not in ("D8", ""):
        raise seg.error(f"unsupported date format {fmt!r}", fmt_pos)
    return parse_d8(seg, value_pos), None


def npi_is_valid(npi: str) -> bool:
    """Return True when ``npi`` is 10 digits starting 1 or 2 with a valid Luhn digit (prefix 80840)."""
    if len(npi) != 10 or not npi.isdigit() or npi[0] not in "12":
        return False
    total = 0
    for i, ch in enumerate(reversed("80840" + npi)):
        d = int(ch)
        if i % 2 == 1:
            d *= 2
            if d > 9:
                d -= 9
        total += d
    return total % 10 == 0
