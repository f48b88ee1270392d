"""Ship the English and Spanish default templates (never overwrites an edited one)."""

from django.db import migrations


def forwards(apps, schema_editor):
    from plexus.messaging.defaults import ensure_default_templates

    ensure_default_templates(apps.get_model("messaging", "MessageTemplate"))


class Migration(migrations.Migration):
    dependencies = [("messaging", "0001_initial")]

    operations = [migrations.RunPython(forwards, migrations.RunPython.noop)]
