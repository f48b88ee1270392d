"""The audit log: one entry per read, field names without values, and no way to change it."""

import json

import pytest
from django.contrib import admin
from django.db import DatabaseError, connection, transaction

from plexus.core.audit import Actor, record
from plexus.core.models import AuditAction, AuditEvent


def _new_entries(since_id: int):
    return list(AuditEvent.objects.filter(id__gt=since_id).order_by("id"))


def _last_id() -> int:
    last = AuditEvent.objects.order_by("-id").first()
    return last.id if last else 0


def test_chart_view_leaves_exactly_one_entry(patient, client_for, users):
    client = client_for("front_desk", REMOTE_ADDR="10.1.2.3")
    since = _last_id()
    resp = client.get(f"/patients/{patient.pk}/")
    assert resp.status_code == 200
    entries = _new_entries(since)
    assert len(entries) == 1
    e = entries[0]
    assert (e.username, e.role, e.action, e.patient_id, e.ip, e.via) == (
        "u_front_desk", "front_desk", "read", patient.pk, "10.1.2.3", "ui")
    assert e.object_type == "patient.chart"


def test_api_read_leaves_exactly_one_entry(patient, client_for):
    client = client_for("billing")
    since = _last_id()
    resp = client.get(f"/api/patients/{patient.pk}")
    assert resp.status_code == 200
    entries = _new_entries(since)
    assert [(e.action, e.patient_id, e.via, e.role) for e in entries] == [("read", patient.pk, "api", "billing")]


def test_write_records_field_names_not_values(patient, client_for):
    since = _last_id()
    resp = client_for("front_desk").patch(f"/api/patients/{patient.pk}", data=json.dumps(
        {"date_of_birth": "1974-05-15", "pronouns": "they/them"}), content_type="application/json")
    assert resp.status_code == 200, resp.content
    update = [e for e in _new_entries(since) if e.action == "update"]
    assert len(update) == 1
    assert update[0].changed_fields == ["date_of_birth", "pronouns"]
    row = json.dumps(list(AuditEvent.objects.filter(pk=update[0].pk).values()), default=str)
    assert "1974-05-15" not in row and "they/them" not in row


def test_denied_access_is_audited(patient, client_for):
    since = _last_id()
    resp = client_for("practitioner").get("/audit/")
    assert resp.status_code == 403
    assert [e.action for e in _new_entries(since)] == ["denied"]


def test_login_and_failed_login_are_audited(db, users, client):
    PASSWORD = "correct-horse-battery"  # as set by the users fixture in plexus/conftest.py

    since = _last_id()
    client.post("/login/", {"username": "u_billing", "password": "wrong"})
    client.post("/login/", {"username": "u_billing", "password": PASSWORD})
    assert [(e.action, e.username) for e in _new_entries(since)] == [
        ("login_failed", "system:ui"), ("login", "u_billing")]


def test_orm_cannot_change_or_delete_entries(db, users):
    entry = record(Actor(users["admin"]), AuditAction.READ, "patient.chart", 1, patient_id=1)
    entry.detail = "tampered"
    with pytest.raises(PermissionError):
        entry.save()
    with pytest.raises(PermissionError):
        entry.delete()
    with pytest.raises(PermissionError):
        AuditEvent.objects.filter(pk=entry.pk).update(detail="tampered")
    with pytest.raises(PermissionError):
        AuditEvent.objects.all().delete()
    assert AuditEvent.objects.get(pk=entry.pk).detail == ""


def test_database_refuses_raw_update_and_delete(db, users):
    entry = record(Actor(users["admin"]), AuditAction.READ, "patient.chart", 1, patient_id=1)
    for sql in ("UPDATE core_auditevent SET detail = 'x' WHERE id = %s", "DELETE FROM core_auditevent WHERE id = %s"):
        with pytest.raises(DatabaseError, match="append-only"), transaction.atomic(), connection.cursor() as cur:
            cur.execute(sql, [entry.pk])
    assert AuditEvent.objects.filter(pk=entry.pk, detail="").exists()


def test_admin_cannot_add_change_or_delete(rf, users):
    model_admin = admin.site._registry[AuditEvent]
    request = rf.get("/")
    request.user = users["admin"]
    assert not model_admin.has_add_permission(request)
    assert not model_admin.has_change_permission(request)
    assert not model_admin.has_delete_permission(request)


def test_audit_screen_filters_by_patient_user_and_date(patient, client_for):
    client_for("front_desk").get(f"/patients/{patient.pk}/")
    client = client_for("admin")
    resp = client.get(f"/audit/?patient_id={patient.pk}&username=u_front_desk")
    assert resp.status_code == 200
    assert b"u_front_desk" in resp.content and b"patient.chart" in resp.content
    resp = client.get("/audit/?date_from=2001-01-01&date_to=2001-01-02")
    assert b"No entries match" in resp.content
    api = client.get(f"/api/audit?patient_id={patient.pk}&limit=5").json()
    assert api["count"] >= 1 and all(item["patient_id"] == patient.pk for item in api["items"])


@pytest.mark.skipif(connection.vendor != "postgresql", reason="PostgreSQL-only switch; SQLite has no transactional tests")
@pytest.mark.django_db(transaction=True)
def test_transactional_tests_can_flush_on_postgres(audit_maintenance, users):
    """The maintenance switch exists for PostgreSQL test teardown only; without it the trigger holds."""
    entry = record(Actor(users["admin"]), AuditAction.READ, "patient.chart", 1, patient_id=1)
    with connection.cursor() as cur:
        cur.execute("RESET plexus.audit_maintenance")
        with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
            cur.execute("DELETE FROM core_auditevent WHERE id = %s", [entry.pk])
        cur.execute("SET plexus.audit_maintenance = 'on'")
