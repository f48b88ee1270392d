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


@pytest.mark.django_db(transaction=True)
def test_racing_moves_of_one_component_never_double_book(audit_maintenance, clinic, users, frozen, svc, prac, room):
    """Ten blocks each move their massage onto the same free hour of one therapist at once: one wins,
    the rest get a 409 naming their component, and nothing overlaps."""
    from plexus.patients.models import Patient

    actor = Actor(user=users["front_desk"], via="api")
    massages = []
    for i in range(10):
        patient = Patient.objects.create(chart_number=f"P8{i:05d}", legal_first_name="M", legal_last_name=f"M{i}",
                                         date_of_birth="1990-01-01", sex_for_claims="F")
        first = pdx(1 + i // 5, 8) + timedelta(minutes=90 * (i % 5))  # five visits a day on 1-2 December
        block = services.visit_block_book(actor=actor, patient=patient, location_id=room["Consult 1"].location_id,
                                          components=[
            Placement(svc["acu"].pk, prac["li"].pk, first),
            Placement(svc["massage"].pk, prac["ortiz"].pk, first + timedelta(minutes=30))])
        massages.append(block.appointments.get(position=1))
    outcomes: list[object] = []
    barrier = threading.Barrier(10)

    def worker(i: int) -> None:
        try:
            barrier.wait(timeout=30)
            services.appointment_move(actor=actor, appointment=massages[i], keep_in_visit=False,
                                      placement=Placement(svc["massage"].pk, prac["ortiz"].pk, pdx(2, 16)))
            outcomes.append("ok")
        except ApplicationError as exc:
            outcomes.append((exc.status, exc.errors[0].field if exc.errors else None))
        except Exception as exc:
            outcomes.append(repr(exc))
        finally:
            connection.close()

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(10)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    assert outcomes.count("ok") == 1, outcomes
    assert all(o == (409, "components[1]") for o in outcomes if o != "ok"), outcomes
    assert services.overlapping_pairs() == []
    assert Appointment.objects.filter(start=pdx(2, 16), status="booked").count() == 1
