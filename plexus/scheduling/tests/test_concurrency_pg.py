"""PostgreSQL: 50 threads book overlapping blocks for the same practitioners and rooms. Afterwards no
two active appointments overlap and every failure was a clean 409."""

from __future__ import annotations

import threading
from datetime import timedelta

import pytest
from django.db import connection

from plexus.core.audit import Actor
from plexus.core.errors import ApplicationError
from plexus.scheduling import services
from plexus.scheduling.models import Appointment
from plexus.scheduling.services import Placement

from .conftest import pdx

pytestmark = pytest.mark.skipif(connection.vendor != "postgresql", reason="exclusion constraints need PostgreSQL")


@pytest.mark.django_db(transaction=True)
def test_fifty_threads_never_double_book(audit_maintenance, clinic, users, frozen, svc, prac, room):
    from plexus.patients.models import Patient

    patients = [Patient.objects.create(chart_number=f"P7{i:05d}", legal_first_name="T", legal_last_name=f"T{i}",
                                       date_of_birth="1990-01-01", sex_for_claims="F") for i in range(50)]
    actor = Actor(user=users["front_desk"], via="api")
    outcomes: list[object] = []
    barrier = threading.Barrier(50)

    def worker(i: int) -> None:
        try:
            start = pdx(1, 9) + timedelta(minutes=15 * (i % 4))
            comps = [Placement(svc["md"].pk, prac["chen"].pk, start, room["Consult 1"].pk),
                     Placement(svc["acu"].pk, prac["li"].pk, start + timedelta(minutes=30), room["Treatment 1"].pk)]
            barrier.wait(timeout=30)
            services.visit_block_book(actor=actor, patient=patients[i], components=comps)
            outcomes.append("ok")
        except ApplicationError as exc:
            outcomes.append(exc.status)
        except Exception as exc:
            outcomes.append(repr(exc))
        finally:
            connection.close()

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(50)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    assert len(outcomes) == 50
    assert set(outcomes) <= {"ok", 409}, [o for o in outcomes if o not in ("ok", 409)]
    assert 1 <= outcomes.count("ok") <= 2
    assert services.overlapping_pairs() == []
    assert Appointment.objects.count() == 2 * outcomes.count("ok")
