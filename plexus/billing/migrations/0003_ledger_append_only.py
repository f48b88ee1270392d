"""Make the patient ledger append-only in the database itself (DESIGN.md §3: money is append-only):
UPDATE and DELETE on billing_ledgerentry raise, on SQLite and on PostgreSQL. Corrections are new
entries. Shares the maintenance switch used by the audit log's trigger (test teardown only)."""

from django.db import migrations

SQLITE_UP = [
    """CREATE TRIGGER billing_ledgerentry_no_update BEFORE UPDATE ON billing_ledgerentry
       BEGIN SELECT RAISE(ABORT, 'ledger is append-only'); END;""",
    """CREATE TRIGGER billing_ledgerentry_no_delete BEFORE DELETE ON billing_ledgerentry
       BEGIN SELECT RAISE(ABORT, 'ledger is append-only'); END;""",
]
SQLITE_DOWN = [
    "DROP TRIGGER IF EXISTS billing_ledgerentry_no_update;",
    "DROP TRIGGER IF EXISTS billing_ledgerentry_no_delete;",
]
PG_UP = [
    """CREATE OR REPLACE FUNCTION billing_ledgerentry_append_only() RETURNS trigger AS $$
       BEGIN
         IF current_setting('plexus.audit_maintenance', true) = 'on' THEN RETURN NULL; END IF;
         RAISE EXCEPTION 'ledger is append-only';
       END; $$ LANGUAGE plpgsql;""",
    """CREATE TRIGGER billing_ledgerentry_no_change BEFORE UPDATE OR DELETE ON billing_ledgerentry
       FOR EACH ROW EXECUTE FUNCTION billing_ledgerentry_append_only();""",
    """CREATE TRIGGER billing_ledgerentry_no_truncate BEFORE TRUNCATE ON billing_ledgerentry
       FOR EACH STATEMENT EXECUTE FUNCTION billing_ledgerentry_append_only();""",
]
PG_DOWN = [
    "DROP TRIGGER IF EXISTS billing_ledgerentry_no_change ON billing_ledgerentry;",
    "DROP TRIGGER IF EXISTS billing_ledgerentry_no_truncate ON billing_ledgerentry;",
    "DROP FUNCTION IF EXISTS billing_ledgerentry_append_only();",
]


def _run(statements_by_vendor):
    def apply(apps, schema_editor):
        for sql in statements_by_vendor.get(schema_editor.connection.vendor, []):
            schema_editor.execute(sql)

    return apply


class Migration(migrations.Migration):
    dependencies = [("billing", "0002_claims_ledger")]

    operations = [
        migrations.RunPython(
            _run({"sqlite": SQLITE_UP, "postgresql": PG_UP}),
            _run({"sqlite": SQLITE_DOWN, "postgresql": PG_DOWN}),
        )
    ]
