"""No double booking, enforced by PostgreSQL: exclusion constraints over practitioner (room) and the
time range including buffer (turnover), for active appointments only. SQLite gets the same guarantee
from the booking service (BEGIN IMMEDIATE plus a re-check), so this migration does nothing there."""

from django.db import migrations

ACTIVE = "('booked', 'confirmed', 'arrived', 'in_room', 'completed')"
PG_UP = [
    "CREATE EXTENSION IF NOT EXISTS btree_gist",
    "ALTER TABLE scheduling_appointment ADD CONSTRAINT appointment_no_practitioner_overlap "
    "EXCLUDE USING gist (practitioner_id WITH =, tstzrange(start, practitioner_until, '[)') WITH &&) "
    f"WHERE (status IN {ACTIVE})",
    "ALTER TABLE scheduling_appointment ADD CONSTRAINT appointment_no_room_overlap "
    "EXCLUDE USING gist (room_id WITH =, tstzrange(start, room_until, '[)') WITH &&) "
    f"WHERE (status IN {ACTIVE})",
]
PG_DOWN = [
    "ALTER TABLE scheduling_appointment DROP CONSTRAINT IF EXISTS appointment_no_practitioner_overlap",
    "ALTER TABLE scheduling_appointment DROP CONSTRAINT IF EXISTS appointment_no_room_overlap",
]


def _run(statements_by_vendor):
    def apply(apps, schema_editor):
        for sql in statements_by_vendor.get(schema_editor.connection.vendor, []):
            schema_editor.execute(sql)

    return apply


class Migration(migrations.Migration):
    dependencies = [("scheduling", "0001_initial")]

    operations = [migrations.RunPython(_run({"postgresql": PG_UP}), _run({"postgresql": PG_DOWN}))]
