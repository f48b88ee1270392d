"""Find the earliest feasible visit blocks.

What "earliest N" means: a *candidate start* is an instant ``t`` on the granularity grid (multiples
of the granularity since the Unix epoch) with ``t >= max(range_start, now)``. For every candidate
start the engine keeps the single best block starting at ``t``, over all locations, gap choices,
practitioners and rooms, by the key::

    (total_wait, -preferred_count, location_id, component starts, practitioner ids, room ids)

(tuples compared lexicographically, in component order). The result is the best block of each of
the first ``limit`` candidate starts that have any feasible block, in increasing start order, so it
is sorted by ``(start, total_wait, -preferred_count)``. :mod:`.reference` computes the same thing
by brute force.

A block is feasible when, for every component with practitioner ``p``, room ``r`` at
``[s, e)``: ``[s, e)`` lies in ``p``'s available hours at the block's location and in ``r``'s open
hours; ``[s, e + buffer_after)`` misses ``p``'s busy intervals and ``[s, e + room_turnover)`` misses
``r``'s; ``[s, e)`` misses the patient's busy intervals; two components sharing a practitioner (or
room) do not overlap including buffer (or turnover); the block lies in ``[range_start, range_end)``
and satisfies the hard preferences.

How it is fast: the horizon is scanned one day-window at a time. Per window, each eligible
resource's feasible *start set* for each component is an integer interval set (availability and
free time eroded by the length needed); their unions, shifted back by each component's offset
range, bound the block starts worth trying, so whole busy stretches are skipped. Each surviving
start is then solved exactly: gap choices by depth-first search, practitioners and rooms by an
assignment search (independent, because the two never constrain each other).
"""

from __future__ import annotations

from bisect import bisect_right
from dataclasses import dataclass, field
from datetime import timedelta

from .availability import BusyFeed, LocalClock, closure_spans, interval_spans, weekly_spans, window
from .intervals import (
    Span,
    SpanIndex,
    backshift,
    complement,
    erode,
    grid_points,
    intersect,
    merge,
    subtract,
    to_datetime,
    union,
)
from .model import BlockOption, Busy, Clinic, PlacedComponent, SearchRequest
from .validation import ComponentPlan, LocationPlan, Plan, build_plan

_WINDOW = 86_400
_Key = tuple[int, int, tuple[int, ...], tuple[int, ...], tuple[int, ...]]
_Cands = tuple[tuple[int, ...], tuple[int, ...]]


def find_blocks(request: SearchRequest, clinic: Clinic, busy: Busy) -> tuple[BlockOption, ...]:
    """Return the earliest ``request.limit`` visit blocks (see the module docstring for the order).

    Raise :class:`SlotSearchError` (naming the component and field) for bad input. Return fewer
    blocks, possibly none, when the range holds fewer.
    """
    plan = build_plan(request, clinic)
    return _Engine(plan, request, busy).run()


def assign(
    cands: list[tuple[int, ...]], occupancy: list[Span], weight: frozenset[int]
) -> tuple[int, tuple[int, ...]] | None:
    """Pick one id per component, ascending candidate tuples given, maximising picks in ``weight``.

    Two components may share an id only if their ``occupancy`` spans do not overlap. Among the
    choices with the most weighted picks return the lexicographically smallest, as
    ``(weighted_count, ids)``; return None when no choice is conflict-free.
    """
    choice: list[int] = []
    total = 0
    for c in cands:
        pick = c[0]
        if weight:
            for x in c:
                if x in weight:
                    pick = x
                    total += 1
                    break
        choice.append(pick)
    n = len(choice)
    if not _has_conflict(choice, occupancy, n):
        return total, tuple(choice)
    # Rare: a shared candidate would be double-booked; search exhaustively in lexicographic order.
    rem = [0] * (n + 1)
    for i in range(n - 1, -1, -1):
        rem[i] = rem[i + 1] + (1 if weight and any(x in weight for x in cands[i]) else 0)
    best: list[tuple[int, tuple[int, ...]]] = []
    picked: list[int] = []

    def rec(i: int, w: int) -> None:
        if best and w + rem[i] <= best[0][0]:
            return
        if i == n:
            best[:] = [(w, tuple(picked))]
            return
        s_i, e_i = occupancy[i]
        for x in cands[i]:
            if any(picked[j] == x and occupancy[j][0] < e_i and s_i < occupancy[j][1] for j in range(i)):
                continue
            picked.append(x)
            rec(i + 1, w + (1 if x in weight else 0))
            picked.pop()

    rec(0, 0)
    return best[0] if best else None


def _has_conflict(choice: list[int], occupancy: list[Span], n: int) -> bool:
    for i in range(n):
        for j in range(i + 1, n):
            if (
                choice[i] == choice[j]
                and occupancy[i][0] < occupancy[j][1]
                and occupancy[j][0] < occupancy[i][1]
            ):
                return True
    return False


@dataclass(slots=True)
class _LocWindow:
    """Hold one location's per-window start indexes and pruned block starts."""

    plan: LocationPlan
    practitioners: list[list[tuple[int, SpanIndex]]]
    rooms: list[list[tuple[int, SpanIndex]]]
    patient: list[SpanIndex]
    pref_starts: list[int]
    pref_limits: list[int]
    bound: int
    cache: dict[tuple[int, int], _Cands | None] = field(default_factory=dict)


class _Engine:
    """Run one search; holds per-request caches. Use once."""

    def __init__(self, plan: Plan, request: SearchRequest, busy: Busy) -> None:
        self.plan = plan
        self.request = request
        self.prefs = request.preferences
        self.preferred = request.preferences.preferred_practitioners
        self.clock = LocalClock()
        pids = sorted({p for lp in plan.locations for ids in lp.practitioners for p in ids})
        rids = sorted({r for lp in plan.locations for ids in lp.rooms for r in ids})
        self.p_feed = {p: BusyFeed(busy.practitioner_busy.get(p, ())) for p in pids}
        self.r_feed = {r: BusyFeed(busy.room_busy.get(r, ())) for r in rids}
        self.pat_feed = BusyFeed(busy.patient_busy)
        off: dict[int, list[Span]] = {p: [] for p in pids}
        for (pid, _), cal in plan.calendars.items():
            if pid in off:
                off[pid].extend(interval_spans(cal.time_off, outward=True))
        self.time_off = {p: merge(spans) for p, spans in off.items()}
        self.extra = {
            key: interval_spans(cal.extra, outward=False)
            for key, cal in plan.calendars.items()
            if key[0] in off
        }
        self.loc_closures = {
            lp.location.location_id: closure_spans(self.clock, lp.location.closures, lp.tz)
            for lp in plan.locations
        }
        self.room_closures = {r: interval_spans(plan.rooms[r].closures, outward=True) for r in rids}
        self.t_hi = plan.range_end - plan.min_span + 1
        self._busy_cache: dict[tuple[str, int], list[Span]] = {}
        self._start_cache: dict[tuple[str, int, int, int, int], list[Span]] = {}

    def run(self) -> tuple[BlockOption, ...]:
        """Scan day-windows until ``limit`` blocks are found or the range is exhausted."""
        results: list[BlockOption] = []
        w0 = self.plan.first_start
        while w0 < self.t_hi and len(results) < self.request.limit:
            w1 = min(w0 + _WINDOW, self.t_hi)
            self._scan(w0, w1, results)
            w0 = w1
        return tuple(results)

    def _scan(self, w0: int, w1: int, results: list[BlockOption]) -> None:
        d_lo, d_hi = w0, w1 + self.plan.max_reach
        self._busy_cache.clear()
        self._start_cache.clear()
        starts: dict[int, list[_LocWindow]] = {}
        for lp in self.plan.locations:
            lw, r0 = self._location_window(lp, w0, w1, d_lo, d_hi)
            if lw is not None:
                for t in grid_points(r0, self.plan.step):
                    starts.setdefault(t, []).append(lw)
        for t in sorted(starts):
            best: (
                tuple[tuple[int, int, int, tuple[int, ...], tuple[int, ...], tuple[int, ...]], _LocWindow]
                | None
            )
            best = None
            for lw in starts[t]:
                key = self._best_block(t, lw)
                if key is not None:
                    full = (key[0], key[1], lw.plan.location.location_id, key[2], key[3], key[4])
                    if best is None or full < best[0]:
                        best = (full, lw)
            if best is not None:
                results.append(self._option(t, best[0]))
                if len(results) >= self.request.limit:
                    return

    # ----- per-window interval sets -------------------------------------------------------------

    def _busy(self, kind: str, rid: int, d_lo: int, d_hi: int) -> list[Span]:
        key = (kind, rid)
        spans = self._busy_cache.get(key)
        if spans is None:
            feed = self.p_feed[rid] if kind == "p" else self.r_feed[rid] if kind == "r" else self.pat_feed
            spans = complement(feed.spans(d_lo, d_hi), d_lo, d_hi)
            self._busy_cache[key] = spans
        return spans

    def _practitioner_starts(
        self, pid: int, lp: LocationPlan, c: ComponentPlan, d_lo: int, d_hi: int
    ) -> list[Span]:
        loc_id = lp.location.location_id
        key = ("p", pid, loc_id, c.duration, c.buffer_after)
        spans = self._start_cache.get(key)
        if spans is None:
            avail = self._start_cache.get(("pa", pid, loc_id, 0, 0))
            if avail is None:
                cal = self.plan.calendars[(pid, loc_id)]
                avail = union(
                    weekly_spans(self.clock, cal.weekly, lp.tz, d_lo, d_hi),
                    window(self.extra[(pid, loc_id)], d_lo, d_hi),
                )
                avail = subtract(avail, window(self.time_off[pid], d_lo, d_hi))
                avail = subtract(avail, window(self.loc_closures[loc_id], d_lo, d_hi))
                self._start_cache[("pa", pid, loc_id, 0, 0)] = avail
            spans = []
            if avail:
                free = self._busy("p", pid, d_lo, d_hi)
                spans = intersect(erode(avail, c.duration), erode(free, c.duration + c.buffer_after))
            self._start_cache[key] = spans
        return spans

    def _room_starts(self, rid: int, lp: LocationPlan, c: ComponentPlan, d_lo: int, d_hi: int) -> list[Span]:
        key = ("r", rid, 0, c.duration, c.room_turnover)
        spans = self._start_cache.get(key)
        if spans is None:
            avail = self._start_cache.get(("ra", rid, 0, 0, 0))
            if avail is None:
                room = self.plan.rooms[rid]
                if room.weekly is None:
                    avail = [(d_lo, d_hi)]
                else:
                    avail = weekly_spans(self.clock, room.weekly, lp.tz, d_lo, d_hi)
                avail = subtract(avail, window(self.room_closures[rid], d_lo, d_hi))
                avail = subtract(avail, window(self.loc_closures[lp.location.location_id], d_lo, d_hi))
                self._start_cache[("ra", rid, 0, 0, 0)] = avail
            spans = []
            if avail:
                free = self._busy("r", rid, d_lo, d_hi)
                spans = intersect(erode(avail, c.duration), erode(free, c.duration + c.room_turnover))
            self._start_cache[key] = spans
        return spans

    def _pref_spans(self, lp: LocationPlan, w0: int, w1: int) -> list[tuple[int, int, int]]:
        """Return (first start, start bound, end limit) spans allowed by the hard preferences."""
        prefs = self.prefs
        lo = max(w0, self.plan.first_start)
        if prefs.weekdays is None and prefs.earliest_time is None and prefs.latest_time is None:
            return [(lo, w1, self.plan.range_end)]
        out: list[tuple[int, int, int]] = []
        for day in self.clock.local_dates(lp.tz, w0, w1):
            if prefs.weekdays is not None and day.weekday() not in prefs.weekdays:
                continue
            day_lo, day_hi = self.clock.day_span(lp.tz, day)
            a = self.clock.ts(lp.tz, day, prefs.earliest_time) if prefs.earliest_time is not None else day_lo
            if prefs.latest_time is not None:
                limit = min(self.clock.ts(lp.tz, day, prefs.latest_time), self.plan.range_end)
                b = limit
            else:
                limit, b = self.plan.range_end, day_hi
            a, b = max(a, lo), min(b, w1)
            if a < b:
                out.append((a, b, limit))
        return out

    def _location_window(
        self, lp: LocationPlan, w0: int, w1: int, d_lo: int, d_hi: int
    ) -> tuple[_LocWindow | None, list[Span]]:
        pref = self._pref_spans(lp, w0, w1)
        r0 = merge((a, min(b, limit - self.plan.min_span + 1)) for a, b, limit in pref)
        if not r0:
            return None, r0
        pracs: list[list[tuple[int, SpanIndex]]] = []
        rooms: list[list[tuple[int, SpanIndex]]] = []
        patient: list[SpanIndex] = []
        for c in self.plan.components:
            p_sets = [
                (pid, self._practitioner_starts(pid, lp, c, d_lo, d_hi)) for pid in lp.practitioners[c.index]
            ]
            r_sets = [(rid, self._room_starts(rid, lp, c, d_lo, d_hi)) for rid in lp.rooms[c.index]]
            pat = erode(self._busy("u", 0, d_lo, d_hi), c.duration)
            feasible = pat
            p_union: list[Span] = []
            for _, spans in p_sets:
                p_union = union(p_union, spans)
            r_union: list[Span] = []
            for _, spans in r_sets:
                r_union = union(r_union, spans)
            feasible = intersect(intersect(feasible, p_union), r_union)
            r0 = intersect(r0, backshift(feasible, c.offset_lo, c.offset_hi))
            if not r0:
                return None, r0
            pracs.append([(pid, SpanIndex(spans)) for pid, spans in p_sets if spans])
            rooms.append([(rid, SpanIndex(spans)) for rid, spans in r_sets if spans])
            patient.append(SpanIndex(pat))
        bound = sum(1 for ids in lp.practitioners if any(p in self.preferred for p in ids))
        return (
            _LocWindow(
                plan=lp,
                practitioners=pracs,
                rooms=rooms,
                patient=patient,
                pref_starts=[a for a, _, _ in pref],
                pref_limits=[limit for _, _, limit in pref],
                bound=bound,
            ),
            r0,
        )

    # ----- exact solve for one start ------------------------------------------------------------

    def _cands(self, lw: _LocWindow, i: int, s: int) -> _Cands | None:
        key = (i, s)
        if key in lw.cache:
            return lw.cache[key]
        found: _Cands | None = None
        if s in lw.patient[i]:
            pr = tuple(pid for pid, idx in lw.practitioners[i] if s in idx)
            if pr:
                rm = tuple(rid for rid, idx in lw.rooms[i] if s in idx)
                if rm:
                    found = (pr, rm)
        lw.cache[key] = found
        return found

    def _best_block(self, t: int, lw: _LocWindow) -> _Key | None:
        comps = self.plan.components
        n = len(comps)
        step = self.plan.step
        limit = lw.pref_limits[bisect_right(lw.pref_starts, t) - 1]
        first = self._cands(lw, 0, t)
        if first is None or t + comps[0].duration > limit:
            return None
        starts = [t] + [0] * (n - 1)
        chosen: list[_Cands] = [first] + [first] * (n - 1)
        leaves: list[tuple[int, tuple[int, ...], tuple[_Cands, ...]]] = []

        def rec(i: int, wait: int, anchor: int) -> None:
            if i == n:
                leaves.append((wait, tuple(starts), tuple(chosen)))
                return
            c = comps[i]
            if c.concurrent_with is not None:
                options = [starts[c.concurrent_with]]
            else:
                base = anchor + c.min_gap
                options = [base + k * step for k in range(c.gap_choices)]
            for s in options:
                e = s + c.duration
                if e > limit:
                    break
                cands = self._cands(lw, i, s)
                if cands is None:
                    continue
                starts[i] = s
                chosen[i] = cands
                rec(i + 1, wait + (0 if c.concurrent_with is not None else s - anchor), max(anchor, e))

        rec(1, 0, t + comps[0].duration)
        if not leaves:
            return None
        leaves.sort(key=lambda leaf: leaf[0])
        best: _Key | None = None
        for wait, s_tuple, cands in leaves:
            if best is not None and wait > best[0]:
                break
            p_occ = [(s, s + c.duration + c.buffer_after) for s, c in zip(s_tuple, comps, strict=True)]
            pa = assign([x[0] for x in cands], p_occ, self.preferred)
            if pa is None:
                continue
            r_occ = [(s, s + c.duration + c.room_turnover) for s, c in zip(s_tuple, comps, strict=True)]
            ra = assign([x[1] for x in cands], r_occ, frozenset())
            if ra is None:
                continue
            key = (wait, -pa[0], s_tuple, pa[1], ra[1])
            if best is None or key < best:
                best = key
            if pa[0] >= lw.bound:
                break
        return best

    def _option(
        self, t: int, key: tuple[int, int, int, tuple[int, ...], tuple[int, ...], tuple[int, ...]]
    ) -> BlockOption:
        wait, neg_pref, loc_id, s_tuple, pracs, rooms = key
        placed = tuple(
            PlacedComponent(
                component_index=i,
                service_id=self.request.components[i].service_id,
                practitioner_id=pracs[i],
                room_id=rooms[i],
                start=to_datetime(s),
                end=to_datetime(s + c.duration),
            )
            for i, (s, c) in enumerate(zip(s_tuple, self.plan.components, strict=True))
        )
        return BlockOption(
            start=to_datetime(t),
            end=max(p.end for p in placed),
            location_id=loc_id,
            components=placed,
            total_wait=timedelta(seconds=wait),
            preferred_count=-neg_pref,
        )
