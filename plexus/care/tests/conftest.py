"""Care fixtures: a fixed clock (Wednesday 25 November 2026, 18:00 UTC = 10:00 in Portland) and
Maria's care team: Dr. Chen (lead physician), Li Wei (acupuncture), Sam Ortiz (massage) and
Chris Dunn (health coach), each with a practitioner login."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
import time_machine
from django.test import Client

from plexus.care import team as team_services
from plexus.care.models import TeamRole
from plexus.core.audit import Actor
from plexus.core.models import Practitioner, Role, User

NOW = datetime(2026, 11, 25, 18, 0, tzinfo=UTC)


@pytest.fixture(autouse=True)
def fixed_clock():
    with time_machine.travel(NOW, tick=False):
        yield


def _login(prac: Practitioner, username: str) -> User:
    if prac.user_id:
        return prac.user
    user = User.objects.create_user(username=username, password="x-pass-123", role=Role.PRACTITIONER,
                                    first_name=prac.first_name, last_name=prac.last_name)
    prac.user = user
    prac.save(update_fields=["user"])
    return user


@pytest.fixture
def pracs(clinic) -> dict[str, Practitioner]:
    """The practitioners of the story, each with a login (usernames chen, li, ortiz, dunn, feld, okafor)."""
    names = {"chen": "Chen", "li": "Li", "ortiz": "Ortiz", "dunn": "Dunn", "feld": "Feld", "okafor": "Okafor"}
    out = {}
    for key, last in names.items():
        p = Practitioner.objects.select_related("discipline").get(last_name=last)
        _login(p, key)
        out[key] = p
    return out


@pytest.fixture
def care_team(patient, pracs, users):
    """Maria's team: Chen lead, Li, Ortiz, Dunn (Feld and Okafor are not on it)."""
    actor = Actor(user=users["front_desk"], ip="127.0.0.1")
    team_services.member_add(actor=actor, patient=patient, practitioner_id=pracs["chen"].pk,
                             role=TeamRole.LEAD_PHYSICIAN)
    for key in ("li", "ortiz", "dunn"):
        team_services.member_add(actor=actor, patient=patient, practitioner_id=pracs[key].pk)
    return pracs


def actor_for(prac: Practitioner) -> Actor:
    return Actor(user=prac.user, ip="127.0.0.1")


@pytest.fixture
def prac_client(pracs):
    def make(key: str) -> Client:
        c = Client()
        c.force_login(pracs[key].user)
        return c

    return make
