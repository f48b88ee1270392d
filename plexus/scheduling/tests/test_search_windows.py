"""The growing search window gives exactly the answer of one search over the whole range."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from plexus.core.models import Location
from plexus.engines import slots
from plexus.scheduling import selectors
from plexus.scheduling.demo import generate_bookings

from .conftest import NOW, pdx


@pytest.mark.parametrize("limit", [3, 10, 40])
def test_windowed_search_equals_whole_range(sched, svc, monkeypatch, limit):
    generate_bookings(first_day=date(2026, 11, 30), last_day=date(2027, 1, 10), now=NOW, per_day=30, hole_chance=0.1)
    asks = [selectors.ComponentAsk(svc["md"].pk), selectors.ComponentAsk(svc["acu"].pk),
            selectors.ComponentAsk(svc["massage"].pk)]
    portland = Location.objects.get(name="Portland Downtown").pk
    for start, prefs in [(pdx(1, 8), slots.Preferences()), (pdx(3, 12), slots.Preferences(location_id=portland))]:
        kwargs = dict(asks=asks, range_start=start, range_end=start + timedelta(days=35), now=NOW, limit=limit,
                      preferences=prefs)
        windowed = selectors.slot_search(**kwargs)
        monkeypatch.setattr(selectors, "SEARCH_WINDOWS", ())
        whole = selectors.slot_search(**kwargs)
        monkeypatch.undo()
        assert windowed == whole
        assert len(whole) == limit


def test_busy_covers_the_range_the_tail_after_it_and_what_runs_into_it(admin_actor, patient, three, prac, room, svc):
    from plexus.scheduling import services

    svc["acu"].buffer_minutes = 15
    svc["acu"].save()
    svc["massage"].room_turnover_minutes = 15
    svc["massage"].save()
    services.visit_block_book(actor=admin_actor, patient=patient, components=three)  # 09:00-11:00 on 1 Dec
    li, massage_a = prac["li"].pk, room["Massage A"].pk

    def busy(start, end):
        b = selectors.load_busy(start=start, end=end, practitioner_ids={li}, room_ids={massage_a},
                                patient_id=patient.pk)
        return ([(i.start, i.end) for i in b.practitioner_busy.get(li, ())],
                [(i.start, i.end) for i in b.room_busy.get(massage_a, ())], len(b.patient_busy))

    # Acupuncture 09:30-10:00 holds Li until 10:15 (15-minute buffer); the massage room until 11:15.
    assert busy(pdx(1, 0), pdx(1, 9, 20)) == ([(pdx(1, 9, 30), pdx(1, 10, 15))], [], 2)  # starts in the tail
    assert busy(pdx(1, 10, 10), pdx(1, 12))[0] == [(pdx(1, 9, 30), pdx(1, 10, 15))]  # still running at the start
    assert busy(pdx(1, 10, 30), pdx(1, 12))[0] == []
    assert busy(pdx(1, 11, 5), pdx(1, 12))[1]  # the room's turnover after the massage
    assert busy(pdx(2, 0), pdx(3, 0)) == ([], [], 0)
    loader = selectors.BusyLoader(start=pdx(1, 0), practitioner_ids={li}, room_ids={massage_a})
    assert not loader.extend(pdx(1, 8)).practitioner_busy.get(li)
    grown = loader.extend(pdx(2, 0))  # only the new rows are fetched; the result is the whole window's
    assert [(i.start, i.end) for i in grown.practitioner_busy[li]] == [(pdx(1, 9, 30), pdx(1, 10, 15))]
    assert loader.extend(pdx(1, 12)) is not None  # shrinking asks nothing new
