"""Turning engine problems into the project's ApplicationError (RFC 9457 in the API)."""

from __future__ import annotations

from plexus.core.errors import ApplicationError, FieldError, validation_error
from plexus.engines.forms import AnswerError


def answer_error(errors: list[AnswerError], detail: str | None = None) -> ApplicationError:
    """A 422 naming each item (answers.<linkId>) and its problem."""
    return validation_error([FieldError(f"answers.{e.path}", f"{e.message} ({e.code})") for e in errors], detail)


def problems_error(problems: list[tuple[str, str]], detail: str | None = None) -> ApplicationError:
    return validation_error([FieldError(path, message) for path, message in problems], detail)
