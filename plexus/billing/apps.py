from django.apps import AppConfig


class BillingConfig(AppConfig):
    name = "plexus.billing"
    label = "billing"
