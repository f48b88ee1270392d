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
