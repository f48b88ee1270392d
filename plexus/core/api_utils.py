"""Helpers shared by the app routers: the actor for a request, permission checks, pagination."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any, TypeVar

from django.db.models import QuerySet
from django.http import HttpRequest
from ninja import Schema

from plexus.core.audit import Actor, record
from plexus.core.errors import ApplicationError, ErrorCode
from plexus.core.models import AuditAction
from plexus.core.permissions import Perm, user_has

T = TypeVar("T")
MAX_LIMIT = 200


class Page(Schema):
    count: int
    limit: int
    offset: int
    items: list[Any]


def actor(request: HttpRequest) -> Actor:
    return Actor.from_request(request, via="api")


def require_perm(request: HttpRequest, perm: Perm) -> Actor:
    """Return the request's actor, or raise 403 (audited) when the role lacks perm."""
    act = actor(request)
    if not user_has(act.user, perm):
        record(act, AuditAction.DENIED, perm.value, detail=request.path[:300])
        raise ApplicationError(ErrorCode.FORBIDDEN, f"Your role may not use {perm.value}.")
    return act


def paginate(
    items: QuerySet | Sequence, limit: int, offset: int, to_dict: Callable[[Any], dict] | None = None
) -> dict:
    """Slice a queryset or list: limit is clamped to 1..200, offset to >= 0."""
    limit = max(1, min(limit, MAX_LIMIT))
    offset = max(0, offset)
    count = items.count() if isinstance(items, QuerySet) else len(items)
    page = list(items[offset : offset + limit])
    return {"count": count, "limit": limit, "offset": offset, "items": [to_dict(i) for i in page] if to_dict else page}
