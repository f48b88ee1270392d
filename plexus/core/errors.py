"""Application errors. Services raise ApplicationError; the API renders an RFC 9457 problem
document and the UI shows the message next to the named field."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum


class ErrorCode(StrEnum):
    VALIDATION = "validation"
    NOT_FOUND = "not-found"
    FORBIDDEN = "forbidden"
    CONFLICT = "conflict"
    UNAUTHENTICATED = "unauthenticated"


STATUS = {
    ErrorCode.VALIDATION: 422,
    ErrorCode.NOT_FOUND: 404,
    ErrorCode.FORBIDDEN: 403,
    ErrorCode.CONFLICT: 409,
    ErrorCode.UNAUTHENTICATED: 401,
}
TITLE = {
    ErrorCode.VALIDATION: "Invalid input",
    ErrorCode.NOT_FOUND: "Not found",
    ErrorCode.FORBIDDEN: "Not allowed for your role",
    ErrorCode.CONFLICT: "Conflict",
    ErrorCode.UNAUTHENTICATED: "Authentication required",
}


@dataclass(frozen=True, slots=True)
class FieldError:
    """One problem with one field; row is the 1-based data row for file imports."""

    field: str
    message: str
    row: int | None = None

    def as_dict(self) -> dict:
        out: dict = {"field": self.field, "message": self.message}
        if self.row is not None:
            out["row"] = self.row
        return out


@dataclass
class ApplicationError(Exception):
    code: ErrorCode
    detail: str
    errors: list[FieldError] = field(default_factory=list)

    def __post_init__(self) -> None:
        super().__init__(self.detail)

    @property
    def status(self) -> int:
        return STATUS[self.code]

    def problem(self, instance: str = "") -> dict:
        """Return the RFC 9457 problem document for this error."""
        doc: dict = {
            "type": f"https://plexus.invalid/problems/{self.code.value}",
            "title": TITLE[self.code],
            "status": self.status,
            "detail": self.detail,
        }
        if instance:
            doc["instance"] = instance
        if self.errors:
            doc["errors"] = [e.as_dict() for e in self.errors]
        return doc


def validation_error(errors: list[FieldError], detail: str | None = None) -> ApplicationError:
    """Build a 422 error; the detail names the first field when none is given."""
    if detail is None:
        first = errors[0]
        where = f"row {first.row}, " if first.row is not None else ""
        detail = f"{where}{first.field}: {first.message}"
        if len(errors) > 1:
            detail += f" (and {len(errors) - 1} more)"
    return ApplicationError(ErrorCode.VALIDATION, detail, errors)


def from_django_validation(exc, row: int | None = None) -> list[FieldError]:
    """Flatten a django ValidationError into FieldErrors."""
    if hasattr(exc, "error_dict"):
        return [
            FieldError(name if name != "__all__" else "non_field", msg, row)
            for name, msgs in exc.message_dict.items()
            for msg in msgs
        ]
    return [FieldError("non_field", msg, row) for msg in exc.messages]
