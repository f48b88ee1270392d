"""python manage.py reconcile [NAME ...]: run reconcilers once, now (for tests, cron and operators)."""

from __future__ import annotations

from django.apps import apps
from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.utils.module_loading import import_string

from plexus.billing.packages import reconcile_packages
from plexus.billing.reconcilers import reconcile_eligibility
from plexus.billing.statements import reconcile_statements
from plexus.scheduling.reminders import reconcile_reminders
from plexus.scheduling.waitlist import reconcile_waitlist

RECONCILERS = {"eligibility": reconcile_eligibility, "reminders": reconcile_reminders, "waitlist": reconcile_waitlist,
               "packages": reconcile_packages, "statements": reconcile_statements}


def all_reconcilers() -> dict:
    """The reconcilers above plus those apps declare on their AppConfig (``reconcilers``: name ->
    dotted path), e.g. the care app's escalations and surveys."""
    out = dict(RECONCILERS)
    for config in apps.get_app_configs():
        for name, path in getattr(config, "reconcilers", {}).items():
            out[name] = import_string(path)
    return out


class Command(BaseCommand):
    help = "Run reconcilers once (all when none is named; the list is in the error for an unknown name)."

    def add_arguments(self, parser):
        parser.add_argument("names", nargs="*")
        parser.add_argument("--now", help="Run as of this ISO 8601 instant instead of the clock (tests, catch-up).")

    def handle(self, *args, names: list[str], now: str | None = None, **options):
        at = timezone.now()
        if now:
            parsed = parse_datetime(now)
            if parsed is None or parsed.tzinfo is None:
                raise CommandError("--now must be an ISO 8601 instant with a time zone, e.g. 2026-12-01T09:00:00+00:00.")
            at = parsed
        known = all_reconcilers()
        unknown = sorted(set(names) - set(known))
        if unknown:
            raise CommandError(f"Unknown reconciler(s): {', '.join(unknown)}. Known: {', '.join(known)}.")
        for name in names or list(known):
            done = known[name](now=at)
            self.stdout.write(f"{name}: {done} created")
