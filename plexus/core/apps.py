from django.apps import AppConfig


class CoreConfig(AppConfig):
    name = "plexus.core"
    label = "core"
    verbose_name = "Practice setup"
