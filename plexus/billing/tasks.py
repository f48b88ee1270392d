"""Periodic billing work for the Huey worker (run by `make demo` beside the web server)."""

from __future__ import annotations

from django.utils import timezone
from huey import crontab
from huey.contrib.djhuey import db_periodic_task

from plexus.billing.packages import reconcile_packages
from plexus.billing.reconcilers import reconcile_eligibility
from plexus.billing.statements import reconcile_statements


@db_periodic_task(crontab(minute="*/15"))
def eligibility_reconciler() -> int:
    """Check eligibility ahead of upcoming insurance-billable visits (idempotent)."""
    return reconcile_eligibility(now=timezone.now())


@db_periodic_task(crontab(minute="5"))
def packages_reconciler() -> int:
    """Bill memberships due, resume paused ones, expire old packages (idempotent: one bill per month)."""
    return reconcile_packages(now=timezone.now())


@db_periodic_task(crontab(minute="20", hour="6"))
def statements_reconciler() -> int:
    """Send last month's statements and the 30/60/90-day follow-ups (idempotent)."""
    return reconcile_statements(now=timezone.now())
