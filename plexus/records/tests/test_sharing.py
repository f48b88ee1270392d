"""External sharing: expiring single-purpose links, passcode (hashed, attempts limited), access
log, revocation, refusals logged; referral letter PDF."""

from __future__ import annotations

from datetime import timedelta

import pytest

from plexus.core.audit import Actor
from plexus.core.errors import ApplicationError
from plexus.core.models import AuditEvent
from plexus.records import files, sharing
from plexus.records.models import DocumentShare, ShareAccess

from . import docs_helpers
from .conftest import NOW
from .docs_helpers import PNG, upload

doc_storage = docs_helpers.doc_storage  # the fixture, for this module
pytestmark = pytest.mark.usefixtures("frozen", "doc_storage")
WHO = {"ip": "203.0.113.7", "user_agent": "Mozilla/5.0 (Specialist)"}


@pytest.fixture
def docs(admin_actor, patient):
    def make(doc_type, name="x.pdf", data=None):
        kw = {"data": data, "content_type": "image/png"} if data else {}
        return files.document_store(actor=admin_actor, patient=patient, uploaded_file=upload(name, **kw),
                                    doc_type=doc_type, source="Outside lab")
    return {"lab": make("lab_result"), "card": make("insurance_card_front", "c.png", PNG),
            "psych": make("external_consult_note")}


@pytest.fixture
def doctor(users):
    return Actor(user=users["practitioner"], ip="10.0.0.5")


def share(actor, patient, documents, **kw):
    kw.setdefault("recipient_name", "Dr. Ada Park, Cardiology")
    kw.setdefault("purpose", "Cardiology consult")
    return sharing.share_create(actor=actor, patient=patient, documents=documents, **kw)


def test_create_open_and_log(doctor, patient, docs):
    s = share(doctor, patient, [docs["lab"], docs["card"]], passcode="")
    assert s.expires_at == NOW + timedelta(days=14)
    token = sharing.share_token(s)
    assert sharing.share_resolve(token, **WHO) == s
    assert set(sharing.share_opened(s, **WHO)) == {docs["lab"], docs["card"]}
    _, data = sharing.share_document(s, docs["lab"].pk, **WHO)
    assert data.startswith(b"%PDF")
    log = ShareAccess.objects.filter(share=s)
    assert {a.outcome for a in log} == {"opened", "file"} and all(a.ip == "203.0.113.7" for a in log)
    assert log.filter(outcome="file").get().document == docs["lab"]
    assert AuditEvent.objects.filter(via="share", action="export", object_id=str(docs["lab"].pk)).exists()
    with pytest.raises(ApplicationError):  # not part of the share
        sharing.share_document(s, docs["psych"].pk, **WHO)


def test_expired_link_refused_and_logged(doctor, patient, docs, frozen):
    s = share(doctor, patient, [docs["lab"]], expires_in_days=2)
    frozen.shift(timedelta(days=2, seconds=1))
    with pytest.raises(sharing.ShareRefused) as exc:
        sharing.share_resolve(sharing.share_token(s), **WHO)
    assert exc.value.status == 410 and exc.value.reason == "expired"
    assert ShareAccess.objects.get(share=s).outcome == "expired"


def test_revoked_link_refused_and_logged(doctor, patient, docs):
    s = share(doctor, patient, [docs["lab"]])
    token = sharing.share_token(s)
    sharing.share_revoke(actor=doctor, share=s)
    with pytest.raises(sharing.ShareRefused) as exc:
        sharing.share_resolve(token, **WHO)
    assert exc.value.status == 410 and "withdrawn" in exc.value.message
    assert ShareAccess.objects.get(share=s).outcome == "revoked"
    with pytest.raises(ApplicationError) as again:
        sharing.share_revoke(actor=doctor, share=s)
    assert again.value.status == 409


def test_tampered_token_refused_and_logged(doctor, patient, docs):
    s = share(doctor, patient, [docs["lab"]])
    token = sharing.share_token(s)
    with pytest.raises(sharing.ShareRefused) as exc:
        sharing.share_resolve(token[:-2] + ("AA" if not token.endswith("AA") else "BB"), **WHO)
    assert exc.value.status == 404
    assert ShareAccess.objects.get(share=None).outcome == "tampered"


def test_passcode_hashed_and_attempts_limited(doctor, patient, docs):
    s = share(doctor, patient, [docs["lab"]], passcode="tulip-4821")
    assert s.passcode_hash and "tulip" not in s.passcode_hash
    assert sharing.share_check_passcode(s, "tulip-4821", **WHO)
    for n in range(1, sharing.MAX_ATTEMPTS):
        assert sharing.share_check_passcode(s, "guess", **WHO) is False
        assert s.failed_attempts == n
    with pytest.raises(sharing.ShareRefused) as exc:
        sharing.share_check_passcode(s, "guess", **WHO)
    assert exc.value.reason == "locked"
    with pytest.raises(sharing.ShareRefused):  # even the right passcode no longer opens it
        sharing.share_resolve(sharing.share_token(s), **WHO)
    assert ShareAccess.objects.filter(share=s, outcome="passcode_wrong").count() == sharing.MAX_ATTEMPTS - 1


def test_what_may_be_shared(doctor, patient, docs, users):
    docs["psych"].is_psychotherapy_note = True
    docs["psych"].save()
    with pytest.raises(ApplicationError) as exc:
        share(doctor, patient, [docs["psych"]])
    assert exc.value.errors[0].field == "documents" and "psychotherapy" in exc.value.detail
    desk = Actor(user=users["front_desk"])
    with pytest.raises(ApplicationError) as exc:
        share(desk, patient, [docs["lab"]])
    assert "only a clinician" in exc.value.detail
    assert share(desk, patient, [docs["card"]]).pk  # administrative documents: front desk may share
    with pytest.raises(ApplicationError) as exc:
        share(doctor, patient, [], recipient_name="", purpose="", expires_in_days=365, passcode="123")
    assert {e.field for e in exc.value.errors} == {"documents", "recipient_name", "purpose", "expires_in_days", "passcode"}
    assert DocumentShare.objects.count() == 1


def test_referral_letter_pdf_attached_to_share(doctor, patient, docs, users):
    letter = sharing.referral_letter_create(actor=doctor, patient=patient, recipient_name="Dr. Ada Park",
                                            reason="Palpitations with exertion", body="Please evaluate.",
                                            disciplines=["md"])
    assert letter.doc_type == "letter" and letter.content_type == "application/pdf"
    assert files.read_bytes(letter).startswith(b"%PDF")
    s = share(doctor, patient, [letter, docs["lab"]])
    assert set(s.documents.all()) == {letter, docs["lab"]}
    with pytest.raises(ApplicationError):
        sharing.referral_letter_create(actor=Actor(user=users["front_desk"]), patient=patient, recipient_name="x",
                                       reason="y")
