"""Periodic scheduling work for the Huey worker (run by `make demo` beside the web server)."""

from __future__ import annotations

from django.utils import timezone
from huey import crontab
from huey.contrib.djhuey import db_periodic_task

from plexus.scheduling.reminders import reconcile_reminders
from plexus.scheduling.waitlist import reconcile_waitlist


@db_periodic_task(crontab(minute="*"))
def reminders_reconciler() -> int:
    """Queue the visit-block reminders, updates and cancellation notices due now (idempotent)."""
    return reconcile_reminders(now=timezone.now())


@db_periodic_task(crontab(minute="*/5"))
def waitlist_reconciler() -> int:
    """Release expired waitlist offers, expire finished entries, offer freed time nobody was offered."""
    return reconcile_waitlist(now=timezone.now())
