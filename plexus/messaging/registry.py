"""Hooks that higher layers register so messaging can act on what it does not own (messaging sits
below scheduling and may not import it).

- Reply handlers (``plexus.messaging.replies.register_reply_handler``) act on a patient's C / X
  reply or link for a ``ref`` such as ``visit_block:42``.
- Composers (``register_composer(prefix, composer)``) preview and send messages for a ref on
  demand, e.g. the "Send now" button of a visit block.

Register in ``AppConfig.ready()``; registering the same object twice is harmless.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Protocol

from plexus.core.errors import ApplicationError, ErrorCode


@dataclass(frozen=True, slots=True)
class ReplyOutcome:
    """What a handler did: ``ok`` and a short sentence for the log and the patient's page."""

    ok: bool
    result: str


ReplyHandler = Callable[..., "ReplyOutcome | None"]
_reply_handlers: list[ReplyHandler] = []


def register_reply_handler(fn: ReplyHandler) -> ReplyHandler:
    """Register ``fn(*, action, ref, patient_id, now, channel) -> ReplyOutcome | None`` (None: not mine)."""
    if fn not in _reply_handlers:
        _reply_handlers.append(fn)
    return fn


def dispatch_reply(*, action: str, ref: str, patient_id: int, now: datetime, channel: str) -> ReplyOutcome:
    """Ask each handler in turn; the first answer wins. Nothing registered: a clear refusal."""
    for fn in _reply_handlers:
        outcome = fn(action=action, ref=ref, patient_id=patient_id, now=now, channel=channel)
        if outcome is not None:
            return outcome
    return ReplyOutcome(False, f"Nothing can act on {ref or 'this reply'}; nothing changed.")


@dataclass(frozen=True, slots=True)
class Draft:
    """A message as it would be sent now, or why it cannot be (``problem``)."""

    channel: str
    kind: str
    language: str
    to: str
    subject: str
    body: str
    label: str = ""
    problem: str = ""
    extra: dict[str, Any] = field(default_factory=dict)


class Composer(Protocol):
    def preview(self, ref: str, *, now: datetime) -> list[Draft]: ...

    def send_now(self, ref: str, *, actor: Any, now: datetime) -> list[int]: ...

    def patient_id(self, ref: str) -> int: ...


_composers: dict[str, Composer] = {}


def register_composer(prefix: str, composer: Composer) -> None:
    _composers[prefix] = composer


def get_composer(ref: str) -> Composer:
    """Return the composer for ``prefix:id`` refs; 404 for an unknown prefix."""
    prefix = ref.split(":", 1)[0]
    if prefix not in _composers:
        raise ApplicationError(ErrorCode.NOT_FOUND, f"Nothing composes messages for {ref!r}.")
    return _composers[prefix]


# --- Preparation notes: what a patient should do before a visit, from apps above this one -------

PreparationProvider = Callable[[int, str], list[str]]
_preparation: list[PreparationProvider] = []


def register_preparation(fn: PreparationProvider) -> PreparationProvider:
    """Register fn(patient_id, language) -> lines added to a visit reminder's preparation list
    (email body only), e.g. the intake-forms link of the records app. Idempotent."""
    if fn not in _preparation:
        _preparation.append(fn)
    return fn


def preparation_lines(patient_id: int, language: str) -> list[str]:
    out: list[str] = []
    for fn in _preparation:
        out.extend(fn(patient_id, language))
    return out
