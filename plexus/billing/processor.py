"""Card payment processors behind one small interface (the patient's pay-by-link page).

- Stripe-compatible REST: set ``PLEXUS_PAYMENTS_URL`` (e.g. ``https://api.stripe.com``) and
  ``PLEXUS_PAYMENTS_SECRET_KEY`` (``PLEXUS_PAYMENTS_TIMEOUT`` in seconds, default 20). Charges are
  confirmed PaymentIntents (``POST /v1/payment_intents``), refunds ``POST /v1/refunds``; every call
  carries an ``Idempotency-Key`` so a retry after a timeout never charges twice.
- Recorded externally (the default): the clinic takes cards on its own terminal; a "charge" only
  records that the money was taken there. No network.

Amounts are ``Decimal`` dollars with at most two decimals, sent as integer cents. Only two-decimal
currencies are supported. A card decline is a normal result (``ok=False``); anything else that goes
wrong raises ``ProcessorError``, whose message never contains the secret key.
"""

from __future__ import annotations

import json
import os
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Any, Protocol

CENT = Decimal("0.01")
# ISO 4217 currencies whose minor unit is not 1/100: cents arithmetic would be wrong for them.
_NOT_TWO_DECIMAL = frozenset({
    "bif", "clp", "djf", "gnf", "isk", "jpy", "kmf", "krw", "mga", "pyg", "rwf", "ugx", "vnd", "vuv", "xaf",
    "xof", "xpf", "bhd", "iqd", "jod", "kwd", "lyd", "omr", "tnd",
})
MAX_IDEMPOTENCY_KEY = 255
MAX_METADATA_KEYS, MAX_METADATA_KEY, MAX_METADATA_VALUE = 50, 40, 500


class ProcessorError(Exception):
    """The processor could not be reached or answered something other than a success or a decline.

    After a timeout the charge may or may not have happened: retry with the same idempotency key."""


@dataclass(frozen=True)
class ChargeResult:
    """Outcome of a charge or refund. ``amount`` is in dollars; ``error`` is set when ``ok`` is False."""

    ok: bool
    processor_id: str
    amount: Decimal
    status: str
    error: str = ""


class PaymentProcessor(Protocol):
    name: str  # "stripe" or "external": stored with the payment

    def charge(self, *, amount: Decimal, currency: str, token: str, description: str, idempotency_key: str,
               metadata: dict[str, str]) -> ChargeResult:
        """Take ``amount`` (> 0, at most 2 decimals) from the card ``token``. A decline returns ok=False."""
        ...

    def refund(self, *, processor_id: str, amount: Decimal, idempotency_key: str) -> ChargeResult:
        """Refund ``amount`` of the charge ``processor_id`` returned. Raise ProcessorError on failure."""
        ...


def to_cents(amount: Decimal) -> int:
    """Convert dollars to integer cents exactly. ValueError unless ``amount`` is a finite Decimal (or int)
    greater than zero with at most two decimals."""
    if isinstance(amount, bool) or not isinstance(amount, Decimal | int):
        raise ValueError(f"amount must be a Decimal, not {type(amount).__name__}")
    value = Decimal(amount)
    if not value.is_finite():
        raise ValueError(f"amount must be a finite number, not {value}")
    if value <= 0:
        raise ValueError(f"amount must be greater than zero, not {value}")
    try:
        exact = value.quantize(CENT)
    except InvalidOperation as exc:  # more digits than the context precision
        raise ValueError(f"amount is too large: {value}") from exc
    if exact != value:
        raise ValueError(f"amount must have at most 2 decimals, not {value}")
    return int(exact * 100)


def from_cents(cents: int) -> Decimal:
    return (Decimal(cents) / 100).quantize(CENT)


def _check_key(idempotency_key: str) -> None:
    if not isinstance(idempotency_key, str) or not idempotency_key.strip():
        raise ValueError("idempotency_key is required")
    if len(idempotency_key) > MAX_IDEMPOTENCY_KEY:
        raise ValueError(f"idempotency_key must be at most {MAX_IDEMPOTENCY_KEY} characters")


def _check_currency(currency: str) -> str:
    code = (currency or "").strip().lower()
    if len(code) != 3 or not code.isascii() or not code.isalpha():
        raise ValueError(f"currency must be a 3-letter ISO 4217 code, not {currency!r}")
    if code in _NOT_TWO_DECIMAL:
        raise ValueError(f"currency {code.upper()} does not have 2 decimals; only cent-based currencies are supported")
    return code


def _check_metadata(metadata: dict[str, str]) -> None:
    if len(metadata) > MAX_METADATA_KEYS:
        raise ValueError(f"metadata may have at most {MAX_METADATA_KEYS} keys")
    for key, value in metadata.items():
        if not isinstance(key, str) or not key or len(key) > MAX_METADATA_KEY or "[" in key or "]" in key:
            raise ValueError(f"metadata key {key!r} must be 1-{MAX_METADATA_KEY} characters without brackets")
        if not isinstance(value, str) or len(value) > MAX_METADATA_VALUE:
            raise ValueError(f"metadata value for {key!r} must be a string of at most {MAX_METADATA_VALUE} characters")


@dataclass
class RecordedExternally:
    """The card was run on the clinic's own terminal: record it, touch no network."""

    name: str = "external"

    def charge(self, *, amount: Decimal, currency: str, token: str, description: str, idempotency_key: str,
               metadata: dict[str, str]) -> ChargeResult:
        """Precondition: the money was taken on the terminal. Returns ``external:<idempotency_key>``."""
        cents = to_cents(amount)
        _check_currency(currency)
        _check_key(idempotency_key)
        return ChargeResult(ok=True, processor_id=f"external:{idempotency_key}", amount=from_cents(cents),
                            status="recorded")

    def refund(self, *, processor_id: str, amount: Decimal, idempotency_key: str) -> ChargeResult:
        """Precondition: the refund was given on the terminal. Returns ``external:<idempotency_key>``."""
        cents = to_cents(amount)
        _check_key(idempotency_key)
        if not processor_id:
            raise ValueError("processor_id is required")
        return ChargeResult(ok=True, processor_id=f"external:{idempotency_key}", amount=from_cents(cents),
                            status="recorded")


@dataclass
class StripeCompatible:
    """The Stripe REST API (PaymentIntents and Refunds), form-encoded over urllib with a Bearer secret key.

    Also spoken by stripe-mock and other test doubles. ``secret_key`` is kept out of ``repr`` and errors."""

    base_url: str
    secret_key: str = field(repr=False)
    timeout: float = 20.0
    name: str = "stripe"

    def charge(self, *, amount: Decimal, currency: str, token: str, description: str, idempotency_key: str,
               metadata: dict[str, str]) -> ChargeResult:
        """Create and confirm a PaymentIntent for ``token`` (a PaymentMethod id from the card form).

        ok=True only when the intent ``succeeded``; a decline (HTTP 402) or an intent needing more
        (e.g. ``requires_action``, ``processing``) is ok=False with ``status`` telling which."""
        cents = to_cents(amount)
        code = _check_currency(currency)
        _check_key(idempotency_key)
        _check_metadata(metadata)
        if not token or not token.strip():
            raise ValueError("token is required")
        form = [("amount", str(cents)), ("currency", code), ("payment_method", token), ("confirm", "true"),
                ("description", description)]
        form += [(f"metadata[{key}]", value) for key, value in sorted(metadata.items())]
        status, payload = self._post("/v1/payment_intents", form, idempotency_key)
        dollars = from_cents(cents)
        if status == 402:
            return self._declined(payload, dollars)
        intent_id, state = self._id_and_status(payload, "payment intent")
        if state == "succeeded":
            return ChargeResult(ok=True, processor_id=intent_id, amount=dollars, status=state)
        return ChargeResult(ok=False, processor_id=intent_id, amount=dollars, status=state,
                            error=f"payment not completed (status {state})")

    def refund(self, *, processor_id: str, amount: Decimal, idempotency_key: str) -> ChargeResult:
        """Refund ``amount`` of the PaymentIntent ``processor_id``. ok=True when the refund ``succeeded``
        or is ``pending`` (accepted, settling); a 402 is ok=False; other failures raise ProcessorError."""
        cents = to_cents(amount)
        _check_key(idempotency_key)
        if not processor_id or not processor_id.strip():
            raise ValueError("processor_id is required")
        if processor_id.startswith("external:"):
            raise ValueError("processor_id is a payment recorded externally: refund it on the card terminal")
        status, payload = self._post("/v1/refunds", [("payment_intent", processor_id), ("amount", str(cents))],
                                     idempotency_key)
        dollars = from_cents(cents)
        if status == 402:
            return self._declined(payload, dollars)
        refund_id, state = self._id_and_status(payload, "refund")
        ok = state in ("succeeded", "pending")
        return ChargeResult(ok=ok, processor_id=refund_id, amount=dollars, status=state,
                            error="" if ok else f"refund not completed (status {state})")

    # --- transport ------------------------------------------------------------------------------

    def _post(self, path: str, form: list[tuple[str, str]], idempotency_key: str) -> tuple[int, dict[str, Any]]:
        """POST the form; return (HTTP status, JSON object) for 2xx and 402, raise ProcessorError otherwise."""
        if not self.base_url.startswith(("http://", "https://")):
            raise ProcessorError(f"PLEXUS_PAYMENTS_URL must be http(s), not {self._scrub(self.base_url)!r}")
        if not self.secret_key:
            raise ProcessorError("PLEXUS_PAYMENTS_SECRET_KEY is not set")
        req = urllib.request.Request(  # noqa: S310 - scheme checked above
            self.base_url.rstrip("/") + path, data=urllib.parse.urlencode(form).encode(), method="POST",
            headers={"Authorization": f"Bearer {self.secret_key}", "Idempotency-Key": idempotency_key,
                     "Content-Type": "application/x-www-form-urlencoded", "Accept": "application/json"},
        )
        try:
            with urllib.request.urlopen(req, timeout=self.timeout) as resp:  # noqa: S310
                status, body = resp.status, resp.read()
        except urllib.error.HTTPError as exc:
            status, body = exc.code, self._read_error_body(exc)
            if status != 402:
                message = self._error_message(body)
                raise ProcessorError(self._scrub(f"payment processor answered HTTP {status}"
                                                 + (f": {message}" if message else ""))) from exc
        except TimeoutError as exc:
            raise ProcessorError(self._timed_out()) from exc
        except urllib.error.URLError as exc:
            if isinstance(exc.reason, TimeoutError):
                raise ProcessorError(self._timed_out()) from exc
            raise ProcessorError(self._scrub(f"payment processor unreachable: {exc.reason}")) from exc
        except OSError as exc:
            raise ProcessorError(self._scrub(f"payment processor unreachable: {exc}")) from exc
        try:
            payload = json.loads(body)
        except ValueError as exc:  # includes UnicodeDecodeError
            raise ProcessorError(f"payment processor answered HTTP {status} with invalid JSON") from exc
        if not isinstance(payload, dict):
            raise ProcessorError(f"payment processor answered HTTP {status} with JSON that is not an object")
        return status, payload

    @staticmethod
    def _read_error_body(exc: urllib.error.HTTPError) -> bytes:
        try:
            return exc.read() or b""
        except OSError:
            return b""
        finally:
            exc.close()

    @staticmethod
    def _error_message(body: bytes) -> str:
        try:
            payload = json.loads(body or b"{}")
        except ValueError:
            return ""
        error = payload.get("error") if isinstance(payload, dict) else None
        return str(error.get("message") or "") if isinstance(error, dict) else ""

    def _declined(self, payload: dict[str, Any], dollars: Decimal) -> ChargeResult:
        error = payload.get("error")
        if not isinstance(error, dict) or not error.get("message"):
            raise ProcessorError("payment processor answered HTTP 402 without an error message")
        intent = error.get("payment_intent")
        intent_id = str(intent.get("id") or "") if isinstance(intent, dict) else ""
        return ChargeResult(ok=False, processor_id=intent_id, amount=dollars, status="declined",
                            error=self._scrub(str(error["message"])))

    @staticmethod
    def _id_and_status(payload: dict[str, Any], what: str) -> tuple[str, str]:
        obj_id, state = payload.get("id"), payload.get("status")
        if not isinstance(obj_id, str) or not obj_id or not isinstance(state, str) or not state:
            raise ProcessorError(f"payment processor answered without a {what} id and status")
        return obj_id, state

    def _timed_out(self) -> str:
        return (f"payment processor did not answer within {self.timeout:g} s; the payment may have gone "
                "through: retry with the same idempotency key")

    def _scrub(self, text: str) -> str:
        return text.replace(self.secret_key, "[secret]") if self.secret_key else text


def get_processor() -> PaymentProcessor:
    """Return StripeCompatible when PLEXUS_PAYMENTS_URL and PLEXUS_PAYMENTS_SECRET_KEY are both set, else
    RecordedExternally. ValueError when PLEXUS_PAYMENTS_TIMEOUT is not a positive number."""
    url = os.environ.get("PLEXUS_PAYMENTS_URL", "").strip()
    secret = os.environ.get("PLEXUS_PAYMENTS_SECRET_KEY", "").strip()
    if not (url and secret):
        return RecordedExternally()
    raw = os.environ.get("PLEXUS_PAYMENTS_TIMEOUT", "").strip() or "20"
    try:
        timeout = float(raw)
    except ValueError:
        timeout = 0.0
    if not timeout > 0 or timeout == float("inf"):
        raise ValueError(f"PLEXUS_PAYMENTS_TIMEOUT must be a positive number of seconds, not {raw!r}")
    return StripeCompatible(base_url=url, secret_key=secret, timeout=timeout)
