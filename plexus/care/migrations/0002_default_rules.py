"""Seed the default routing rules (plexus/care/updates.py DEFAULT_RULES)."""

from django.db import migrations

DEFAULTS = {
    "medication_started": (["dc", "lac", "lmt", "rd"], False, "routine"),
    "medication_changed": (["dc", "lac", "lmt", "rd"], False, "routine"),
    "medication_stopped": (["dc", "lac", "lmt", "rd"], False, "routine"),
    "new_diagnosis": (["*"], False, "routine"),
    "allergy": (["*"], False, "routine"),
    "lab_result": (["rd"], True, "routine"),
    "care_plan_change": (["*"], False, "routine"),
    "red_flag": (["*"], False, "urgent"),
    "adherence_barrier": ([], True, "routine"),
}


def seed(apps, schema_editor):
    RoutingRule = apps.get_model("care", "RoutingRule")
    CareSettings = apps.get_model("care", "CareSettings")
    for event_type, (disciplines, lead, urgency) in DEFAULTS.items():
        RoutingRule.objects.get_or_create(event_type=event_type, defaults={
            "disciplines": disciplines, "include_lead": lead, "urgency": urgency})
    if not CareSettings.objects.exists():
        CareSettings.objects.create()


class Migration(migrations.Migration):
    dependencies = [("care", "0001_initial")]
    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]
