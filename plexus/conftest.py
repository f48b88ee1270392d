"""Shared fixtures: the demo practice setup, one user per role, clients, patients."""

from __future__ import annotations

from datetime import date

import pytest
from django.test import Client

from plexus.core.audit import Actor
from plexus.core.demo.loader import load_setup
from plexus.core.models import Payer, Role, User
from plexus.patients.models import Coverage, Patient

PASSWORD = "correct-horse-battery"


@pytest.fixture
def clinic(db):
    """The demo practice setup (practice, 2 locations, 15 rooms, 15 practitioners, 34 services, 9 payers)."""
    load_setup(1)


@pytest.fixture
def users(db) -> dict[str, User]:
    out = {}
    for role in Role.values:
        user = User(username=f"u_{role}", role=role, first_name=role.title())
        user.set_password(PASSWORD)
        user.save()
        out[role] = user
    return out


@pytest.fixture
def client_for(users):
    """Return a logged-in test client for a role name."""

    def make(role: str, **kwargs) -> Client:
        client = Client(**kwargs)
        client.force_login(users[role])
        return client

    return make


@pytest.fixture
def admin_actor(users) -> Actor:
    return Actor(user=users["admin"], ip="127.0.0.1", via="ui")


@pytest.fixture
def payer(clinic) -> Payer:
    return Payer.objects.get(payer_id="EVG01")


@pytest.fixture
def patient(clinic, payer) -> Patient:
    p = Patient.objects.create(
        chart_number="P900001", legal_first_name="Maria", legal_last_name="Lopez", date_of_birth=date(1974, 5, 14),
        sex_for_claims="F", phone_mobile="+15035550142", email="maria@example.com", has_hsa_fsa=True,
    )
    Coverage.objects.create(patient=p, payer=payer, member_id="EVG8842001", priority=1,
                            effective_date=date(2026, 1, 1))
    return p


@pytest.fixture(scope="session")
def plexus_server(tmp_path_factory):
    """A real Plexus server (subprocess) with the demo clinic loaded; yields its base URL."""
    from plexus.testing.server import running_server

    with running_server(tmp_path_factory.mktemp("plexus-e2e")) as url:
        yield url


@pytest.fixture(scope="module")
def browser():
    """Headless Debian Chromium driven by Playwright, stopped at the end of each module: a
    Playwright event loop left running makes Django refuse database work in later tests of the
    same worker (SynchronousOnlyOperation)."""
    import os
    from pathlib import Path

    from plexus.testing.server import CHROMIUM, CHROMIUM_ARGS

    if not Path(CHROMIUM).exists():
        if os.environ.get("CI"):
            pytest.fail(f"{CHROMIUM} is missing: .ci/run installs it (apt-get install chromium)")
        pytest.skip(f"{CHROMIUM} not installed (apt-get install chromium)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        b = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        yield b
        b.close()


@pytest.fixture
def artifacts_dir():
    from pathlib import Path

    path = Path(__file__).resolve().parents[1] / "test-artifacts"
    path.mkdir(exist_ok=True)
    return path


@pytest.fixture
def audit_maintenance(transactional_db):
    """For transactional tests (PostgreSQL only: mark them skipif on SQLite): let the teardown flush (TRUNCATE) pass the audit
    log's append-only trigger on this test connection. The application never sets this."""
    from django.db import connection

    if connection.vendor == "postgresql":
        with connection.cursor() as cur:
            cur.execute("SET plexus.audit_maintenance = 'on'")
    yield
