"""Periodic records work for the Huey worker."""

from __future__ import annotations

from django.utils import timezone
from huey import crontab
from huey.contrib.djhuey import db_periodic_task

from plexus.records.intake import reconcile_intake


@db_periodic_task(crontab(minute="*/5"))
def intake_reconciler() -> int:
    """Send intake packets to new patients, add forms for new bookings, follow up, flag (idempotent)."""
    return reconcile_intake(now=timezone.now())
