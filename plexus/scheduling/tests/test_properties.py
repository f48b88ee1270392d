"""Property: after any sequence of bookings and cancellations, no two active appointments of one
practitioner or one room overlap (buffers and turnover included)."""

from __future__ import annotations

from datetime import timedelta

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from plexus.core.errors import ApplicationError
from plexus.patients.models import Patient
from plexus.scheduling import services
from plexus.scheduling.models import VisitBlock
from plexus.scheduling.services import Placement

from .conftest import pdx

step = st.tuples(st.sampled_from(["book", "book", "book", "cancel"]), st.integers(0, 2), st.integers(0, 1),
                 st.integers(0, 2), st.integers(0, 16), st.booleans())


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(steps=st.lists(step, min_size=1, max_size=12))
def test_no_overlap_after_random_book_and_cancel(admin_actor, patient, svc, prac, room, steps):
    from django.db import transaction

    patients = [patient] + [Patient.objects.get_or_create(chart_number=f"P8{i:05d}", defaults=dict(
        legal_first_name="P", legal_last_name=f"N{i}", date_of_birth="1990-01-01", sex_for_claims="F"))[0]
        for i in range(2)]
    choices = [(svc["acu"], prac["li"], [room["Treatment 1"], room["Treatment 2"]]),
               (svc["massage"], prac["ortiz"], [room["Massage A"], room["Massage B"]]),
               (svc["md"], prac["chen"], [room["Consult 1"], room["Consult 2"]])]
    sid = transaction.savepoint()
    try:
        for action, who, room_i, kind, slot, two in steps:
            if action == "cancel":
                block = VisitBlock.objects.exclude(status="cancelled").order_by("pk").first()
                if block:
                    services.visit_block_cancel(actor=admin_actor, block=block, reason="r")
                continue
            service, practitioner, rooms = choices[kind]
            start = pdx(1, 9) + timedelta(minutes=15 * slot)
            comps = [Placement(service.pk, practitioner.pk, start, rooms[room_i].pk)]
            if two:
                s2, p2, r2 = choices[(kind + 1) % 3]
                comps.append(Placement(s2.pk, p2.pk, start + timedelta(minutes=service.duration_minutes), r2[0].pk))
            try:
                services.visit_block_book(actor=admin_actor, patient=patients[who], components=comps)
            except ApplicationError as exc:
                assert exc.status in (409, 422)
            assert services.overlapping_pairs() == []
    finally:
        transaction.savepoint_rollback(sid)
