"""Recurring series: preview per occurrence (conflict reason, next free alternative), book all or the
free ones, cancel the future occurrences as a whole."""

from __future__ import annotations

from datetime import timedelta

import pytest

from plexus.core.errors import ApplicationError
from plexus.core.models import AuditEvent
from plexus.patients.models import Patient
from plexus.scheduling import services
from plexus.scheduling.models import Appointment, Status, VisitBlock, VisitSeries
from plexus.scheduling.series import series_preview, visit_series_book, visit_series_cancel
from plexus.scheduling.services import Placement
from plexus.scheduling.setup_services import closure_create

from .conftest import pdx


@pytest.fixture
def acu(svc, prac, room):
    """Acupuncture with Li, Tuesdays 10:00 from 1 December (6 weeks: 1, 8, 15, 22, 29 Dec, 5 Jan)."""
    return [Placement(svc["acu"].pk, prac["li"].pk, pdx(1, 10), room["Treatment 1"].pk)]


@pytest.fixture
def other(clinic):
    return Patient.objects.create(chart_number="P900002", legal_first_name="Ann", legal_last_name="Bell",
                                  date_of_birth="1980-01-01", sex_for_claims="F")


def _holiday(admin_actor):
    closure_create(actor=admin_actor, start_date=pdx(15, 0).date(), end_date=pdx(15, 0).date(),
                   reason="Staff training")


def test_preview_reports_holiday_and_offers_next_free_day(admin_actor, patient, acu):
    _holiday(admin_actor)
    before = (VisitBlock.objects.count(), VisitSeries.objects.count())
    items = series_preview(patient=patient, components=acu, interval_weeks=1, occurrences=6)
    assert [o.free for o in items] == [True, True, False, True, True, True]
    assert items[5].start == pdx(1, 10) + timedelta(weeks=5)
    bad = items[2]
    assert "closed" in bad.reason and "Staff training" in bad.reason and bad.field == "components[0].start"
    assert bad.alternative is not None and bad.alternative[0].start.astimezone(pdx(1, 0).tzinfo).day == 16
    assert (VisitBlock.objects.count(), VisitSeries.objects.count()) == before


def test_preview_keeps_local_time_and_finds_same_day_alternative(admin_actor, patient, other, acu, svc, prac, room):
    services.visit_block_book(actor=admin_actor, patient=other,
                              components=[Placement(svc["acu"].pk, prac["li"].pk, pdx(22, 10), room["Treatment 2"].pk)])
    items = series_preview(patient=patient, components=acu, interval_weeks=1, occurrences=6)
    assert [o.index for o in items if not o.free] == [3]
    assert all(o.start.astimezone(pdx(1, 0).tzinfo).hour == 10 for o in items)
    alt = items[3].alternative
    assert alt is not None and alt[0].start.astimezone(pdx(1, 0).tzinfo).day == 22
    assert "Li" in items[3].reason or "conflict" in items[3].reason


def test_book_all_with_a_conflict_is_409_naming_the_occurrence_and_saves_nothing(admin_actor, patient, acu):
    _holiday(admin_actor)
    before = (VisitBlock.objects.count(), Appointment.objects.count(), VisitSeries.objects.count())
    with pytest.raises(ApplicationError) as exc:
        visit_series_book(actor=admin_actor, patient=patient, components=acu, interval_weeks=1, occurrences=6)
    assert exc.value.status == 409 and exc.value.errors[0].field == "occurrences[2]"
    assert "Occurrence 3" in exc.value.detail
    assert (VisitBlock.objects.count(), Appointment.objects.count(), VisitSeries.objects.count()) == before


def test_book_free_ones_plus_alternative(admin_actor, patient, acu):
    _holiday(admin_actor)
    alt = series_preview(patient=patient, components=acu, interval_weeks=1, occurrences=6)[2].alternative
    made, skipped = visit_series_book(actor=admin_actor, patient=patient, components=acu, interval_weeks=1,
                                      occurrences=6, mode="free", alternatives={2: list(alt)})
    assert skipped == []
    blocks = list(made.blocks.order_by("series_index"))
    assert [b.series_index for b in blocks] == [0, 1, 2, 3, 4, 5]
    assert blocks[2].start == alt[0].start
    assert AuditEvent.objects.filter(object_type="visit_series", object_id=str(made.pk)).exists()


def test_book_free_only_skips_conflicts(admin_actor, patient, acu):
    _holiday(admin_actor)
    made, skipped = visit_series_book(actor=admin_actor, patient=patient, components=acu, interval_weeks=2,
                                      occurrences=3, mode="free")
    # Every two weeks: 1, 15 (closed), 29 December.
    assert skipped == [1] and made.blocks.count() == 2


def test_every_occurrence_conflicting_is_409(admin_actor, patient, acu):
    closure_create(actor=admin_actor, start_date=pdx(1, 0).date(), end_date=pdx(31, 0).date())
    with pytest.raises(ApplicationError) as exc:
        visit_series_book(actor=admin_actor, patient=patient, components=acu, interval_weeks=1, occurrences=3,
                          mode="free")
    assert exc.value.status == 409 and not VisitSeries.objects.exists()


@pytest.mark.parametrize(("kwargs", "field"), [
    ({"interval_weeks": 0}, "interval_weeks"),
    ({"occurrences": 0}, "occurrences"),
    ({"occurrences": 53}, "occurrences"),
    ({"mode": "some"}, "mode"),
    ({"alternatives": {9: []}}, "alternatives[9]"),
])
def test_bad_series_input_is_422_and_saves_nothing(admin_actor, patient, acu, kwargs, field):
    args = {"interval_weeks": 1, "occurrences": 3, **kwargs}
    with pytest.raises(ApplicationError) as exc:
        visit_series_book(actor=admin_actor, patient=patient, components=acu, **args)
    assert exc.value.status == 422 and field in [e.field for e in exc.value.errors]
    assert not VisitSeries.objects.exists() and not VisitBlock.objects.exists()


def test_unknown_service_fails_the_whole_preview(patient, prac, room):
    with pytest.raises(ApplicationError) as exc:
        series_preview(patient=patient, components=[Placement(999_999, prac["li"].pk, pdx(1, 10),
                                                              room["Treatment 1"].pk)], interval_weeks=1,
                       occurrences=2)
    assert exc.value.status == 422 and exc.value.errors[0].field == "components[0].service_id"


def test_unqualified_practitioner_fails_the_whole_booking(admin_actor, patient, svc, prac, room):
    comps = [Placement(svc["massage"].pk, prac["li"].pk, pdx(1, 10), room["Massage A"].pk)]
    with pytest.raises(ApplicationError) as exc:
        visit_series_book(actor=admin_actor, patient=patient, components=comps, interval_weeks=1, occurrences=2,
                          mode="free")
    assert exc.value.status == 422 and exc.value.errors[0].field == "components[0].practitioner_id"
    assert not VisitSeries.objects.exists()


def test_cancel_series_cancels_future_occurrences_only(admin_actor, patient, acu, frozen):
    import time_machine

    made, _ = visit_series_book(actor=admin_actor, patient=patient, components=acu, interval_weeks=1, occurrences=4)
    first = made.blocks.get(series_index=0)
    with time_machine.travel(pdx(9, 12), tick=False):
        services.appointment_set_status(actor=admin_actor, appointment=first.appointments.get(), status="arrived")
        series, count = visit_series_cancel(actor=admin_actor, series=made, reason="Course ended")
    assert count == 2 and series.status == "cancelled"
    statuses = dict(made.blocks.values_list("series_index", "status"))
    assert statuses == {0: Status.ARRIVED, 1: Status.BOOKED, 2: Status.CANCELLED, 3: Status.CANCELLED}
    with time_machine.travel(pdx(9, 12), tick=False), pytest.raises(ApplicationError) as exc:
        visit_series_cancel(actor=admin_actor, series=series, reason="again")
    assert exc.value.status == 409


def test_dst_keeps_wall_clock(admin_actor, patient, svc, prac, room):
    # Wednesdays 3 and 10 March 2027 are before the US DST change (14 March), the 17th after it.
    from datetime import datetime

    from .conftest import PDX

    comps = [Placement(svc["acu"].pk, prac["li"].pk, datetime(2027, 3, 3, 10, tzinfo=PDX), room["Treatment 1"].pk)]
    items = series_preview(patient=patient, components=comps, interval_weeks=1, occurrences=3)
    assert [o.start.astimezone(PDX).hour for o in items] == [10, 10, 10]
    assert items[1].start - items[0].start == timedelta(weeks=1)
    assert items[2].start - items[1].start == timedelta(weeks=1, hours=-1)
