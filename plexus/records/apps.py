from django.apps import AppConfig


class RecordsConfig(AppConfig):
    name = "plexus.records"
    label = "records"
    verbose_name = "Patient documentation"
    demo_loader = "plexus.records.demo.load_records_demo"  # called by load_demo (see plexus/care/apps.py)
    reconcilers = {"intake": "plexus.records.intake.reconcile_intake"}

    def ready(self) -> None:
        from plexus.messaging.registry import register_preparation
        from plexus.records.intake import reminder_preparation

        register_preparation(reminder_preparation)  # the intake link in visit reminders
