"""python manage.py send_messages: send every queued message that is due, now (cron, operators)."""

from __future__ import annotations

from django.core.management.base import BaseCommand
from django.utils import timezone

from plexus.messaging.services import messages_send_due


class Command(BaseCommand):
    help = "Send queued messages that are due (retries with backoff; quiet hours respected)."

    def handle(self, *args, **options):
        total = None
        while True:
            report = messages_send_due(now=timezone.now())
            total = report if total is None else total
            if total is not report:
                for name in ("sent", "retried", "failed", "deferred", "withdrawn", "requeued"):
                    setattr(total, name, getattr(total, name) + getattr(report, name))
            if not (report.sent + report.retried + report.failed + report.deferred + report.withdrawn):
                break
        self.stdout.write(f"messages: {total}")
