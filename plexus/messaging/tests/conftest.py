"""Messaging fixtures: a fixed clock (Monday 30 November 2026, 10:00 in Portland), a private data
folder, no SMS provider configured, Maria with consent to email and texts, and a local HTTP server
speaking the Twilio Messages API that records every request."""

from __future__ import annotations

import json
import threading
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, HTTPServer
from urllib.parse import parse_qs

import pytest
import time_machine

NOW = datetime(2026, 11, 30, 18, 0, tzinfo=UTC)  # 10:00 in Portland: outside quiet hours
SMS_ENV = ("PLEXUS_SMS_URL", "PLEXUS_SMS_ACCOUNT_SID", "PLEXUS_SMS_AUTH_TOKEN", "PLEXUS_SMS_FROM",
           "PLEXUS_SMS_STATUS_CALLBACK", "PLEXUS_SMS_TIMEOUT")


@pytest.fixture(autouse=True)
def fixed_clock():
    with time_machine.travel(NOW, tick=False) as traveller:
        yield traveller


@pytest.fixture(autouse=True)
def data_dir(settings, tmp_path, monkeypatch):
    settings.DATA_DIR = tmp_path
    settings.PLEXUS_PUBLIC_URL = "https://clinic.example.org"
    for name in SMS_ENV:
        monkeypatch.delenv(name, raising=False)
    return tmp_path


@pytest.fixture
def maria(patient):
    patient.consent_email = patient.consent_sms = True
    patient.save()
    return patient


class _Provider(BaseHTTPRequestHandler):
    def do_POST(self):
        server = self.server
        length = int(self.headers.get("Content-Length", 0))
        form = {k: v[0] for k, v in parse_qs(self.rfile.read(length).decode()).items()}
        server.requests.append({"path": self.path, "headers": dict(self.headers), "form": form})
        status, body = server.answers.pop(0) if server.answers else (201, None)
        if body is None:
            body = {"sid": f"SM{len(server.requests):032d}", "status": "queued", "to": form.get("To")}
        data = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, *args):
        pass


@pytest.fixture
def sms_server(monkeypatch):
    """A Twilio-compatible endpoint on 127.0.0.1; ``server.answers`` queues (status, json) replies."""
    server = HTTPServer(("127.0.0.1", 0), _Provider)
    server.requests, server.answers = [], []
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    monkeypatch.setenv("PLEXUS_SMS_URL", f"http://127.0.0.1:{server.server_port}/2010-04-01")
    monkeypatch.setenv("PLEXUS_SMS_ACCOUNT_SID", "AC0123456789")
    monkeypatch.setenv("PLEXUS_SMS_AUTH_TOKEN", "secret-token")
    monkeypatch.setenv("PLEXUS_SMS_FROM", "+15035550199")
    yield server
    server.shutdown()
    server.server_close()
