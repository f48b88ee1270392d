"""Demo data for billing (filled in by the billing capability)."""

from __future__ import annotations

from datetime import date


def load_billing_demo(*, anchor: date, scale: int = 1) -> dict[str, int]:
    """Create demo billing data (benefits, eligibility responses) around `anchor`; safe to run twice."""
    return {}
