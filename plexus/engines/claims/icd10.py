"""ICD-10-CM code shape: normalisation and a shape check (no code-set lookup)."""

from __future__ import annotations

import re

__all__ = ["icd10_problem", "normalize_icd10"]

# ICD-10-CM: 3-7 characters. A letter, a digit, a digit or letter (category), then up to 4
# letters or digits; the dot, when written, follows the category (CDC ICD-10-CM Official Guidelines).
_SHAPE = re.compile(r"[A-Z][0-9][0-9A-Z][0-9A-Z]{0,4}")


def normalize_icd10(code: str) -> str:
    """Return ``code`` stripped, upper-cased and without its dot ("m54.50 " -> "M5450"), as X12 HI sends it."""
    return code.strip().upper().replace(".", "")


def icd10_problem(code: str) -> str | None:
    """Return why ``code`` is not shaped like an ICD-10-CM code, or None when its shape is fine.

    Check the shape only: a well-shaped code may still not exist in the code set or be non-billable.
    Case and surrounding blanks are ignored.
    """
    text = code.strip().upper()
    if not text:
        return "The diagnosis code is empty."
    if "." in text and (text.count(".") > 1 or text.index(".") != 3 or text.endswith(".")):
        return f"{code.strip()!r}: the dot in an ICD-10-CM code may only follow the third character."
    body = text.replace(".", "")
    if len(body) > 7:
        return f"{code.strip()!r} is too long: ICD-10-CM codes have 3 to 7 characters."
    if len(body) < 3:
        return f"{code.strip()!r} is too short: ICD-10-CM codes have 3 to 7 characters."
    if not _SHAPE.fullmatch(body):
        return (f"{code.strip()!r} is not shaped like an ICD-10-CM code: a letter, a digit, a digit or letter, "
                f"then up to 4 letters or digits.")
    return None
