"""Writing the audit log. Every read and write of patient data calls record(); nothing else
creates AuditEvent rows and nothing may change them."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.utils import timezone

from plexus.core.models import AuditAction, AuditEvent

# Field values are never written to the log; these names are also left out of change lists'
# values everywhere (only the field name is recorded).
SENSITIVE_FIELDS = frozenset({"ssn", "date_of_birth", "member_id", "password", "key_hash"})


@dataclass(frozen=True, slots=True)
class Actor:
    """Who is acting: a staff user (or None for the system), their client IP, and the channel."""

    user: Any
    ip: str | None = None
    via: str = "ui"  # ui | api | cli | worker

    @classmethod
    def from_request(cls, request, via: str = "ui") -> Actor:
        return cls(user=request.user, ip=client_ip(request), via=via)

    @classmethod
    def system(cls, via: str = "cli") -> Actor:
        return cls(user=None, ip=None, via=via)


def client_ip(request) -> str | None:
    """Return REMOTE_ADDR (a proxy must set it correctly; we do not trust X-Forwarded-For)."""
    return request.META.get("REMOTE_ADDR") or None


def record(
    actor: Actor,
    action: AuditAction,
    object_type: str,
    object_id: Any = "",
    *,
    patient_id: int | None = None,
    changed_fields: list[str] | None = None,
    detail: str = "",
) -> AuditEvent:
    """Append one audit entry. changed_fields holds field names only, never values."""
    user = actor.user if actor.user is not None and getattr(actor.user, "is_authenticated", False) else None
    return AuditEvent.objects.create(
        at=timezone.now(),
        user_id_snapshot=user.pk if user else None,
        username=user.username if user else f"system:{actor.via}",
        role=getattr(user, "role", "") if user else "system",
        action=action,
        object_type=object_type,
        object_id=str(object_id or ""),
        patient_id=patient_id,
        changed_fields=sorted(changed_fields or []),
        detail=detail[:300],
        ip=actor.ip,
        via=actor.via,
    )
