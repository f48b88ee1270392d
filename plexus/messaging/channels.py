"""Delivery channels behind one small interface.

- Email goes through Django's email backends (``EMAIL_BACKEND``: SMTP in production when
  ``EMAIL_HOST`` is set, the file backend under ``PLEXUS_DATA_DIR/outbox-mail`` in the demo,
  locmem in tests). The provider id is the Message-ID we set.
- SMS goes through an ``SmsProvider``: a Twilio-compatible REST adapter when ``PLEXUS_SMS_URL``
  is set (with ``PLEXUS_SMS_ACCOUNT_SID``, ``PLEXUS_SMS_AUTH_TOKEN``, ``PLEXUS_SMS_FROM``,
  ``PLEXUS_SMS_TIMEOUT`` seconds, ``PLEXUS_SMS_STATUS_CALLBACK`` for delivery receipts), else a
  file provider writing one JSON file per message to ``PLEXUS_DATA_DIR/outbox-sms``.
"""

from __future__ import annotations

import base64
import json
import os
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

from django.conf import settings
from django.core.mail import EmailMessage, get_connection
from django.core.mail.message import make_msgid


class SendError(Exception):
    """The provider refused or could not be reached. ``permanent`` errors are never retried."""

    def __init__(self, message: str, *, permanent: bool = False) -> None:
        super().__init__(message)
        self.permanent = permanent


class SmsProvider(Protocol):
    name: str

    def send(self, *, to: str, body: str, reference: str) -> str:
        """Send one text; return the provider's message id. Raise SendError on failure."""
        ...


@dataclass
class FileSms:
    """Write each text to ``outbox/<reference>.json`` (the demo and offline installs)."""

    outbox: Path
    sender: str = ""
    name: str = "file"

    def send(self, *, to: str, body: str, reference: str) -> str:
        self.outbox.mkdir(parents=True, exist_ok=True)
        path = self.outbox / f"{reference}.json"
        tmp = path.with_suffix(".tmp")
        tmp.write_text(json.dumps({"to": to, "from": self.sender, "body": body, "reference": reference}),
                       encoding="utf-8")
        tmp.replace(path)  # atomic, and sending the same reference twice overwrites instead of duplicating
        return f"file:{reference}"


@dataclass
class TwilioSms:
    """POST ``{url}/Accounts/{sid}/Messages.json`` (form-encoded, HTTP Basic auth): the Twilio
    Messages API, also spoken by several other providers and test doubles."""

    url: str
    account_sid: str
    auth_token: str
    sender: str
    timeout: float = 15.0
    status_callback: str = ""
    name: str = "twilio"

    def send(self, *, to: str, body: str, reference: str) -> str:
        if not self.url.startswith(("http://", "https://")):
            raise SendError(f"PLEXUS_SMS_URL must be http(s), not {self.url!r}", permanent=True)
        form = {"To": to, "From": self.sender, "Body": body}
        if self.status_callback:
            form["StatusCallback"] = self.status_callback
        endpoint = f"{self.url.rstrip('/')}/Accounts/{urllib.parse.quote(self.account_sid)}/Messages.json"
        auth = base64.b64encode(f"{self.account_sid}:{self.auth_token}".encode()).decode("ascii")
        req = urllib.request.Request(  # noqa: S310 - scheme checked above
            endpoint, data=urllib.parse.urlencode(form).encode(), method="POST",
            headers={"Authorization": f"Basic {auth}", "Content-Type": "application/x-www-form-urlencoded",
                     "Accept": "application/json", "X-Plexus-Reference": reference},
        )
        try:
            with urllib.request.urlopen(req, timeout=self.timeout) as resp:  # noqa: S310
                payload = json.loads(resp.read() or b"{}")
        except urllib.error.HTTPError as exc:
            detail = _error_detail(exc)
            # 4xx other than 429 (rate limit) will not get better by retrying: bad number, bad credentials.
            raise SendError(f"SMS provider answered HTTP {exc.code}{detail}",
                            permanent=400 <= exc.code < 500 and exc.code != 429) from exc
        except (urllib.error.URLError, TimeoutError, OSError, ValueError) as exc:
            raise SendError(f"SMS provider unreachable: {getattr(exc, 'reason', exc)}") from exc
        sid = payload.get("sid") if isinstance(payload, dict) else None
        if not sid:
            raise SendError("SMS provider answered without a message sid")
        return str(sid)


def _error_detail(exc: urllib.error.HTTPError) -> str:
    try:
        payload = json.loads(exc.read() or b"{}")
    except (ValueError, OSError):
        return ""
    message = payload.get("message") if isinstance(payload, dict) else None
    return f": {message}" if message else ""


def get_sms_provider() -> SmsProvider:
    """Return the Twilio-compatible adapter when PLEXUS_SMS_URL is set, else the file provider."""
    url = os.environ.get("PLEXUS_SMS_URL", "").strip()
    sender = os.environ.get("PLEXUS_SMS_FROM", "").strip()
    if url:
        return TwilioSms(url=url, account_sid=os.environ.get("PLEXUS_SMS_ACCOUNT_SID", ""),
                         auth_token=os.environ.get("PLEXUS_SMS_AUTH_TOKEN", ""), sender=sender,
                         timeout=float(os.environ.get("PLEXUS_SMS_TIMEOUT", "15")),
                         status_callback=os.environ.get("PLEXUS_SMS_STATUS_CALLBACK", "").strip())
    return FileSms(outbox=Path(settings.DATA_DIR) / "outbox-sms", sender=sender)


def send_email(*, to: str, subject: str, body: str, reference: str, unsubscribe_url: str = "",
               connection=None) -> str:
    """Send one plain-text email through the configured backend; return its Message-ID."""
    domain = (settings.DEFAULT_FROM_EMAIL.rpartition("@")[2] or "plexus.invalid").strip(">")
    msgid = make_msgid(idstring=reference, domain=domain)
    headers = {"Message-ID": msgid}
    if unsubscribe_url:
        headers["List-Unsubscribe"] = f"<{unsubscribe_url}>"
        headers["List-Unsubscribe-Post"] = "List-Unsubscribe=One-Click"  # RFC 8058
    mail = EmailMessage(subject=subject, body=body, to=[to], headers=headers,
                        connection=connection or get_connection(fail_silently=False))
    try:
        mail.send()
    except Exception as exc:  # SMTP and backend errors: all retryable except a refused recipient
        import smtplib

        permanent = isinstance(exc, smtplib.SMTPRecipientsRefused)
        raise SendError(f"email not sent: {exc}", permanent=permanent) from exc
    return msgid
