"""Records requests (HIPAA right of access, 164.524): 30 days, one 30-day extension with reason and
notice, third parties need an authorisation on file, psychotherapy notes never released, overdue list."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core import mail

from plexus.core.audit import Actor
from plexus.core.errors import ApplicationError
from plexus.core.models import AuditEvent
from plexus.records import access_requests as ar
from plexus.records import files
from plexus.records.models import RecordsRequest

from . import docs_helpers
from .conftest import NOW
from .docs_helpers import upload

doc_storage = docs_helpers.doc_storage  # the fixture, for this module
pytestmark = pytest.mark.usefixtures("frozen", "doc_storage")
TODAY = NOW.date()


def doc(actor, patient, doc_type="lab_result", psych=False):
    d = files.document_store(actor=actor, patient=patient, uploaded_file=upload(), doc_type=doc_type, source="lab")
    if psych:
        d.is_psychotherapy_note = True
        d.save(update_fields=["is_psychotherapy_note"])
    return d


def make(actor, patient, days_ago=0, **kw):
    kw.setdefault("requester_kind", "patient")
    kw.setdefault("requester_name", "Maria Lopez")
    return ar.request_create(actor=actor, patient=patient, received_on=TODAY - timedelta(days=days_ago), **kw)


def test_due_in_30_days(admin_actor, patient):
    r = make(admin_actor, patient, days_ago=2)
    assert r.status == "open" and r.due_on == TODAY + timedelta(days=28)
    assert AuditEvent.objects.filter(action="create", object_type="records_request", patient_id=patient.pk).exists()


def test_third_party_needs_authorisation(admin_actor, patient):
    with pytest.raises(ApplicationError) as exc:
        make(admin_actor, patient, requester_kind="third_party", requester_name="Dr. Outside")
    assert exc.value.status == 422 and exc.value.errors[0].field == "authorisation_id"
    lab = doc(admin_actor, patient)
    with pytest.raises(ApplicationError):  # not a records release
        make(admin_actor, patient, requester_kind="third_party", requester_name="Dr. Outside", authorisation=lab)
    release = doc(admin_actor, patient, doc_type="records_release")
    r = make(admin_actor, patient, requester_kind="third_party", requester_name="Dr. Outside", authorisation=release)
    assert r.authorisation_id == release.pk
    r2 = make(admin_actor, patient, requester_kind="third_party", requester_name="Law office",
              authorisation_reference="Signed HIPAA authorisation scanned 2026-11-02, binder 4")
    assert r2.authorisation_reference
    assert RecordsRequest.objects.count() == 2


def test_received_in_future_and_bad_kind_refused(admin_actor, patient):
    with pytest.raises(ApplicationError) as exc:
        ar.request_create(actor=admin_actor, patient=patient, requester_kind="cousin", requester_name="",
                          received_on=TODAY + timedelta(days=1))
    assert {e.field for e in exc.value.errors} == {"requester_kind", "requester_name", "received_on"}


def test_one_extension_with_notice(admin_actor, patient):
    r = make(admin_actor, patient, days_ago=20, requester_email="maria@example.com")
    r = ar.request_extend(actor=admin_actor, request=r, reason="Archived records are off site.")
    assert r.status == "extended" and r.due_on == TODAY + timedelta(days=40)
    assert r.extension_notice_method == "email" and r.extension_notice_sent_at == NOW
    assert len(mail.outbox) == 1 and mail.outbox[0].to == ["maria@example.com"]
    assert "Archived records are off site." in mail.outbox[0].body and "January 09, 2027" in mail.outbox[0].body
    with pytest.raises(ApplicationError) as exc:
        ar.request_extend(actor=admin_actor, request=r, reason="Still busy.")
    assert exc.value.status == 409 and "only one extension" in exc.value.detail
    r.refresh_from_db()
    assert r.due_on == TODAY + timedelta(days=40) and len(mail.outbox) == 1


def test_extension_needs_reason_and_without_email_is_recorded_for_mail(admin_actor, patient):
    r = make(admin_actor, patient)
    with pytest.raises(ApplicationError) as exc:
        ar.request_extend(actor=admin_actor, request=r, reason=" ")
    assert exc.value.errors[0].field == "reason"
    r = ar.request_extend(actor=admin_actor, request=r, reason="Imaging from another site pending.")
    assert r.extension_notice_method == "mail" and not mail.outbox


def test_extension_refused_once_overdue(admin_actor, patient):
    r = make(admin_actor, patient, days_ago=31)
    with pytest.raises(ApplicationError) as exc:
        ar.request_extend(actor=admin_actor, request=r, reason="late")
    assert exc.value.status == 409


def test_psychotherapy_note_never_released(admin_actor, patient):
    lab = doc(admin_actor, patient)
    note = doc(admin_actor, patient, doc_type="external_consult_note", psych=True)
    assert list(ar.releasable(patient.pk)) == [lab]
    r = make(admin_actor, patient)
    with pytest.raises(ApplicationError) as exc:
        ar.request_fulfil(actor=admin_actor, request=r, documents=[lab, note], method="portal")
    assert exc.value.errors[0].field == "documents" and "psychotherapy note" in exc.value.detail
    r.refresh_from_db()
    assert r.status == "open" and not r.documents_sent.exists()
    r = ar.request_fulfil(actor=admin_actor, request=r, documents=[lab], method="mail")
    assert r.status == "fulfilled" and r.fulfilled_at == NOW and r.delivery_method == "mail"
    assert list(r.documents_sent.all()) == [lab]
    assert AuditEvent.objects.filter(action="export", object_type="records_request", object_id=str(r.pk)).exists()
    with pytest.raises(ApplicationError) as exc:
        ar.request_fulfil(actor=admin_actor, request=r, documents=[lab], method="mail")
    assert exc.value.status == 409


def test_fulfil_bad_method_and_other_patients_document(admin_actor, patient, payer):
    from plexus.patients.models import Patient

    other = Patient.objects.create(chart_number="P900002", legal_first_name="Ken", legal_last_name="Ito",
                                   date_of_birth=TODAY.replace(year=1980), sex_for_claims="M")
    theirs = doc(admin_actor, other)
    r = make(admin_actor, patient)
    with pytest.raises(ApplicationError) as exc:
        ar.request_fulfil(actor=admin_actor, request=r, documents=[theirs], method="pigeon")
    assert {e.field for e in exc.value.errors} == {"method", "documents"}


def test_deny_and_overdue_list(admin_actor, patient, users):
    late = make(admin_actor, patient, days_ago=35)
    soon = make(admin_actor, patient, days_ago=10)
    done = make(admin_actor, patient, days_ago=40)
    ar.request_deny(actor=admin_actor, request=done, reason="Not a designated record set.")
    assert list(ar.overdue(TODAY)) == [late]
    assert [r.pk for r in ar.tracker(TODAY)] == [late.pk, soon.pk]
    assert [r.pk for r in ar.tracker(TODAY, include_closed=True)] == [late.pk, soon.pk, done.pk]
    with pytest.raises(ApplicationError) as exc:
        ar.request_deny(actor=Actor(user=users["billing"]), request=soon, reason="x")
    assert exc.value.status == 403
