"""python manage.py load_demo [--scale N]: load the synthetic demo clinic (safe to run twice).

The command lives in the highest app that contributes demo data (billing) and calls each layer's
loader in order: practice setup (core), patients, scheduling, billing."""

from __future__ import annotations

import time

from django.apps import apps
from django.core.management.base import BaseCommand, CommandError
from django.utils.module_loading import import_string

from plexus.billing.demo import load_billing_demo
from plexus.billing.demo_claims import load_claims_demo
from plexus.core.audit import Actor, record
from plexus.core.demo import catalog
from plexus.core.demo.loader import load_setup
from plexus.core.models import AuditAction
from plexus.patients.demo import TODAY_ANCHOR, load_patients
from plexus.scheduling.demo import load_schedule_demo

PATIENTS_PER_SCALE = 500


class Command(BaseCommand):
    help = "Load the synthetic demo clinic (deterministic; Faker with a fixed seed). Safe to run twice."

    def add_arguments(self, parser):
        parser.add_argument("--scale", type=int, default=1, help="Multiply patients and practitioners (benchmarks).")

    def handle(self, *args, scale: int, **options):
        if scale < 1:
            raise CommandError("--scale must be at least 1.")
        started = time.perf_counter()
        counts = load_setup(scale)
        added, coverages = load_patients(PATIENTS_PER_SCALE * scale)
        counts.update(load_schedule_demo(anchor=TODAY_ANCHOR, scale=scale))
        counts.update(load_billing_demo(anchor=TODAY_ANCHOR, scale=scale))
        counts.update(load_claims_demo(anchor=TODAY_ANCHOR))
        for config in apps.get_app_configs():  # apps beside or above billing (records, care)
            loader = getattr(config, "demo_loader", None)
            if loader:
                counts.update(import_string(loader)(anchor=TODAY_ANCHOR, scale=scale))
        record(Actor.system("cli"), AuditAction.IMPORT, "demo", detail=f"load_demo scale={scale}: {added} patients")
        summary = ", ".join(f"{v} {k}" for k, v in counts.items())
        self.stdout.write(
            f"Demo clinic ready: {summary}; {added} patients and {coverages} coverages added "
            f"in {time.perf_counter() - started:.1f} s."
        )
        logins = ", ".join(f"{u} ({r})" for u, r, _, _ in catalog.STAFF) + ", drchen, liwei, sortiz (practitioners)"
        self.stdout.write(f"Logins (password '{catalog.DEMO_PASSWORD}'): {logins}")
