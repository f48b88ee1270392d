"""PostgreSQL: two workers send the same queue at once. Claims use SELECT ... FOR UPDATE SKIP
LOCKED, so every message is sent exactly once and none is left behind."""

from __future__ import annotations

import threading
import time

import pytest
from django.db import connection

from plexus.core.audit import Actor
from plexus.messaging import services
from plexus.messaging.models import Message, Status

from .conftest import NOW

pytestmark = pytest.mark.skipif(connection.vendor != "postgresql", reason="SKIP LOCKED claims need PostgreSQL")

COUNT = 120


class RecordingSms:
    """A thread-safe provider that records every reference it was asked to send (slowly, so the
    two workers overlap)."""

    name = "recording"

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.sent: list[tuple[str, str]] = []

    def send(self, *, to, body, reference):
        time.sleep(0.002)
        with self.lock:
            self.sent.append((threading.current_thread().name, reference))
        return f"ok-{reference}"


@pytest.mark.django_db(transaction=True)
def test_two_workers_send_each_message_once(audit_maintenance, maria):
    items = [services.Outgoing(patient_id=maria.pk, channel="sms", kind="reminder", language="en",
                               to=maria.phone_mobile, subject="", body=f"Message {i}", dedupe_key=f"k{i}",
                               next_attempt_at=NOW, ref=f"test:{i}") for i in range(COUNT)]
    services.messages_enqueue(actor=Actor.system("worker"), items=items, now=NOW)
    provider = RecordingSms()
    barrier = threading.Barrier(2)
    errors: list[str] = []

    def worker() -> None:
        try:
            barrier.wait(timeout=30)
            while services.messages_send_due(now=NOW, limit=10, sms=provider).sent:
                pass
        except Exception as exc:  # reported by the assertion below
            errors.append(repr(exc))
        finally:
            connection.close()

    threads = [threading.Thread(target=worker, name=f"worker-{i}") for i in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    assert errors == []
    references = [ref for _, ref in provider.sent]
    assert len(references) == COUNT and len(set(references)) == COUNT  # each once
    assert set(Message.objects.values_list("status", flat=True)) == {Status.SENT}
    assert {name for name, _ in provider.sent} == {"worker-0", "worker-1"}  # both really worked
