"""Payment processors: the Stripe-compatible adapter against a real local server that records every
request, the externally-recorded default, env switching and money validation. No database."""

from __future__ import annotations

import json
import threading
from decimal import Decimal
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs

import pytest

from plexus.billing.processor import (
    ChargeResult,
    ProcessorError,
    RecordedExternally,
    StripeCompatible,
    get_processor,
    to_cents,
)

SECRET = "sk_test_51SuperSecretKey"
PAYMENTS_ENV = ("PLEXUS_PAYMENTS_URL", "PLEXUS_PAYMENTS_SECRET_KEY", "PLEXUS_PAYMENTS_TIMEOUT")
HANG = "hang"  # an answer that never comes (until the test ends): for timeouts


class _Stripe(BaseHTTPRequestHandler):
    def do_POST(self):
        server = self.server
        length = int(self.headers.get("Content-Length", 0))
        raw = self.rfile.read(length).decode()
        form = {k: v[0] for k, v in parse_qs(raw, keep_blank_values=True).items()}
        server.requests.append({"path": self.path, "headers": dict(self.headers), "form": form, "raw": raw})
        status, body = server.answers.pop(0) if server.answers else (200, None)
        if status == HANG:
            server.release.wait(10)
            return
        if body is None:  # the default: whatever was asked for, succeeded
            n = len(server.requests)
            body = ({"id": f"re_{n:04d}", "object": "refund", "status": "succeeded"} if self.path == "/v1/refunds"
                    else {"id": f"pi_{n:04d}", "object": "payment_intent", "status": "succeeded",
                          "amount": int(form.get("amount", 0)), "currency": form.get("currency")})
        data = body if isinstance(body, bytes) else json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, *args):
        pass


@pytest.fixture(autouse=True)
def no_payments_env(monkeypatch):
    for name in PAYMENTS_ENV:
        monkeypatch.delenv(name, raising=False)


@pytest.fixture
def stripe_server():
    """A Stripe-compatible endpoint on 127.0.0.1; ``server.answers`` queues (status, json|bytes|None) replies."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Stripe)
    server.daemon_threads = True
    server.requests, server.answers, server.release = [], [], threading.Event()
    server.url = f"http://127.0.0.1:{server.server_port}"
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    yield server
    server.release.set()
    server.shutdown()
    server.server_close()


@pytest.fixture
def stripe(stripe_server):
    return StripeCompatible(base_url=stripe_server.url + "/", secret_key=SECRET, timeout=5)


def _charge(processor, **kw):
    args = {"amount": Decimal("85.50"), "currency": "USD", "token": "pm_card_visa",
            "description": "Invoice INV-2026-0042", "idempotency_key": "pay-42-1",
            "metadata": {"invoice": "INV-2026-0042", "patient": "17"}}
    return processor.charge(**(args | kw))


# --- Stripe-compatible: charges ---------------------------------------------------------------------

def test_charge_succeeds_and_sends_stripe_form(stripe, stripe_server):
    result = _charge(stripe)
    assert result == ChargeResult(ok=True, processor_id="pi_0001", amount=Decimal("85.50"), status="succeeded")
    ((req,),) = [stripe_server.requests]
    assert req["path"] == "/v1/payment_intents"
    assert req["form"] == {"amount": "8550", "currency": "usd", "payment_method": "pm_card_visa",
                           "confirm": "true", "description": "Invoice INV-2026-0042",
                           "metadata[invoice]": "INV-2026-0042", "metadata[patient]": "17"}
    headers = req["headers"]
    assert headers["Authorization"] == f"Bearer {SECRET}"
    assert headers["Idempotency-Key"] == "pay-42-1"
    assert headers["Content-Type"] == "application/x-www-form-urlencoded"


@pytest.mark.parametrize(("amount", "cents"), [(Decimal("0.01"), "1"), (Decimal("1"), "100"),
                                              (Decimal("19.9"), "1990"), (Decimal("1234567.89"), "123456789"),
                                              (Decimal("12.500"), "1250")])
def test_amount_is_sent_in_exact_cents(stripe, stripe_server, amount, cents):
    assert _charge(stripe, amount=amount).amount == amount
    assert stripe_server.requests[0]["form"]["amount"] == cents


def test_retry_sends_the_same_idempotency_key(stripe, stripe_server):
    _charge(stripe, idempotency_key="pay-7")
    _charge(stripe, idempotency_key="pay-7")
    assert [r["headers"]["Idempotency-Key"] for r in stripe_server.requests] == ["pay-7", "pay-7"]


def test_decline_is_a_result_not_an_error(stripe, stripe_server):
    stripe_server.answers.append((402, {"error": {
        "type": "card_error", "code": "card_declined", "decline_code": "insufficient_funds",
        "message": "Your card has insufficient funds.", "payment_intent": {"id": "pi_declined", "status":
                                                                           "requires_payment_method"}}}))
    result = _charge(stripe)
    assert result == ChargeResult(ok=False, processor_id="pi_declined", amount=Decimal("85.50"), status="declined",
                                  error="Your card has insufficient funds.")


def test_decline_without_intent_has_empty_id(stripe, stripe_server):
    stripe_server.answers.append((402, {"error": {"message": "Your card was declined.", "code": "card_declined"}}))
    result = _charge(stripe)
    assert (result.ok, result.processor_id, result.error) == (False, "", "Your card was declined.")


def test_intent_needing_more_is_not_ok(stripe, stripe_server):
    stripe_server.answers.append((200, {"id": "pi_3ds", "status": "requires_action"}))
    result = _charge(stripe)
    assert (result.ok, result.processor_id, result.status) == (False, "pi_3ds", "requires_action")
    assert "requires_action" in result.error


@pytest.mark.parametrize(("answer", "message"), [
    ((500, {"error": {"message": "Something went wrong on our end."}}),
     "payment processor answered HTTP 500: Something went wrong on our end."),
    ((503, b"<html>Service Unavailable</html>"), "payment processor answered HTTP 503"),
    ((401, {"error": {"message": f"Invalid API Key provided: {SECRET}"}}),
     "payment processor answered HTTP 401: Invalid API Key provided: [secret]"),
    ((200, b"{not json"), "payment processor answered HTTP 200 with invalid JSON"),
    ((200, b"[1, 2]"), "payment processor answered HTTP 200 with JSON that is not an object"),
    ((200, {"status": "succeeded"}), "payment processor answered without a payment intent id and status"),
    ((402, b"declined"), "payment processor answered HTTP 402 with invalid JSON"),
    ((402, {"error": {}}), "payment processor answered HTTP 402 without an error message"),
])
def test_other_answers_raise_without_leaking_the_secret(stripe, stripe_server, answer, message):
    stripe_server.answers.append(answer)
    with pytest.raises(ProcessorError) as excinfo:
        _charge(stripe)
    assert str(excinfo.value) == message
    assert SECRET not in str(excinfo.value) and SECRET not in repr(stripe)


def test_slow_processor_times_out(stripe_server):
    stripe_server.answers.append((HANG, None))
    slow = StripeCompatible(base_url=stripe_server.url, secret_key=SECRET, timeout=0.2)
    with pytest.raises(ProcessorError, match=r"did not answer within 0.2 s; the payment may have gone through"):
        _charge(slow)
    assert len(stripe_server.requests) == 1


def test_unreachable_processor(stripe_server):
    port = stripe_server.server_port
    stripe_server.shutdown()
    stripe_server.server_close()  # nothing listens on the port any more
    gone = StripeCompatible(base_url=f"http://127.0.0.1:{port}", secret_key=SECRET, timeout=2)
    with pytest.raises(ProcessorError, match="payment processor unreachable"):
        _charge(gone)


def test_non_http_url_is_refused_before_sending():
    with pytest.raises(ProcessorError, match="must be http"):
        _charge(StripeCompatible(base_url="file:///etc", secret_key=SECRET))


def test_bad_input_is_rejected_before_sending(stripe, stripe_server):
    for kw, name in [({"token": " "}, "token"), ({"idempotency_key": ""}, "idempotency_key"),
                     ({"idempotency_key": "k" * 256}, "idempotency_key"), ({"currency": "dollars"}, "currency"),
                     ({"currency": "JPY"}, "currency"), ({"metadata": {"a[b]": "x"}}, "metadata"),
                     ({"metadata": {"note": "x" * 501}}, "metadata"), ({"amount": Decimal("0")}, "amount")]:
        with pytest.raises(ValueError, match=name):
            _charge(stripe, **kw)
    assert stripe_server.requests == []


# --- Stripe-compatible: refunds ---------------------------------------------------------------------

def test_refund_posts_intent_and_cents(stripe, stripe_server):
    result = stripe.refund(processor_id="pi_0001", amount=Decimal("20.05"), idempotency_key="refund-42-1")
    assert result == ChargeResult(ok=True, processor_id="re_0001", amount=Decimal("20.05"), status="succeeded")
    (req,) = stripe_server.requests
    assert req["path"] == "/v1/refunds"
    assert req["form"] == {"payment_intent": "pi_0001", "amount": "2005"}
    assert req["headers"]["Idempotency-Key"] == "refund-42-1"
    assert req["headers"]["Authorization"] == f"Bearer {SECRET}"


def test_pending_refund_is_accepted_failed_is_not(stripe, stripe_server):
    stripe_server.answers += [(200, {"id": "re_p", "status": "pending"}), (200, {"id": "re_f", "status": "failed"})]
    pending = stripe.refund(processor_id="pi_1", amount=Decimal("5"), idempotency_key="r-1")
    failed = stripe.refund(processor_id="pi_1", amount=Decimal("5"), idempotency_key="r-2")
    assert (pending.ok, pending.status) == (True, "pending")
    assert (failed.ok, failed.status, failed.error) == (False, "failed", "refund not completed (status failed)")


def test_refund_refused_raises(stripe, stripe_server):
    stripe_server.answers.append((400, {"error": {"type": "invalid_request_error", "code": "charge_already_refunded",
                                                  "message": "Charge pi_1 has already been refunded."}}))
    with pytest.raises(ProcessorError, match=r"HTTP 400: Charge pi_1 has already been refunded\."):
        stripe.refund(processor_id="pi_1", amount=Decimal("5"), idempotency_key="r-1")


def test_refund_of_external_payment_is_refused(stripe, stripe_server):
    with pytest.raises(ValueError, match="card terminal"):
        stripe.refund(processor_id="external:pay-1", amount=Decimal("5"), idempotency_key="r-1")
    with pytest.raises(ValueError, match="amount"):
        stripe.refund(processor_id="pi_1", amount=Decimal("-5"), idempotency_key="r-1")
    assert stripe_server.requests == []


# --- recorded externally ------------------------------------------------------------------------------

def test_recorded_externally_needs_no_network():
    processor = RecordedExternally()
    assert processor.name == "external"
    assert _charge(processor) == ChargeResult(ok=True, processor_id="external:pay-42-1", amount=Decimal("85.50"),
                                              status="recorded")
    refund = processor.refund(processor_id="external:pay-42-1", amount=Decimal("10"), idempotency_key="refund-1")
    assert refund == ChargeResult(ok=True, processor_id="external:refund-1", amount=Decimal("10.00"),
                                  status="recorded")
    with pytest.raises(ValueError, match="amount"):
        _charge(processor, amount=Decimal("1.005"))


# --- configuration ------------------------------------------------------------------------------------

def test_get_processor_defaults_to_recorded_externally(monkeypatch):
    assert isinstance(get_processor(), RecordedExternally)
    monkeypatch.setenv("PLEXUS_PAYMENTS_URL", "https://api.stripe.com")  # a URL without a key is not enough
    assert isinstance(get_processor(), RecordedExternally)
    monkeypatch.delenv("PLEXUS_PAYMENTS_URL")
    monkeypatch.setenv("PLEXUS_PAYMENTS_SECRET_KEY", SECRET)
    assert isinstance(get_processor(), RecordedExternally)


def test_get_processor_uses_stripe_when_configured(monkeypatch, stripe_server):
    monkeypatch.setenv("PLEXUS_PAYMENTS_URL", f" {stripe_server.url} ")
    monkeypatch.setenv("PLEXUS_PAYMENTS_SECRET_KEY", SECRET)
    processor = get_processor()
    assert isinstance(processor, StripeCompatible) and processor.name == "stripe"
    assert (processor.base_url, processor.timeout) == (stripe_server.url, 20.0)
    assert _charge(processor).ok
    assert stripe_server.requests[0]["headers"]["Authorization"] == f"Bearer {SECRET}"
    monkeypatch.setenv("PLEXUS_PAYMENTS_TIMEOUT", "7.5")
    assert get_processor().timeout == 7.5


@pytest.mark.parametrize("raw", ["soon", "0", "-3", "nan", "inf"])
def test_get_processor_rejects_bad_timeout(monkeypatch, raw):
    monkeypatch.setenv("PLEXUS_PAYMENTS_URL", "https://api.stripe.com")
    monkeypatch.setenv("PLEXUS_PAYMENTS_SECRET_KEY", SECRET)
    monkeypatch.setenv("PLEXUS_PAYMENTS_TIMEOUT", raw)
    with pytest.raises(ValueError, match="PLEXUS_PAYMENTS_TIMEOUT"):
        get_processor()


# --- money ----------------------------------------------------------------------------------------------

@pytest.mark.parametrize(("amount", "cents"), [(Decimal("0.01"), 1), (Decimal("85.5"), 8550), (Decimal("100"), 100_00),
                                              (Decimal("1E+2"), 100_00), (Decimal("9.990"), 999), (3, 300)])
def test_to_cents_is_exact(amount, cents):
    assert to_cents(amount) == cents


@pytest.mark.parametrize("amount", [Decimal("0"), Decimal("-0.01"), Decimal("1.005"), Decimal("0.001"),
                                    Decimal("NaN"), Decimal("Infinity"), Decimal("1E+40"), 85.5, "85.50", True, None])
def test_to_cents_rejects_bad_amounts(amount):
    with pytest.raises(ValueError, match="amount"):
        to_cents(amount)
