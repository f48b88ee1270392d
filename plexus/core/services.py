"""Writes for practice setup, staff users and API tokens. Each service validates everything
(full_clean plus cross-field rules) before saving and raises ApplicationError naming the field."""

from __future__ import annotations

import hashlib
import secrets
from typing import Any

from django.core.exceptions import ValidationError
from django.db import models, transaction
from django.utils import timezone

from plexus.core.audit import Actor, record
from plexus.core.errors import (
    ApplicationError,
    ErrorCode,
    FieldError,
    from_django_validation,
    validation_error,
)
from plexus.core.models import (
    ApiToken,
    AuditAction,
    Discipline,
    Location,
    Payer,
    Practice,
    Practitioner,
    Role,
    Room,
    Service,
    User,
)
from plexus.core.validators import normalize_phone

TOKEN_PREFIX = "plx_"


def _clean_and_save(obj: models.Model, exclude: list[str] | None = None) -> None:
    try:
        obj.full_clean(exclude=exclude)
    except ValidationError as exc:
        raise validation_error(from_django_validation(exc)) from exc
    obj.save()


def _normalize_phone_field(obj: models.Model, name: str) -> None:
    raw = getattr(obj, name, "")
    try:
        setattr(obj, name, normalize_phone(raw))
    except ValidationError as exc:
        raise validation_error([FieldError(name, exc.messages[0])]) from exc


def _assign(obj: models.Model, data: dict[str, Any]) -> list[str]:
    changed = []
    for key, value in data.items():
        if getattr(obj, key) != value:
            setattr(obj, key, value)
            changed.append(key)
    return changed


@transaction.atomic
def practice_save(*, actor: Actor, data: dict[str, Any]) -> Practice:
    """Create the practice, or update it if one exists (one practice per installation)."""
    practice = Practice.objects.first() or Practice()
    changed = _assign(practice, data)
    _normalize_phone_field(practice, "phone")
    _clean_and_save(practice)
    record(actor, AuditAction.UPDATE, "practice", practice.pk, changed_fields=changed)
    return practice


@transaction.atomic
def location_create(*, actor: Actor, data: dict[str, Any]) -> Location:
    practice = Practice.objects.first()
    if practice is None:
        raise validation_error([FieldError("practice", "Set up the practice before adding locations.")])
    location = Location(practice=practice, **data)
    if location.phone:
        _normalize_phone_field(location, "phone")
    _clean_and_save(location)
    record(actor, AuditAction.CREATE, "location", location.pk)
    return location


@transaction.atomic
def room_create(*, actor: Actor, data: dict[str, Any]) -> Room:
    room = Room(**data)
    _clean_and_save(room)
    record(actor, AuditAction.CREATE, "room", room.pk)
    return room


@transaction.atomic
def discipline_create(*, actor: Actor, data: dict[str, Any]) -> Discipline:
    discipline = Discipline(**data)
    _clean_and_save(discipline)
    record(actor, AuditAction.CREATE, "discipline", discipline.pk)
    return discipline


@transaction.atomic
def payer_create(*, actor: Actor, data: dict[str, Any]) -> Payer:
    payer = Payer(**data)
    if payer.phone:
        _normalize_phone_field(payer, "phone")
    _clean_and_save(payer)
    record(actor, AuditAction.CREATE, "payer", payer.pk)
    return payer


def _check_supervisor(practitioner: Practitioner) -> None:
    sup = practitioner.supervising_physician
    if sup is not None:
        if sup.pk == practitioner.pk:
            raise validation_error([FieldError("supervising_physician", "A practitioner cannot supervise themself.")])
        if not sup.discipline.can_supervise:
            raise validation_error(
                [
                    FieldError(
                        "supervising_physician",
                        f"{sup} is a {sup.discipline.name}; a supervisor must be a physician, NP or PA.",
                    )
                ]
            )
    elif practitioner.discipline.requires_supervisor:
        raise validation_error(
            [
                FieldError(
                    "supervising_physician",
                    f"A {practitioner.discipline.name} needs a supervising physician on file.",
                )
            ]
        )


@transaction.atomic
def practitioner_create(
    *,
    actor: Actor,
    data: dict[str, Any],
    locations: list[Location],
    payers: list[Payer] | None = None,
) -> Practitioner:
    """Create a practitioner. Preconditions: at least one location. The NPI must pass the check
    digit rule; a discipline that requires supervision needs a supervisor who can supervise."""
    practitioner = Practitioner(**data)
    errors: list[FieldError] = []
    try:
        practitioner.full_clean()
    except ValidationError as exc:
        errors.extend(from_django_validation(exc))
    if not locations:
        errors.append(FieldError("locations", "Choose at least one location."))
    if errors:
        raise validation_error(errors)
    _check_supervisor(practitioner)
    practitioner.save()
    practitioner.locations.set(locations)
    practitioner.payers.set(payers or [])
    record(actor, AuditAction.CREATE, "practitioner", practitioner.pk)
    return practitioner


@transaction.atomic
def service_create(*, actor: Actor, data: dict[str, Any], disciplines: list[Discipline]) -> Service:
    """Create a catalog service. Preconditions: at least one discipline may perform it."""
    service = Service(**data)
    errors: list[FieldError] = []
    try:
        service.full_clean()
    except ValidationError as exc:
        errors.extend(from_django_validation(exc))
    if not disciplines:
        errors.append(FieldError("disciplines", "Choose at least one discipline that may perform this service."))
    if errors:
        raise validation_error(errors)
    service.save()
    service.disciplines.set(disciplines)
    record(actor, AuditAction.CREATE, "service", service.pk)
    return service


@transaction.atomic
def user_create(
    *, actor: Actor, username: str, role: str, password: str, first_name: str = "", last_name: str = "",
    email: str = "",
) -> User:
    """Create a staff user with one role. Raises ApplicationError on an unknown role or taken username."""
    if role not in Role.values:
        raise validation_error([FieldError("role", f"'{role}' is not a role ({', '.join(Role.values)}).")])
    if User.objects.filter(username__iexact=username).exists():
        raise validation_error([FieldError("username", f"'{username}' is already taken.")])
    user = User(username=username, role=role, first_name=first_name, last_name=last_name, email=email)
    user.set_password(password)
    _clean_and_save(user, exclude=["password"])
    record(actor, AuditAction.PERMISSION, "user", user.pk, changed_fields=["role"], detail=f"role={role}")
    return user


def _hash_token(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


@transaction.atomic
def api_token_create(*, actor: Actor, user: User, name: str) -> tuple[ApiToken, str]:
    """Create a token for user and return it with its secret. The secret is shown once and
    only its SHA-256 hash is stored."""
    if not name.strip():
        raise validation_error([FieldError("name", "Give the token a name (what integration uses it).")])
    secret = TOKEN_PREFIX + secrets.token_urlsafe(32)
    token = ApiToken.objects.create(
        user=user, name=name.strip(), prefix=secret[:10], key_hash=_hash_token(secret), created_by=actor.user
    )
    record(actor, AuditAction.PERMISSION, "api_token", token.pk, detail=f"created for {user.username}")
    return token, secret


@transaction.atomic
def api_token_revoke(*, actor: Actor, token_id: int) -> ApiToken:
    token = ApiToken.objects.select_for_update().filter(pk=token_id).first()
    if token is None:
        raise ApplicationError(ErrorCode.NOT_FOUND, f"No API token {token_id}.")
    if token.revoked_at is None:
        token.revoked_at = timezone.now()
        token.save(update_fields=["revoked_at"])
        record(actor, AuditAction.PERMISSION, "api_token", token.pk, detail="revoked")
    return token


def api_token_authenticate(secret: str) -> User | None:
    """Return the active user for a live token secret, or None. Marks the token as used."""
    if not secret.startswith(TOKEN_PREFIX):
        return None
    token = ApiToken.objects.select_related("user").filter(key_hash=_hash_token(secret), revoked_at=None).first()
    if token is None or not token.user.is_active:
        return None
    ApiToken.objects.filter(pk=token.pk).update(last_used_at=timezone.now())
    return token.user
