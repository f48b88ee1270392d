"""Documents: content sniffing (bytes that lie), size limit, filing by type and discipline, nothing
stored on refusal, minimum-necessary reads (audited), FHIR DocumentReference validated with R4B."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from fhir.resources.R4B.bundle import Bundle
from fhir.resources.R4B.documentreference import DocumentReference

from plexus.core.audit import Actor
from plexus.core.errors import ApplicationError
from plexus.core.models import AuditEvent
from plexus.records import files
from plexus.records.models import Document
from plexus.records.storage import build_storage, s3_options

from . import docs_helpers
from .conftest import NOW
from .docs_helpers import EXE, HEIC, JPEG, PDF, PNG, TIFF, stored_files, upload

doc_storage = docs_helpers.doc_storage  # the fixture, for this module
pytestmark = pytest.mark.usefixtures("frozen", "doc_storage")


def store(actor, patient, f=None, doc_type="lab_result", **kw):
    kw.setdefault("source", "Quest Diagnostics")
    return files.document_store(actor=actor, patient=patient, uploaded_file=f or upload(), doc_type=doc_type, **kw)


def _field(exc: ApplicationError) -> set[str]:
    return {e.field for e in exc.errors}


def test_store_pdf_filed_by_discipline_and_type(admin_actor, patient, doc_storage):
    doc = store(admin_actor, patient, disciplines=["lac", "dc"], service_date=date(2026, 11, 20))
    assert doc.file.name.startswith(f"patients/{patient.pk}/dc/lab_result/") and doc.file.name.endswith(".pdf")
    assert doc.size == len(PDF) and doc.content_type == "application/pdf" and len(doc.sha256) == 64
    assert doc.uploaded_at == NOW and doc.uploaded_by.username == "u_admin" and doc.original_name == "lab.pdf"
    assert files.read_bytes(doc) == PDF
    assert AuditEvent.objects.filter(action="create", object_type="document", object_id=str(doc.pk)).count() == 1
    groups = files.filing(files.patient_documents(patient.pk))
    assert [(g["code"], g["name"]) for g in groups] == [("dc", "Chiropractor"), ("lac", "Licensed acupuncturist")]
    assert groups[0]["types"][0]["code"] == "lab_result"


@pytest.mark.parametrize(("name", "data", "ctype"), [
    ("card.png", PNG, "image/png"), ("id.jpeg", JPEG, "image/jpeg"), ("scan.heic", HEIC, "application/octet-stream"),
    ("scan.HEIF", HEIC, "image/heif"), ("xray.tiff", TIFF, "image/tiff"), ("note.txt", b"Plain note\n", "text/plain"),
])
def test_allowed_types_by_content(admin_actor, patient, name, data, ctype):
    assert store(admin_actor, patient, upload(name, data, ctype), doc_type="imaging").size == len(data)


@pytest.mark.parametrize(("name", "data", "ctype", "why"), [
    ("lab.pdf", PNG, "application/pdf", "says it is application/pdf"),  # PNG bytes claiming to be a PDF
    ("lab.pdf", PDF, "image/png", "says it is image/png"),  # claimed type does not match the bytes
    ("lab.png", PDF, "application/octet-stream", "ends in .png"),  # extension does not match the bytes
    ("lab.pdf", EXE, "application/pdf", "not an allowed type"),  # an executable
    ("notes.pdf", b"just text", "application/pdf", "not an allowed type"),  # text only as .txt
    ("photo.heic", b"\x00\x00\x00\x18ftypisom" + b"\x00" * 16, "image/heic", "not an allowed type"),  # MP4 box
])
def test_bytes_that_lie_are_refused_and_nothing_stored(admin_actor, patient, doc_storage, name, data, ctype, why):
    with pytest.raises(ApplicationError) as exc:
        store(admin_actor, patient, upload(name, data, ctype))
    assert exc.value.status == 422 and "file" in _field(exc.value) and why in exc.value.detail
    assert Document.objects.count() == 0 and stored_files(doc_storage) == []


def test_oversize_refused(admin_actor, patient, doc_storage, settings):
    settings.PLEXUS_DOCUMENT_MAX_BYTES = 40
    with pytest.raises(ApplicationError) as exc:
        store(admin_actor, patient, upload(data=PDF + b"x" * 40))
    assert _field(exc.value) == {"file"} and "limit" in exc.value.detail
    assert Document.objects.count() == 0 and stored_files(doc_storage) == []


def test_default_limit_is_20_mb(monkeypatch):
    monkeypatch.delenv("PLEXUS_DOCUMENT_MAX_BYTES", raising=False)
    assert files.max_bytes() == 20 * 1024 * 1024
    monkeypatch.setenv("PLEXUS_DOCUMENT_MAX_BYTES", "1000")
    assert files.max_bytes() == 1000


def test_every_bad_field_named(admin_actor, patient):
    with pytest.raises(ApplicationError) as exc:
        files.document_store(actor=admin_actor, patient=patient, uploaded_file=upload("x.pdf", EXE), doc_type="selfie",
                             source=" ", service_date=date(2026, 12, 25), disciplines=["astrology"])
    assert _field(exc.value) == {"file", "doc_type", "source", "service_date", "disciplines"}
    assert Document.objects.count() == 0


def test_no_orphan_file_when_the_row_fails(admin_actor, patient, doc_storage, monkeypatch):
    def boom(*a, **k):
        raise RuntimeError("database down")

    monkeypatch.setattr(files, "record", boom)
    with pytest.raises(RuntimeError):
        store(admin_actor, patient)
    assert Document.objects.count() == 0 and stored_files(doc_storage) == []


def test_portal_store_without_user(patient):
    doc = store(Actor(user=None, via="portal"), patient, upload("front.jpg", JPEG, "image/jpeg"),
                doc_type="insurance_card_front", source="patient portal")
    assert doc.uploaded_by is None and not doc.is_clinical
    assert AuditEvent.objects.get(object_type="document", action="create").username == "system:portal"


def test_minimum_necessary_reads(admin_actor, patient, users):
    lab = store(admin_actor, patient)
    consent = store(admin_actor, patient, doc_type="consent", source="front desk")
    desk = Actor(user=users["front_desk"])
    assert files.document_read(actor=desk, document=consent) == PDF
    with pytest.raises(ApplicationError) as exc:
        files.document_read(actor=desk, document=lab)
    assert exc.value.status == 403
    assert AuditEvent.objects.filter(action="denied", patient_id=patient.pk, object_type="document.content").exists()
    assert files.document_read(actor=Actor(user=users["practitioner"]), document=lab) == PDF
    reads = AuditEvent.objects.filter(action="read", object_type="document").values_list("object_id", flat=True)
    assert sorted(reads) == sorted([str(consent.pk), str(lab.pk)])
    with pytest.raises(ApplicationError):
        files.document_read(actor=Actor(user=users["billing"]), document=consent)


def test_psychotherapy_flag_needs_clinician(admin_actor, patient, users):
    doc = store(admin_actor, patient, doc_type="external_consult_note")
    with pytest.raises(ApplicationError):
        files.document_update(actor=Actor(user=users["front_desk"]), document=doc, is_psychotherapy_note=True)
    doc = files.document_update(actor=Actor(user=users["practitioner"]), document=doc, is_psychotherapy_note=True,
                                disciplines=["lac"])
    assert doc.is_psychotherapy_note and doc.disciplines == ["lac"]
    ev = AuditEvent.objects.get(action="update", object_type="document")
    assert ev.changed_fields == ["disciplines", "is_psychotherapy_note"]


def test_fhir_document_reference_and_bundle_validate(admin_actor, patient):
    lab = store(admin_actor, patient, disciplines=["lac"], service_date=NOW.date() - timedelta(days=3))
    store(admin_actor, patient, upload("front.png", PNG, "image/png"), doc_type="insurance_card_front", source="portal")
    ref = files.fhir_export(actor=admin_actor, document=lab)
    model = DocumentReference.model_validate(ref)
    assert model.status == "current" and model.subject.reference == f"Patient/{patient.pk}"
    assert model.type.coding[0].code == "11502-2" and model.content[0].attachment.contentType == "application/pdf"
    assert str(model.context.period.start) == "2026-11-27"
    bundle = Bundle.model_validate(files.fhir_export_patient(actor=admin_actor, patient=patient))
    assert len(bundle.entry) == 2 and {e.resource.get_resource_type() for e in bundle.entry} == {"DocumentReference"}
    assert AuditEvent.objects.filter(action="export", object_type="document").count() == 2


def test_storage_from_env(tmp_path):
    storage = build_storage({"PLEXUS_DOCUMENTS_DIR": str(tmp_path)})
    assert storage.location == str(tmp_path)
    from django.core.exceptions import ImproperlyConfigured

    with pytest.raises(ImproperlyConfigured, match="django-storages"):
        build_storage({"PLEXUS_DOCUMENTS_STORAGE": "s3", "PLEXUS_S3_BUCKET": "b"})
    with pytest.raises(ImproperlyConfigured):
        build_storage({"PLEXUS_DOCUMENTS_STORAGE": "ftp"})
    opts = s3_options({"PLEXUS_S3_BUCKET": "plexus-docs", "PLEXUS_S3_ENDPOINT_URL": "https://s3.example.test"})
    assert opts["bucket_name"] == "plexus-docs" and opts["endpoint_url"] == "https://s3.example.test"
    assert opts["default_acl"] == "private"
