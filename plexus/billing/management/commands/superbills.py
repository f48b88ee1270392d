"""python manage.py superbills --start YYYY-MM-DD --end YYYY-MM-DD --out DIR: one superbill PDF per
patient with approved charges in the period (for out-of-network reimbursement), written to DIR."""

from __future__ import annotations

from datetime import date
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from plexus.billing.documents import superbill_html, to_pdf
from plexus.billing.models import Charge, ChargeStatus
from plexus.core.audit import Actor, record
from plexus.core.models import AuditAction
from plexus.patients.models import Patient


class Command(BaseCommand):
    help = "Write superbill PDFs for every patient with approved charges in a date range."

    def add_arguments(self, parser):
        parser.add_argument("--start", required=True)
        parser.add_argument("--end", required=True)
        parser.add_argument("--out", required=True, help="Folder to write into (created if missing).")

    def handle(self, *args, start: str, end: str, out: str, **options):
        try:
            first, last = date.fromisoformat(start), date.fromisoformat(end)
        except ValueError as exc:
            raise CommandError("--start and --end are dates such as 2026-11-01.") from exc
        if first > last:
            raise CommandError("--start is after --end.")
        folder = Path(out)
        folder.mkdir(parents=True, exist_ok=True)
        ids = (Charge.objects.filter(status=ChargeStatus.APPROVED, encounter__service_date__gte=first,
                                     encounter__service_date__lte=last)
               .values_list("patient_id", flat=True).distinct())
        patients = list(Patient.objects.filter(pk__in=list(ids)).order_by("chart_number"))
        for n, patient in enumerate(patients, start=1):
            (folder / f"superbill-{patient.chart_number}-{first}-{last}.pdf").write_bytes(
                to_pdf(superbill_html(patient, first, last)))
            record(Actor.system("cli"), AuditAction.EXPORT, "superbill", patient.pk, patient_id=patient.pk,
                   detail=f"{first}..{last}")
            if n % 25 == 0:
                self.stderr.write(f"  {n}/{len(patients)}")
        self.stdout.write(f"Wrote {len(patients)} superbills for {first}..{last} to {folder}.")
