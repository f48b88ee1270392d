"""Medicare coverage rules: moved to :mod:`plexus.engines.claims.medicare`; re-exported here for old imports."""

from __future__ import annotations

from plexus.engines.claims.medicare import (
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
