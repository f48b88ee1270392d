from django.apps import AppConfig


class RecordsConfig(AppConfig):
    name = "plexus.records"
    label = "records"
    verbose_name = "Patient documentation"
