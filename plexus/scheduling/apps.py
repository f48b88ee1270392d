from django.apps import AppConfig


class SchedulingConfig(AppConfig):
    name = "plexus.scheduling"
    label = "scheduling"
