"""Fixtures for records tests: a frozen clock (Monday 30 November 2026, 08:00 UTC), the shipped
forms (loaded by migration 0002) and helpers to fill them."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
import time_machine

from plexus.records.models import Questionnaire

NOW = datetime(2026, 11, 30, 8, tzinfo=UTC)
FREQ = ["LA6568-5", "LA6569-3", "LA6570-1", "LA6571-9"]


@pytest.fixture
def frozen():
    with time_machine.travel(NOW, tick=False) as traveller:
        yield traveller


@pytest.fixture
def forms(db) -> dict[str, Questionnaire]:
    """The shipped forms by slug (loaded again in case a transactional test flushed the migration's rows)."""
    from plexus.records.shipped import load_shipped_forms

    load_shipped_forms()
    return {q.slug: q for q in Questionnaire.objects.filter(source="shipped")}


def phq(values: list[int]) -> dict:
    return {f"phq9-{n}": FREQ[v] for n, v in enumerate(values, 1)}
