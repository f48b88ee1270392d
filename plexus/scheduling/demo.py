"""Demo data for scheduling (filled in by the scheduling capability)."""

from __future__ import annotations

from datetime import date


def load_schedule_demo(*, anchor: date, scale: int = 1) -> dict[str, int]:
    """Create demo availability and bookings around `anchor`; safe to run twice. Returns counts."""
    return {}
