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
