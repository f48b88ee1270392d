"""Billing fixtures: a fixed clock, a private clearinghouse folder, 271 helpers."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
import time_machine

from plexus.billing.simulator import STANDARDS_BODY, answer_270

NOW = datetime(2026, 11, 27, 17, 0, tzinfo=UTC)
SERVICE_DATE = date(2026, 11, 30)


@pytest.fixture(autouse=True)
def fixed_clock():
    with time_machine.travel(NOW, tick=False):
        yield


@pytest.fixture(autouse=True)
def clearinghouse_dir(settings, tmp_path, monkeypatch):
    """Each test gets its own DATA_DIR (outbox/inbox) and the default file-exchange transport."""
    settings.DATA_DIR = tmp_path
    for name in ("PLEXUS_CLEARINGHOUSE_URL", "PLEXUS_CLEARINGHOUSE_TOKEN", "PLEXUS_CLEARINGHOUSE_SENDER_ID",
                 "PLEXUS_CLEARINGHOUSE_RECEIVER_ID"):
        monkeypatch.delenv(name, raising=False)
    return tmp_path / "clearinghouse"


def standards_answer(request_x12: str, body=None) -> str:
    """A 271 answering ``request_x12`` with the STANDARDS.md §1.1 benefits (or ``body``)."""
    return answer_270(request_x12, lambda member_id: list(body or STANDARDS_BODY), created=NOW.replace(tzinfo=None))
