from django.apps import AppConfig


class SchedulingConfig(AppConfig):
    name = "plexus.scheduling"
    label = "scheduling"

    def ready(self) -> None:
        # Messaging sits below scheduling: it reaches visit blocks only through these hooks
        # (SMS replies C / X, reminder preview and "Send now").
        from plexus.scheduling import reminders

        reminders.register()
