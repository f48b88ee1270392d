from __future__ import annotations

from datetime import timedelta

import pytest

from plexus.core.errors import ApplicationError
from plexus.core.models import AuditEvent
from plexus.scheduling import selectors, services
from plexus.scheduling.models import Appointment, AppointmentEvent, Status, VisitBlock
from plexus.scheduling.services import Placement
from plexus.scheduling.setup_services import availability_exception_create, closure_create

from .conftest import NOW, pdx


def _book(admin_actor, patient, comps, **kw):
    return services.visit_block_book(actor=admin_actor, patient=patient, components=comps, **kw)


def test_book_three_components_atomically(admin_actor, patient, three):
    block = _book(admin_actor, patient, three)
    appts = list(block.appointments.order_by("position"))
    assert [a.status for a in appts] == ["booked"] * 3
    assert block.start == pdx(1, 9) and block.end == pdx(1, 11)
    massage = appts[2]
    assert massage.room_until - massage.end == timedelta(minutes=10)
    assert massage.practitioner_until - massage.end == timedelta(minutes=5)
    assert AppointmentEvent.objects.filter(block=block, action="booked").count() == 1
    assert AuditEvent.objects.filter(object_type="visit_block", patient_id=patient.pk, action="create").exists()


def test_conflict_names_the_component_and_saves_nothing(admin_actor, patient, three, svc, prac, room):
    _book(admin_actor, patient, three[:1])
    before = (VisitBlock.objects.count(), Appointment.objects.count())
    clash = [Placement(svc["acu"].pk, prac["li"].pk, pdx(2, 9), room["Treatment 1"].pk),
             Placement(svc["md"].pk, prac["chen"].pk, pdx(1, 9, 15), room["Consult 2"].pk)]
    with pytest.raises(ApplicationError) as exc:
        _book(admin_actor, patient, clash)
    assert exc.value.status == 409
    assert exc.value.errors[0].field == "components[1]" and "Established visit" in exc.value.detail
    assert (VisitBlock.objects.count(), Appointment.objects.count()) == before


def test_room_buffer_and_turnover_are_conflicts(admin_actor, patient, svc, prac, room, three):
    _book(admin_actor, patient, three)
    from plexus.patients.models import Patient

    other = Patient.objects.create(chart_number="P900002", legal_first_name="Ann", legal_last_name="Bell",
                                   date_of_birth="1980-01-01", sex_for_claims="F")
    # Massage A ends 11:00 and needs 10 minutes' turnover.
    late = [Placement(svc["massage"].pk, prac["ortiz"].pk, pdx(1, 11, 5), room["Massage A"].pk)]
    with pytest.raises(ApplicationError) as exc:
        _book(admin_actor, other, late)
    assert exc.value.status == 409
    ok = [Placement(svc["massage"].pk, prac["ortiz"].pk, pdx(1, 11, 10), room["Massage A"].pk)]
    assert _book(admin_actor, other, ok).pk


def test_patient_cannot_be_in_two_places(admin_actor, patient, svc, prac, room, three):
    _book(admin_actor, patient, three[:1])
    with pytest.raises(ApplicationError) as exc:
        _book(admin_actor, patient, [Placement(svc["acu"].pk, prac["li"].pk, pdx(1, 9, 10), room["Treatment 2"].pk)])
    assert exc.value.status == 409 and "patient" in exc.value.detail


def test_room_is_picked_when_not_named(admin_actor, patient, svc, prac):
    block = _book(admin_actor, patient, [Placement(svc["acu"].pk, prac["li"].pk, pdx(1, 9))],
                  location_id=prac["li"].locations.first().pk)
    assert block.appointments.get().room.room_type == "treatment_table"


@pytest.mark.parametrize(("change", "field"), [
    (lambda p, s, pr, r: Placement(999_999, pr["chen"].pk, pdx(1, 9), r["Consult 1"].pk), "components[0].service_id"),
    (lambda p, s, pr, r: Placement(s["md"].pk, 999_999, pdx(1, 9), r["Consult 1"].pk), "components[0].practitioner_id"),
    (lambda p, s, pr, r: Placement(s["massage"].pk, pr["chen"].pk, pdx(1, 9), r["Massage A"].pk),
     "components[0].practitioner_id"),
    (lambda p, s, pr, r: Placement(s["md"].pk, pr["chen"].pk, pdx(1, 9), r["Massage A"].pk), "components[0].room_id"),
    (lambda p, s, pr, r: Placement(s["md"].pk, pr["chen"].pk, pdx(1, 9), 999_999), "components[0].room_id"),
    (lambda p, s, pr, r: Placement(s["md"].pk, pr["chen"].pk, pdx(1, 9), r["Consult 1"].pk, pdx(1, 8)),
     "components[0].end"),
    (lambda p, s, pr, r: Placement(s["md"].pk, pr["chen"].pk, pdx(1, 18), r["Consult 1"].pk), "components[0].start"),
    (lambda p, s, pr, r: Placement(s["md"].pk, pr["chen"].pk, NOW - timedelta(hours=1), r["Consult 1"].pk),
     "components[0].start"),
    (lambda p, s, pr, r: Placement(s["md"].pk, pr["chen"].pk, pdx(6, 10), r["Consult 1"].pk), "components[0].start"),
])
def test_bad_input_is_422_naming_the_component(admin_actor, patient, svc, prac, room, change, field):
    with pytest.raises(ApplicationError) as exc:
        _book(admin_actor, patient, [change(patient, svc, prac, room)])
    assert exc.value.status == 422
    assert field in [e.field for e in exc.value.errors]
    assert not VisitBlock.objects.exists()


def test_no_room_of_type_at_location(admin_actor, patient, svc, prac, room):
    boulder = room["Consult A"].location
    with pytest.raises(ApplicationError) as exc:
        _book(admin_actor, patient, [Placement(svc["infusion"].pk, prac["chen"].pk, pdx(1, 9))], location_id=boulder.pk)
    assert exc.value.status == 422
    assert {e.field for e in exc.value.errors} >= {"components[0].room_id"}


def test_time_off_and_closure_block_booking(admin_actor, patient, svc, prac, room, three):
    availability_exception_create(actor=admin_actor, practitioner_id=prac["chen"].pk, kind="time_off",
                                  start=pdx(1, 8), end=pdx(1, 12))
    with pytest.raises(ApplicationError) as exc:
        _book(admin_actor, patient, three[:1])
    assert exc.value.errors[0].field == "components[0].start"
    closure_create(actor=admin_actor, start_date=pdx(2, 0).date(), end_date=pdx(2, 0).date())
    with pytest.raises(ApplicationError):
        _book(admin_actor, patient, [Placement(three[1].service_id, prac["li"].pk, pdx(2, 9), three[1].room_id)])


def test_extra_hours_allow_saturday_evening(admin_actor, patient, svc, prac, room):
    availability_exception_create(actor=admin_actor, practitioner_id=prac["li"].pk, kind="extra",
                                  start=pdx(5, 17), end=pdx(5, 19), location_id=room["Treatment 1"].location_id)
    block = _book(admin_actor, patient, [Placement(svc["acu"].pk, prac["li"].pk, pdx(5, 17), room["Treatment 1"].pk)])
    assert block.pk


def test_cancel_block_sets_late_flag_from_policy(admin_actor, patient, three):
    block = _book(admin_actor, patient, three)
    from plexus.core.models import Practice

    Practice.objects.update(late_cancel_hours=48)  # 1 Dec 09:00 PST is 33 hours away: late
    block = services.visit_block_cancel(actor=admin_actor, block=block, reason="Sick")
    assert block.status == Status.CANCELLED and block.late_cancel and block.sequence >= 1
    assert set(block.appointments.values_list("status", flat=True)) == {"cancelled"}
    with pytest.raises(ApplicationError) as exc:
        services.visit_block_cancel(actor=admin_actor, block=block, reason="again")
    assert exc.value.status == 409


def test_cancel_early_is_not_late_and_reason_required(admin_actor, patient, svc, prac, room):
    block = _book(admin_actor, patient, [Placement(svc["md"].pk, prac["chen"].pk, pdx(10, 9), room["Consult 1"].pk)])
    with pytest.raises(ApplicationError) as exc:
        services.visit_block_cancel(actor=admin_actor, block=block, reason=" ")
    assert exc.value.errors[0].field == "reason"
    assert not services.visit_block_cancel(actor=admin_actor, block=block, reason="Travel").late_cancel


def test_cancel_one_component_keeps_the_rest(admin_actor, patient, three):
    block = _book(admin_actor, patient, three)
    massage = block.appointments.get(position=2)
    services.appointment_cancel(actor=admin_actor, appointment=massage, reason="No time")
    block.refresh_from_db()
    assert block.status == Status.BOOKED and block.end == pdx(1, 10)
    assert list(block.appointments.values_list("status", flat=True).order_by("position")) == [
        "booked", "booked", "cancelled"]


def test_status_flow_and_rollup(admin_actor, patient, three):
    block = _book(admin_actor, patient, three)
    block = services.visit_block_check_in(actor=admin_actor, block=block)
    assert block.status == Status.ARRIVED
    first = block.appointments.get(position=0)
    services.appointment_set_status(actor=admin_actor, appointment=first, status="in_room")
    block.refresh_from_db()
    assert block.status == Status.IN_ROOM
    with pytest.raises(ApplicationError) as exc:
        services.appointment_set_status(actor=admin_actor, appointment=first, status="booked")
    assert exc.value.status == 409
    with pytest.raises(ApplicationError) as exc:
        services.appointment_set_status(actor=admin_actor, appointment=first, status="nonsense")
    assert exc.value.status == 422
    for a in block.appointments.all():
        if a.status == "arrived":
            services.appointment_set_status(actor=admin_actor, appointment=a, status="in_room")
        services.appointment_set_status(actor=admin_actor, appointment=a, status="completed")
    block.refresh_from_db()
    assert block.status == Status.COMPLETED


def test_rollup_rules():
    assert services.rollup(["cancelled", "cancelled"]) == "cancelled"
    assert services.rollup(["confirmed", "cancelled"]) == "confirmed"
    assert services.rollup(["booked", "confirmed"]) == "booked"
    assert services.rollup(["completed", "no_show"]) == "completed"
    assert services.rollup(["no_show"]) == "no_show"


def test_reschedule_moves_every_component_or_none(admin_actor, patient, three):
    block = _book(admin_actor, patient, three)
    ids = sorted(block.appointments.values_list("pk", flat=True))
    options = selectors.reschedule_options(block=block, range_start=pdx(3, 0), range_end=pdx(5, 0), now=NOW)
    assert options and options[0].start >= pdx(3, 0)
    best = options[0]
    moved = services.visit_block_move(actor=admin_actor, block=block, components=[
        Placement(c.service_id, c.practitioner_id, c.start, c.room_id) for c in best.components])
    assert moved.start == best.start and sorted(moved.appointments.values_list("pk", flat=True)) == ids
    assert moved.sequence >= 1 and moved.events.filter(action="rescheduled").exists()
    with pytest.raises(ApplicationError) as exc:
        services.visit_block_move(actor=admin_actor, block=moved, components=[
            Placement(c.service_id, c.practitioner_id, c.start, c.room_id) for c in best.components][:1])
    assert exc.value.status == 422
    assert VisitBlock.objects.get(pk=block.pk).start == best.start


def test_slot_search_finds_free_blocks_and_maps_engine_errors(patient, svc, prac):
    asks = [selectors.ComponentAsk(svc["md"].pk), selectors.ComponentAsk(svc["acu"].pk),
            selectors.ComponentAsk(svc["massage"].pk)]
    options = selectors.slot_search(asks=asks, range_start=pdx(1, 0), range_end=pdx(8, 0), now=NOW,
                                    patient_id=patient.pk)
    # Boulder (Mountain time) opens at 08:00 local, an hour before Portland.
    assert len(options) == 10 and options[0].start == pdx(1, 7)
    assert options[0].location_id != prac["chen"].locations.first().pk
    bad = [selectors.ComponentAsk(svc["md"].pk), selectors.ComponentAsk(svc["acu"].pk, min_gap_minutes=40,
                                                                         max_gap_minutes=10)]
    with pytest.raises(ApplicationError) as exc:
        selectors.slot_search(asks=bad, range_start=pdx(1, 0), range_end=pdx(8, 0), now=NOW)
    assert exc.value.status == 422 and exc.value.errors[0].field == "components[1].min_gap"
    wrong = [selectors.ComponentAsk(svc["massage"].pk, practitioner_id=prac["chen"].pk)]
    with pytest.raises(ApplicationError) as exc:
        selectors.slot_search(asks=wrong, range_start=pdx(1, 0), range_end=pdx(8, 0), now=NOW)
    assert exc.value.errors[0].field == "components[0].practitioner_id"
    with pytest.raises(ApplicationError) as exc:
        selectors.slot_search(asks=asks, range_start=pdx(1, 0) - timedelta(days=30),
                              range_end=pdx(1, 0) - timedelta(days=20), now=NOW)
    assert exc.value.status == 422 and exc.value.errors[0].field == "range_end"
