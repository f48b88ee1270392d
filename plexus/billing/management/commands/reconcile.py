"""python manage.py reconcile [NAME ...]: run reconcilers once, now (for tests, cron and operators)."""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from plexus.billing.packages import reconcile_packages
from plexus.billing.reconcilers import reconcile_eligibility
from plexus.billing.statements import reconcile_statements
from plexus.scheduling.reminders import reconcile_reminders
from plexus.scheduling.waitlist import reconcile_waitlist

RECONCILERS = {"eligibility": reconcile_eligibility, "reminders": reconcile_reminders, "waitlist": reconcile_waitlist,
               "packages": reconcile_packages, "statements": reconcile_statements}


class Command(BaseCommand):
    help = f"Run reconcilers once ({', '.join(RECONCILERS)}; all when none is named)."

    def add_arguments(self, parser):
        parser.add_argument("names", nargs="*")

    def handle(self, *args, names: list[str], **options):
        unknown = sorted(set(names) - set(RECONCILERS))
        if unknown:
            raise CommandError(f"Unknown reconciler(s): {', '.join(unknown)}. Known: {', '.join(RECONCILERS)}.")
        for name in names or list(RECONCILERS):
            done = RECONCILERS[name](now=timezone.now())
            self.stdout.write(f"{name}: {done} created")
