"""The portal's bridge to document storage (plexus/records document filing): upload a file for
the packet's patient, and list what was uploaded. Kept apart so the portal does not depend on the
filing module's internals."""

from __future__ import annotations

import importlib
from datetime import datetime

from plexus.core.audit import Actor
from plexus.core.errors import ApplicationError, ErrorCode, FieldError, validation_error
from plexus.records.models import IntakePacket

PORTAL_TYPES = {"insurance_card_front", "insurance_card_back", "photo_id", "prior_records"}


def _module():
    for name in ("plexus.records.files", "plexus.records.filing", "plexus.records.document_store"):
        try:
            mod = importlib.import_module(name)
        except ModuleNotFoundError:
            continue
        if hasattr(mod, "document_store"):
            return mod
    return None


def available() -> bool:
    return _module() is not None


def store_from_portal(*, packet: IntakePacket, upload, doc_type: str, now: datetime):
    """Store a patient's upload. 422 naming ``doc_type`` or ``file``; nothing stored on refusal."""
    mod = _module()
    if mod is None:
        raise ApplicationError(ErrorCode.CONFLICT, "Uploads are not available yet; bring the documents to your visit.")
    if doc_type not in PORTAL_TYPES:
        raise validation_error([FieldError("doc_type", "Choose what you are uploading.")])
    if upload is None:
        raise validation_error([FieldError("file", "Choose a file to upload.")])
    return mod.document_store(actor=Actor(user=None, via="portal"), patient=packet.patient, uploaded_file=upload,
                              doc_type=doc_type, source="patient portal", now=now)


def uploaded(patient) -> list:
    """The patient's portal uploads (type and date only)."""
    mod = _module()
    model = getattr(importlib.import_module("plexus.records.models"), "Document", None)
    if mod is None or model is None:
        return []
    return list(model.objects.filter(patient=patient, doc_type__in=PORTAL_TYPES).order_by("-pk")[:20])
