"""Periodic scheduling work for the Huey worker (run by `make demo` beside the web server)."""

from __future__ import annotations

from django.utils import timezone
from huey import crontab
from huey.contrib.djhuey import db_periodic_task

from plexus.scheduling.reminders import reconcile_reminders


@db_periodic_task(crontab(minute="*"))
def reminders_reconciler() -> int:
    """Queue the visit-block reminders, updates and cancellation notices due now (idempotent)."""
    return reconcile_reminders(now=timezone.now())
