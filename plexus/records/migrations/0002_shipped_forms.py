from django.db import migrations


def load(apps, schema_editor):
    from plexus.records.shipped import load_shipped_forms

    load_shipped_forms(apps.get_model("records", "Questionnaire"))


class Migration(migrations.Migration):
    dependencies = [("records", "0001_initial")]

    operations = [migrations.RunPython(load, migrations.RunPython.noop)]
