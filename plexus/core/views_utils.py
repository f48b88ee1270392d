"""Small helpers for staff views: permission gate, actor, mapping service errors onto forms."""

from __future__ import annotations

from functools import wraps

from django.contrib.auth.views import redirect_to_login
from django.shortcuts import render

from plexus.core.audit import Actor, record
from plexus.core.errors import ApplicationError
from plexus.core.models import AuditAction
from plexus.core.permissions import Perm, user_has


def staff_view(perm: Perm):
    """Require login and perm. Deny by default: a 403 page (audited) for any other role."""

    def decorate(view):
        @wraps(view)
        def wrapper(request, *args, **kwargs):
            if not request.user.is_authenticated:
                return redirect_to_login(request.get_full_path())
            if not user_has(request.user, perm):
                record(Actor.from_request(request), AuditAction.DENIED, perm.value, detail=request.path[:300])
                return render(request, "403.html", {"perm": perm.value}, status=403)
            return view(request, *args, **kwargs)

        return wrapper

    return decorate


def ui_actor(request) -> Actor:
    return Actor.from_request(request, via="ui")


def apply_errors(form, exc: ApplicationError) -> None:
    """Attach an ApplicationError's field errors to the form (unknown fields go to non-field errors)."""
    if not exc.errors:
        form.add_error(None, exc.detail)
    for err in exc.errors:
        name = err.field.removesuffix("_id")
        target = name if name in form.fields else (err.field if err.field in form.fields else None)
        form.add_error(target, err.message if target else f"{err.field}: {err.message}")
