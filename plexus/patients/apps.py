from django.apps import AppConfig


class PatientsConfig(AppConfig):
    name = "plexus.patients"
    label = "patients"
    verbose_name = "Patients and coverage"
