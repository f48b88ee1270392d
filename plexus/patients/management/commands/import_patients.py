"""python manage.py import_patients FILE: import patients with coverage from CSV (all or nothing)."""

from __future__ import annotations

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from plexus.core.audit import Actor
from plexus.core.errors import ApplicationError
from plexus.patients.imports import import_patients_csv


class Command(BaseCommand):
    help = "Import patients (with up to two coverages each) from a UTF-8 CSV file. Nothing is saved on any error."

    def add_arguments(self, parser):
        parser.add_argument("file", type=Path)

    def handle(self, *args, file: Path, **options):
        try:
            text = file.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            raise CommandError(f"Cannot read {file}: {exc}") from exc
        try:
            result = import_patients_csv(actor=Actor.system("cli"), text=text)
        except ApplicationError as exc:
            lines = [f"  row {e.row}, {e.field}: {e.message}" for e in exc.errors]
            raise CommandError("\n".join([f"{file}: {exc.detail}", *lines])) from exc
        self.stdout.write(f"Imported {result.patients} patients and {result.coverages} coverages from {file}.")
