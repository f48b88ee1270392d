from django.apps import AppConfig


class CareConfig(AppConfig):
    name = "plexus.care"
    label = "care"
    verbose_name = "Care-team communication"
    # Found by `manage.py reconcile` and `load_demo` through the app registry (this app sits beside
    # billing in the layers, so billing's commands may not import it).
    reconcilers = {"care_escalations": "plexus.care.updates.reconcile_escalations",
                   "care_surveys": "plexus.care.survey.reconcile_surveys"}
    demo_loader = "plexus.care.demo.load_care_demo"
