from django.apps import AppConfig


class CareConfig(AppConfig):
    name = "plexus.care"
    label = "care"
    verbose_name = "Care-team communication"
