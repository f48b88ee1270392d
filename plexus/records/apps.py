from django.apps import AppConfig


class RecordsConfig(AppConfig):
    name = "plexus.records"
    label = "records"
    verbose_name = "Patient documentation"
    demo_loader = "plexus.records.demo.load_records_demo"  # called by load_demo (see plexus/care/apps.py)
    reconcilers = {"intake": "plexus.records.intake.reconcile_intake"}
