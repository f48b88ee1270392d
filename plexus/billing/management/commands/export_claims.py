"""python manage.py export_claims --batch ID --out FILE [--build]: write an 837P batch for upload to a
clearinghouse portal. ``--build`` first builds a new batch of every ready claim (then --batch is not
needed). Exporting a batch again writes the same file: its claims and control numbers are fixed."""

from __future__ import annotations

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from plexus.billing.claims import batch_build, batch_export
from plexus.billing.models import ClaimBatch
from plexus.core.audit import Actor
from plexus.core.errors import ApplicationError


class Command(BaseCommand):
    help = "Write an 837P claim batch to a file (optionally building a new batch of every ready claim first)."

    def add_arguments(self, parser):
        parser.add_argument("--batch", type=int, help="Batch control number (see Billing > Claims).")
        parser.add_argument("--out", required=True, help="File to write (ASCII X12).")
        parser.add_argument("--build", action="store_true", help="Build a new batch of every ready claim first.")

    def handle(self, *args, batch: int | None, out: str, build: bool, **options):
        actor = Actor.system("cli")
        try:
            if build:
                found = batch_build(actor=actor)
            else:
                if batch is None:
                    raise CommandError("Give --batch ID (a batch control number) or --build.")
                found = ClaimBatch.objects.filter(control_number=batch).first()
                if found is None:
                    raise CommandError(f"No claim batch {batch}.")
            text = batch_export(actor=actor, batch=found)
        except ApplicationError as exc:
            raise CommandError(exc.detail) from exc
        path = Path(out)
        try:
            path.write_text(text, encoding="ascii")
        except OSError as exc:
            raise CommandError(f"Cannot write {path}: {exc}") from exc
        self.stdout.write(f"Wrote batch {found.control_number}: {found.claim_count} claims, "
                          f"${found.total_charge} to {path}.")
