"""Periodic messaging work for the Huey worker: send what is queued and due."""

from __future__ import annotations

from django.utils import timezone
from huey import crontab
from huey.contrib.djhuey import db_periodic_task, lock_task

from plexus.messaging.services import messages_send_due


@db_periodic_task(crontab(minute="*"))
@lock_task("messaging-send-due")
def send_due_messages() -> str:
    """Send queued messages that are due (retries and quiet-hour deferrals included)."""
    return str(messages_send_due(now=timezone.now()))
