"""Unit tests of find_blocks on small hand-built clinics (New York, March 2026)."""

from __future__ import annotations

from datetime import date, time, timedelta

from plexus.engines.slots import (
    Busy,
    Clinic,
    Location,
    Preferences,
    Room,
    WeeklyHours,
    find_blocks,
    find_blocks_reference,
)

from .helpers import NY, cal, comp, iv, local_times, ny, request, weekdays

ONE_MD = Clinic((Location(1, "America/New_York"),), (cal(1, "MD"),), (Room(10, 1, "exam"),))
EXAM_60 = (comp(1, 60, "exam", "MD"),)


def starts_and_utc(blocks: tuple) -> list[tuple[str, int]]:
    return [(b.start.astimezone(NY).strftime("%m-%d %H:%M"), b.start.utctimetuple().tm_hour) for b in blocks]


def test_hours_stay_local_across_spring_forward() -> None:
    clinic = Clinic(
        (Location(1, "America/New_York"),), (cal(1, "MD", weekly=weekdays(days=range(7))),), (Room(10, 1, "exam"),)
    )
    prefs = Preferences(earliest_time=time(9), latest_time=time(10))
    blocks = find_blocks(request(EXAM_60, ny(2026, 3, 6), ny(2026, 3, 10), prefs=prefs), clinic, Busy())
    # 09:00 local every day: 14:00 UTC in EST, 13:00 UTC from Sunday 8 March (EDT, a 23-hour day).
    assert starts_and_utc(blocks) == [
        ("03-06 09:00", 14),
        ("03-07 09:00", 14),
        ("03-08 09:00", 13),
        ("03-09 09:00", 13),
    ]


def test_hours_stay_local_across_fall_back() -> None:
    clinic = Clinic(
        (Location(1, "America/New_York"),), (cal(1, "MD", weekly=weekdays(days=range(7))),), (Room(10, 1, "exam"),)
    )
    comps = (comp(1, 480, "exam", "MD"),)  # the whole 09:00-17:00 day
    blocks = find_blocks(request(comps, ny(2026, 10, 30), ny(2026, 11, 3), step=60), clinic, Busy())
    assert starts_and_utc(blocks) == [
        ("10-30 09:00", 13),
        ("10-31 09:00", 13),
        ("11-01 09:00", 14),
        ("11-02 09:00", 14),
    ]
    assert all(b.end.astimezone(NY).time() == time(17) for b in blocks)


def test_last_start_of_the_day_respects_closing_time_after_dst() -> None:
    blocks = find_blocks(request(EXAM_60, ny(2026, 3, 9), ny(2026, 3, 10), step=60, limit=20), ONE_MD, Busy())
    assert local_times(blocks) == [f"2026-03-09 {h:02d}:00" for h in range(9, 17)]


def test_time_off_extra_hours_and_closures() -> None:
    saturday = ny(2026, 3, 7, 10), ny(2026, 3, 7, 12)
    doctor = cal(1, "MD", extra=(iv(*saturday),), time_off=(iv(ny(2026, 3, 2, 9), ny(2026, 3, 2, 12)),))
    clinic = Clinic((Location(1, "America/New_York"),), (doctor,), (Room(10, 1, "exam"),))
    assert local_times(find_blocks(request(EXAM_60, ny(2026, 3, 2), ny(2026, 3, 3), limit=1), clinic, Busy())) == [
        "2026-03-02 12:00"
    ]
    found = find_blocks(request(EXAM_60, ny(2026, 3, 7), ny(2026, 3, 9), limit=10), clinic, Busy())
    assert local_times(found) == [
        "2026-03-07 10:00",
        "2026-03-07 10:15",
        "2026-03-07 10:30",
        "2026-03-07 10:45",
        "2026-03-07 11:00",
    ]

    closed = Clinic(
        (Location(1, "America/New_York", closures=(date(2026, 3, 2),)),), (cal(1, "MD"),), (Room(10, 1, "exam"),)
    )
    assert local_times(find_blocks(request(EXAM_60, ny(2026, 3, 2), ny(2026, 3, 4), limit=1), closed, Busy())) == [
        "2026-03-03 09:00"
    ]


def test_time_off_on_one_calendar_applies_at_every_location() -> None:
    clinic = Clinic(
        (Location(1, "America/New_York"), Location(2, "America/New_York")),
        (
            cal(
                1, "MD", 1, weekly=(WeeklyHours(0, time(9), time(17)),), time_off=(iv(ny(2026, 3, 3), ny(2026, 3, 4)),)
            ),
            cal(1, "MD", 2, weekly=(WeeklyHours(1, time(9), time(17)), WeeklyHours(2, time(9), time(17)))),
        ),
        (Room(10, 1, "exam"), Room(20, 2, "exam")),
    )
    blocks = find_blocks(request(EXAM_60, ny(2026, 3, 3), ny(2026, 3, 5), limit=1), clinic, Busy())
    assert local_times(blocks) == ["2026-03-04 09:00"]
    assert blocks[0].location_id == 2


def test_room_hours_and_room_closure() -> None:
    clinic = Clinic(
        (Location(1, "America/New_York"),),
        (cal(1, "MD"),),
        (
            Room(10, 1, "exam", weekly=weekdays(time(13), time(17))),
            Room(11, 1, "exam", closures=(iv(ny(2026, 3, 2, 8), ny(2026, 3, 2, 11)),)),
        ),
    )
    blocks = find_blocks(request(EXAM_60, ny(2026, 3, 2), ny(2026, 3, 3), step=60, limit=8), clinic, Busy())
    assert [(t, b.components[0].room_id) for t, b in zip(local_times(blocks), blocks, strict=True)] == [
        ("2026-03-02 11:00", 11),
        ("2026-03-02 12:00", 11),
        ("2026-03-02 13:00", 10),
        ("2026-03-02 14:00", 10),
        ("2026-03-02 15:00", 10),
        ("2026-03-02 16:00", 10),
    ]


def test_buffer_after_must_not_reach_the_next_appointment() -> None:
    busy = Busy(practitioner_busy={1: (iv(ny(2026, 3, 2, 10), ny(2026, 3, 2, 11)),)})
    rng = ny(2026, 3, 2), ny(2026, 3, 3)
    fits = (comp(1, 45, "exam", "MD", buffer_after=timedelta(minutes=15)),)
    too_long = (comp(1, 50, "exam", "MD", buffer_after=timedelta(minutes=15)),)
    assert local_times(find_blocks(request(fits, *rng, limit=1), ONE_MD, busy)) == ["2026-03-02 09:00"]
    assert local_times(find_blocks(request(too_long, *rng, limit=1), ONE_MD, busy)) == ["2026-03-02 11:00"]


def test_room_turnover_blocks_the_room_after_the_visit() -> None:
    busy = Busy(room_busy={10: (iv(ny(2026, 3, 2, 10), ny(2026, 3, 2, 11)),)})
    rng = ny(2026, 3, 2), ny(2026, 3, 3)
    no_reset = (comp(1, 60, "exam", "MD"),)
    reset = (comp(1, 60, "exam", "MD", room_turnover=timedelta(minutes=15)),)
    assert local_times(find_blocks(request(no_reset, *rng, limit=1), ONE_MD, busy)) == ["2026-03-02 09:00"]
    assert local_times(find_blocks(request(reset, *rng, limit=1), ONE_MD, busy)) == ["2026-03-02 11:00"]


def test_same_practitioner_twice_waits_for_own_buffer() -> None:
    comps = (
        comp(1, 30, "exam", "MD", buffer_after=timedelta(minutes=10)),
        comp(2, 30, "exam", "MD", min_gap=timedelta(0), max_gap=timedelta(minutes=30)),
    )
    (block,) = find_blocks(request(comps, ny(2026, 3, 2), ny(2026, 3, 3), step=5, limit=1), ONE_MD, Busy())
    first, second = block.components
    assert (first.practitioner_id, second.practitioner_id) == (1, 1)
    assert second.start - first.end == timedelta(minutes=10) == block.total_wait
    assert block.end == ny(2026, 3, 2, 10, 10)


def test_sequential_components_take_the_least_wait() -> None:
    clinic = Clinic(
        (Location(1, "America/New_York"),),
        (cal(1, "MD"), cal(2, "LAc")),
        (Room(10, 1, "exam"), Room(11, 1, "treatment")),
    )
    busy = Busy(practitioner_busy={2: (iv(ny(2026, 3, 2, 9), ny(2026, 3, 2, 9, 45)),)})
    comps = (comp(1, 30, "exam", "MD"), comp(2, 45, "treatment", "LAc", max_gap=timedelta(minutes=30)))
    blocks = find_blocks(request(comps, ny(2026, 3, 2), ny(2026, 3, 3), step=5, limit=3), clinic, busy)
    assert [(local_times([b])[0], b.total_wait) for b in blocks] == [
        ("2026-03-02 09:00", timedelta(minutes=15)),
        ("2026-03-02 09:05", timedelta(minutes=10)),
        ("2026-03-02 09:10", timedelta(minutes=5)),
    ]
    assert blocks[0].components[1].start == ny(2026, 3, 2, 9, 45)


def test_max_gap_that_cannot_be_met_moves_the_block() -> None:
    clinic = Clinic(
        (Location(1, "America/New_York"),),
        (cal(1, "MD"), cal(2, "LAc")),
        (Room(10, 1, "exam"), Room(11, 1, "treatment")),
    )
    busy = Busy(practitioner_busy={2: (iv(ny(2026, 3, 2, 9, 30), ny(2026, 3, 2, 11)),)})
    comps = (comp(1, 30, "exam", "MD"), comp(2, 45, "treatment", "LAc", max_gap=timedelta(minutes=30)))
    (block,) = find_blocks(request(comps, ny(2026, 3, 2), ny(2026, 3, 3), limit=1), clinic, busy)
    # 09:00 and 09:30 cannot reach 11:00 within 30 minutes; 10:00 waits the full 30 (max_gap is inclusive).
    assert local_times([block]) == ["2026-03-02 10:00"]
    assert block.total_wait == timedelta(minutes=30)
    assert block.components[1].start == ny(2026, 3, 2, 11)


def test_concurrent_components_start_together_on_distinct_resources() -> None:
    clinic = Clinic(
        (Location(1, "America/New_York"),),
        (cal(1, "NP"), cal(2, "HC"), cal(3, "HC"), cal(4, "LMT")),
        (Room(10, 1, "infusion"), Room(11, 1, "consult"), Room(12, 1, "massage")),
    )
    comps = (
        comp(1, 90, "infusion", "NP"),
        comp(2, 30, "consult", "HC", concurrent_with=0),
        comp(3, 60, "massage", "LMT", min_gap=timedelta(minutes=10), max_gap=timedelta(minutes=20)),
    )
    busy = Busy(practitioner_busy={2: (iv(ny(2026, 3, 2, 9), ny(2026, 3, 2, 12)),)})
    (block,) = find_blocks(request(comps, ny(2026, 3, 2), ny(2026, 3, 3), limit=1), clinic, busy)
    infusion, coaching, massage = block.components
    assert infusion.start == coaching.start == ny(2026, 3, 2, 9)
    assert coaching.practitioner_id == 3  # coach 2 is busy
    assert massage.start == infusion.end + timedelta(minutes=10)  # after the longer concurrent part
    assert block.total_wait == timedelta(minutes=10)
    assert block.end == ny(2026, 3, 2, 11, 40)


def test_two_concurrent_components_of_one_practitioner_are_impossible() -> None:
    comps = (comp(1, 30, "exam", "MD"), comp(2, 30, "exam", "MD", concurrent_with=0))
    clinic = Clinic((Location(1, "America/New_York"),), (cal(1, "MD"),), (Room(10, 1, "exam"), Room(11, 1, "exam")))
    assert find_blocks(request(comps, ny(2026, 3, 2), ny(2026, 3, 4)), clinic, Busy()) == ()


def test_preferences_filter_and_rank() -> None:
    clinic = Clinic(
        (Location(1, "America/New_York"), Location(2, "America/Chicago")),
        (cal(1, "MD", 1), cal(2, "MD", 1), cal(3, "MD", 2)),
        (Room(10, 1, "exam"), Room(20, 2, "exam")),
    )
    rng = ny(2026, 3, 2), ny(2026, 3, 9)
    plain = find_blocks(request(EXAM_60, *rng, limit=1), clinic, Busy())
    assert (plain[0].location_id, plain[0].components[0].practitioner_id, plain[0].preferred_count) == (1, 1, 0)
    liked = find_blocks(
        request(EXAM_60, *rng, limit=1, prefs=Preferences(preferred_practitioners=frozenset({2}))), clinic, Busy()
    )
    assert (liked[0].components[0].practitioner_id, liked[0].preferred_count) == (2, 1)
    chicago = Preferences(location_id=2, weekdays=frozenset({2}), earliest_time=time(14), latest_time=time(16))
    blocks = find_blocks(request(EXAM_60, *rng, limit=10, prefs=chicago), clinic, Busy())
    assert [b.start.astimezone(NY).strftime("%a %H:%M") for b in blocks] == [
        "Wed 15:00",
        "Wed 15:15",
        "Wed 15:30",
        "Wed 15:45",
        "Wed 16:00",  # 14:00-15:00 Chicago time
    ]
    assert {b.location_id for b in blocks} == {2}


def test_never_before_now_and_on_the_grid() -> None:
    blocks = find_blocks(
        request(EXAM_60, ny(2026, 3, 2), ny(2026, 3, 3), now=ny(2026, 3, 2, 10, 7), limit=2), ONE_MD, Busy()
    )
    assert local_times(blocks) == ["2026-03-02 10:15", "2026-03-02 10:30"]


def test_block_must_end_inside_the_range() -> None:
    blocks = find_blocks(request(EXAM_60, ny(2026, 3, 2), ny(2026, 3, 2, 10, 30), step=15), ONE_MD, Busy())
    assert local_times(blocks) == ["2026-03-02 09:00", "2026-03-02 09:15", "2026-03-02 09:30"]


def test_patient_busy_is_respected() -> None:
    busy = Busy(patient_busy=(iv(ny(2026, 3, 2, 8), ny(2026, 3, 2, 13)),))
    blocks = find_blocks(request(EXAM_60, ny(2026, 3, 2), ny(2026, 3, 3), limit=1), ONE_MD, busy)
    assert local_times(blocks) == ["2026-03-02 13:00"]


def test_unsorted_busy_input_is_accepted() -> None:
    busy = Busy(
        practitioner_busy={1: [iv(ny(2026, 3, 2, 12), ny(2026, 3, 2, 17)), iv(ny(2026, 3, 2, 9), ny(2026, 3, 2, 11))]}
    )
    blocks = find_blocks(request(EXAM_60, ny(2026, 3, 2), ny(2026, 3, 3), limit=3), ONE_MD, busy)
    assert local_times(blocks) == ["2026-03-02 11:00"]


def test_engine_matches_reference_on_a_three_component_visit() -> None:
    clinic = Clinic(
        (Location(1, "America/New_York"),),
        (cal(1, "MD"), cal(2, "LAc"), cal(3, "LAc"), cal(4, "LMT")),
        (Room(10, 1, "exam"), Room(11, 1, "treatment"), Room(12, 1, "massage")),
    )
    busy = Busy(
        practitioner_busy={
            2: (iv(ny(2026, 3, 2, 9, 30), ny(2026, 3, 2, 10, 15)),),
            4: (iv(ny(2026, 3, 2, 10, 30), ny(2026, 3, 2, 11, 30)),),
        },
        room_busy={11: (iv(ny(2026, 3, 2, 11), ny(2026, 3, 2, 12)),)},
    )
    comps = (
        comp(1, 30, "exam", "MD"),
        comp(2, 45, "treatment", "LAc"),
        comp(3, 60, "massage", "LMT", room_turnover=timedelta(minutes=15)),
    )
    req = request(comps, ny(2026, 3, 2), ny(2026, 3, 3), step=5, limit=6)
    blocks = find_blocks(req, clinic, busy)
    assert blocks == find_blocks_reference(req, clinic, busy)
    # 09:00 cannot reach the massage therapist's 11:30 opening within the gaps; 09:15 can, waiting 60.
    first = blocks[0]
    assert local_times([first]) == ["2026-03-02 09:15"]
    assert first.total_wait == timedelta(minutes=60)
    assert [c.practitioner_id for c in first.components] == [1, 2, 4]
    assert [c.start for c in first.components] == [
        ny(2026, 3, 2, 9, 15),
        ny(2026, 3, 2, 10, 15),
        ny(2026, 3, 2, 11, 30),
    ]


def test_more_preferred_practitioners_beat_earlier_component_starts_at_equal_wait() -> None:
    clinic = Clinic(
        (Location(1, "America/New_York"),),
        (cal(1, "MD"), cal(2, "LAc"), cal(3, "LAc"), cal(4, "LMT")),
        (Room(10, 1, "exam"), Room(11, 1, "treatment"), Room(12, 1, "massage")),
    )
    busy = Busy(
        practitioner_busy={
            3: (iv(ny(2026, 3, 2, 9, 30), ny(2026, 3, 2, 9, 40)),),
            4: (iv(ny(2026, 3, 2, 10), ny(2026, 3, 2, 10, 25)),),
        }
    )
    comps = (comp(1, 30, "exam", "MD"), comp(2, 45, "treatment", "LAc"), comp(3, 60, "massage", "LMT"))
    prefs = Preferences(preferred_practitioners=frozenset({3}))
    req = request(comps, ny(2026, 3, 2, 9), ny(2026, 3, 2, 12), step=5, limit=1, prefs=prefs)
    (block,) = find_blocks(req, clinic, busy)
    # Gaps (0, 10) and (10, 0) both wait 10 minutes; only the second can use preferred acupuncturist 3.
    assert block.total_wait == timedelta(minutes=10)
    assert [c.practitioner_id for c in block.components] == [1, 3, 4]
    assert block.components[1].start == ny(2026, 3, 2, 9, 40)
    assert block.preferred_count == 1
    assert (block,) == find_blocks_reference(req, clinic, busy)
