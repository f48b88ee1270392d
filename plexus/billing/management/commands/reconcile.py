"""python manage.py reconcile [NAME ...]: run reconcilers once, now (for tests, cron and operators)."""

from __future__ import annotations

from django.apps import apps
from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone
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

    def handle(self, *args, names: list[str], **options):
        known = all_reconcilers()
        unknown = sorted(set(names) - set(known))
        if unknown:
            raise CommandError(f"Unknown reconciler(s): {', '.join(unknown)}. Known: {', '.join(known)}.")
        for name in names or list(known):
            done = known[name](now=timezone.now())
            self.stdout.write(f"{name}: {done} created")
