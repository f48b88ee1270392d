"""Clearinghouse transports behind one small interface.

- File exchange (the default): 270 batches are written to ``DATA_DIR/clearinghouse/outbox``; the
  clearinghouse's 271 files are dropped in ``DATA_DIR/clearinghouse/inbox`` and imported with
  ``python manage.py import_x12``.
- Real-time HTTP: set ``PLEXUS_CLEARINGHOUSE_URL`` (and ``PLEXUS_CLEARINGHOUSE_TOKEN`` for a bearer
  token, ``PLEXUS_CLEARINGHOUSE_TIMEOUT`` in seconds, default 30). The 270 is POSTed as
  ``application/edi-x12``; the response body is the 271.

``PLEXUS_CLEARINGHOUSE_SENDER_ID`` / ``PLEXUS_CLEARINGHOUSE_RECEIVER_ID`` override the ISA06/ISA08
interchange IDs (defaults: the practice's group NPI and the payer ID).
"""

from __future__ import annotations

import os
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

from django.conf import settings


class TransportError(Exception):
    """The clearinghouse could not be reached or refused the request."""


class Clearinghouse(Protocol):
    name: str  # "file" or "http": stored on the check

    def submit(self, x12: str, *, reference: str) -> str | None:
        """Send a 270 interchange. Return the 271 text when answered in real time, else None."""
        ...


def clearinghouse_dir() -> Path:
    return Path(settings.DATA_DIR) / "clearinghouse"


@dataclass
class FileExchange:
    """Write 270 batches to the outbox; answers arrive later as 271 files in the inbox."""

    outbox: Path
    inbox: Path
    name: str = "file"
    last_path: Path | None = None

    def submit(self, x12: str, *, reference: str) -> str | None:
        self.outbox.mkdir(parents=True, exist_ok=True)
        path = self.outbox / f"270-{reference}.x12"
        tmp = path.with_suffix(".tmp")
        tmp.write_text(x12, encoding="ascii")
        tmp.replace(path)  # atomic: the clearinghouse client never picks up a half-written file
        self.last_path = path
        return None

    def inbox_files(self) -> list[Path]:
        """271 (and other X12) files waiting in the inbox, oldest name first."""
        if not self.inbox.exists():
            return []
        return sorted(p for p in self.inbox.iterdir() if p.is_file() and not p.name.startswith("."))


@dataclass
class HttpClearinghouse:
    """POST the 270 to a real-time endpoint and return the 271 it answers with."""

    url: str
    token: str = ""
    timeout: float = 30.0
    name: str = "http"

    def submit(self, x12: str, *, reference: str) -> str | None:
        if not self.url.startswith(("http://", "https://")):
            raise TransportError(f"PLEXUS_CLEARINGHOUSE_URL must be http(s), not {self.url!r}")
        headers = {"Content-Type": "application/edi-x12", "Accept": "application/edi-x12", "X-Reference": reference}
        if self.token:
            headers["Authorization"] = f"Bearer {self.token}"
        req = urllib.request.Request(self.url, data=x12.encode("ascii"), headers=headers, method="POST")  # noqa: S310
        try:
            with urllib.request.urlopen(req, timeout=self.timeout) as resp:  # noqa: S310 - scheme checked above
                return resp.read().decode("ascii", errors="replace")
        except urllib.error.HTTPError as exc:
            raise TransportError(f"clearinghouse answered HTTP {exc.code}") from exc
        except (urllib.error.URLError, TimeoutError, OSError) as exc:
            raise TransportError(f"clearinghouse unreachable: {getattr(exc, 'reason', exc)}") from exc


def file_exchange() -> FileExchange:
    base = clearinghouse_dir()
    return FileExchange(outbox=base / "outbox", inbox=base / "inbox")


def get_clearinghouse() -> Clearinghouse:
    """Return the configured transport: HTTP when PLEXUS_CLEARINGHOUSE_URL is set, else file exchange."""
    url = os.environ.get("PLEXUS_CLEARINGHOUSE_URL", "").strip()
    if url:
        return HttpClearinghouse(
            url=url,
            token=os.environ.get("PLEXUS_CLEARINGHOUSE_TOKEN", ""),
            timeout=float(os.environ.get("PLEXUS_CLEARINGHOUSE_TIMEOUT", "30")),
        )
    return file_exchange()


def interchange_ids(*, practice_npi: str, payer_id: str) -> tuple[str, str]:
    """Return (ISA06 sender, ISA08 receiver) for a 270, honouring the env overrides."""
    sender = os.environ.get("PLEXUS_CLEARINGHOUSE_SENDER_ID", "").strip() or practice_npi
    receiver = os.environ.get("PLEXUS_CLEARINGHOUSE_RECEIVER_ID", "").strip() or payer_id
    return sender[:15], receiver[:15]
