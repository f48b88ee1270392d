from django.apps import AppConfig


class MessagingConfig(AppConfig):
    name = "plexus.messaging"
    label = "messaging"
    verbose_name = "Patient communications"
