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
from operator import itemgetter

from .assignment import assign
from .availability import BusyFeed, LocalClock, closure_spans, interval_spans, weekly_spans, window
from .intervals import (
    Span,
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
from .validation import LocationPlan, Plan, build_plan

_WINDOW = 86_400
_Key = tuple[int, int, tuple[int, ...], tuple[int, ...], tuple[int, ...]]
_Cands = tuple[tuple[int, ...], tuple[int, ...]]
_FullKey = tuple[int, int, int, tuple[int, ...], tuple[int, ...], tuple[int, ...]]
_FIRST = itemgetter(0)


def find_blocks(request: SearchRequest, clinic: Clinic, busy: Busy) -> tuple[BlockOption, ...]:
    """Return the earliest ``request.limit`` visit blocks (see the module docstring for the order).

    Raise :class:`SlotSearchError` (naming the component and field) for bad input. Return fewer
    blocks, possibly none, when the range holds fewer.
    """
    plan = build_plan(request, clinic)
    return _Engine(plan, request, busy).run()


@dataclass(slots=True)
class _LocWindow:
    """Hold one location's per-window feasible-start sets for every component."""

    plan: LocationPlan
    practitioners: list[list[tuple[int, list[Span]]]]
    rooms: list[list[tuple[int, list[Span]]]]
    patient: list[list[Span]]
    pref_starts: list[int]
    pref_limits: list[int]
    bound: int
    cache: dict[tuple[int, int], _Cands | None] = field(default_factory=dict)


def _member(spans: list[Span], x: int) -> bool:
    k = bisect_right(spans, x, key=_FIRST) - 1
    return k >= 0 and x < spans[k][1]


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
        zero = timedelta(0)
        self.feeds: dict[tuple[str, int], BusyFeed] = {("u", 0): BusyFeed(busy.patient_busy, busy.longest[("u", 0)])}
        for p in pids:
            self.feeds[("p", p)] = BusyFeed(busy.practitioner_busy.get(p, ()), busy.longest.get(("p", p), zero))
        for r in rids:
            self.feeds[("r", r)] = BusyFeed(busy.room_busy.get(r, ()), busy.longest.get(("r", r), zero))
        off: dict[int, list[Span]] = {p: [] for p in pids}
        for (pid, _), cal in plan.calendars.items():
            if pid in off:
                off[pid].extend(interval_spans(cal.time_off, outward=True))
        self.time_off = {p: merge(spans) for p, spans in off.items()}
        self.extra = {
            key: interval_spans(cal.extra, outward=False) for key, cal in plan.calendars.items() if key[0] in off
        }
        self.loc_closures = {
            lp.location.location_id: closure_spans(self.clock, lp.location.closures, lp.tz) for lp in plan.locations
        }
        self.room_closures = {r: interval_spans(plan.rooms[r].closures, outward=True) for r in rids}
        self.t_hi = plan.range_end - plan.min_span + 1
        self._avail: dict[tuple[str, int, int], list[Span]] = {}
        self._free: dict[tuple[str, int, int, int], list[Span]] = {}

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
        self._avail.clear()
        self._free.clear()
        starts: dict[int, list[_LocWindow]] = {}
        for lp in self.plan.locations:
            lw, r0 = self._location_window(lp, w0, w1, w1 + self.plan.max_reach)
            if lw is not None:
                for t in grid_points(r0, self.plan.step):
                    starts.setdefault(t, []).append(lw)
        for t in sorted(starts):
            best: tuple[_FullKey, _LocWindow] | None = None
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

    def _free_spans(self, kind: str, rid: int, lo: int, hi: int) -> list[Span]:
        key = (kind, rid, lo, hi)
        spans = self._free.get(key)
        if spans is None:
            spans = complement(self.feeds[(kind, rid)].spans(lo, hi), lo, hi)
            self._free[key] = spans
        return spans

    def _practitioner_hours(self, pid: int, lp: LocationPlan, lo: int, hi: int) -> list[Span]:
        loc_id = lp.location.location_id
        key = ("p", pid, loc_id)
        avail = self._avail.get(key)
        if avail is None:
            cal = self.plan.calendars[(pid, loc_id)]
            avail = union(
                weekly_spans(self.clock, cal.weekly, lp.tz, lo, hi), window(self.extra[(pid, loc_id)], lo, hi)
            )
            if avail:
                avail = subtract(avail, window(self.time_off[pid], lo, hi))
                avail = subtract(avail, window(self.loc_closures[loc_id], lo, hi))
            self._avail[key] = avail
        return avail

    def _room_hours(self, rid: int, lp: LocationPlan, lo: int, hi: int) -> list[Span]:
        key = ("r", rid, 0)
        avail = self._avail.get(key)
        if avail is None:
            room = self.plan.rooms[rid]
            avail = [(lo, hi)] if room.weekly is None else weekly_spans(self.clock, room.weekly, lp.tz, lo, hi)
            avail = subtract(avail, window(self.room_closures[rid], lo, hi))
            avail = subtract(avail, window(self.loc_closures[lp.location.location_id], lo, hi))
            self._avail[key] = avail
        return avail

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

    def _location_window(self, lp: LocationPlan, w0: int, w1: int, d_hi: int) -> tuple[_LocWindow | None, list[Span]]:
        """Bound the block starts in ``[w0, w1)`` at one location; return its start sets."""
        comps = self.plan.components
        pref = self._pref_spans(lp, w0, w1)
        r0 = merge((a, min(b, limit - self.plan.min_span + 1)) for a, b, limit in pref)
        # Phase 1: opening hours only (cheap); most closed or fully excluded days stop here.
        p_hours: list[list[tuple[int, list[Span]]]] = []
        r_hours: list[list[tuple[int, list[Span]]]] = []
        for c in comps:
            if not r0:
                return None, r0
            ph = [
                (pid, erode(self._practitioner_hours(pid, lp, w0, d_hi), c.duration))
                for pid in lp.practitioners[c.index]
            ]
            rh = [(rid, erode(self._room_hours(rid, lp, w0, d_hi), c.duration)) for rid in lp.rooms[c.index]]
            p_union: list[Span] = []
            for _, spans in ph:
                p_union = union(p_union, spans)
            r_union: list[Span] = []
            for _, spans in rh:
                r_union = union(r_union, spans)
            r0 = intersect(r0, backshift(intersect(p_union, r_union), c.offset_lo, c.offset_hi))
            p_hours.append([x for x in ph if x[1]])
            r_hours.append([x for x in rh if x[1]])
        if not r0:
            return None, r0
        # Phase 2: busy time, converted only for the stretch the surviving starts can reach.
        lo, hi = r0[0][0], min(d_hi, r0[-1][1] + self.plan.max_reach)
        pat_free = self._free_spans("u", 0, lo, hi)
        pracs: list[list[tuple[int, list[Span]]]] = []
        rooms: list[list[tuple[int, list[Span]]]] = []
        patient: list[list[Span]] = []
        for c in comps:
            p_sets = []
            p_union = []
            for pid, hours in p_hours[c.index]:
                spans = intersect(hours, erode(self._free_spans("p", pid, lo, hi), c.duration + c.buffer_after))
                if spans:
                    p_sets.append((pid, spans))
                    p_union = union(p_union, spans)
            r_sets = []
            r_union = []
            for rid, hours in r_hours[c.index]:
                spans = intersect(hours, erode(self._free_spans("r", rid, lo, hi), c.duration + c.room_turnover))
                if spans:
                    r_sets.append((rid, spans))
                    r_union = union(r_union, spans)
            pat = erode(pat_free, c.duration)
            feasible = intersect(intersect(pat, p_union), r_union)
            r0 = intersect(r0, backshift(feasible, c.offset_lo, c.offset_hi))
            if not r0:
                return None, r0
            pracs.append(p_sets)
            rooms.append(r_sets)
            patient.append(pat)
        bound = sum(1 for ids in lp.practitioners if any(p in self.preferred for p in ids))
        lw = _LocWindow(
            plan=lp,
            practitioners=pracs,
            rooms=rooms,
            patient=patient,
            pref_starts=[a for a, _, _ in pref],
            pref_limits=[limit for _, _, limit in pref],
            bound=bound,
        )
        return lw, r0

    # ----- exact solve for one start ------------------------------------------------------------

    def _cands(self, lw: _LocWindow, i: int, s: int) -> _Cands | None:
        key = (i, s)
        if key in lw.cache:
            return lw.cache[key]
        found: _Cands | None = None
        if _member(lw.patient[i], s):
            pr = tuple(pid for pid, spans in lw.practitioners[i] if _member(spans, s))
            if pr:
                rm = tuple(rid for rid, spans in lw.rooms[i] if _member(spans, s))
                if rm:
                    found = (pr, rm)
        lw.cache[key] = found
        return found

    def _expand(
        self,
        lw: _LocWindow,
        i: int,
        wait: int,
        anchor: int,
        limit: int,
        starts: list[int],
        chosen: list[_Cands],
        leaves: list[tuple[int, tuple[int, ...], tuple[_Cands, ...]]],
    ) -> None:
        """Enumerate gap choices of components ``i..`` depth-first, in increasing start order."""
        comps = self.plan.components
        if i == len(comps):
            leaves.append((wait, tuple(starts), tuple(chosen)))
            return
        c = comps[i]
        if c.concurrent_with is not None:
            options = [starts[c.concurrent_with]]
        else:
            base = anchor + c.min_gap
            options = [base + k * self.plan.step for k in range(c.gap_choices)]
        for s in options:
            e = s + c.duration
            if e > limit:
                break
            cands = self._cands(lw, i, s)
            if cands is None:
                continue
            starts[i] = s
            chosen[i] = cands
            extra = 0 if c.concurrent_with is not None else s - anchor
            self._expand(lw, i + 1, wait + extra, max(anchor, e), limit, starts, chosen, leaves)

    def _best_block(self, t: int, lw: _LocWindow) -> _Key | None:
        comps = self.plan.components
        n = len(comps)
        limit = lw.pref_limits[bisect_right(lw.pref_starts, t) - 1]
        first = self._cands(lw, 0, t)
        if first is None or t + comps[0].duration > limit:
            return None
        leaves: list[tuple[int, tuple[int, ...], tuple[_Cands, ...]]] = []
        self._expand(lw, 1, 0, t + comps[0].duration, limit, [t] * n, [first] * n, leaves)
        if not leaves:
            return None
        leaves.sort(key=_FIRST)
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

    def _option(self, t: int, key: _FullKey) -> BlockOption:
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
