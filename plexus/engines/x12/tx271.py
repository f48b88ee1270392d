"""Parse 271 eligibility responses (005010X279A1) into frozen dataclasses.

One :class:`EligibilityResponse` is returned per subscriber (2000C) without dependents and per
dependent (2000D); AAA rejections from the payer and receiver levels are copied to each.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from .envelope import Transaction, transactions_of
from .lexer import Segment, gc_paused
from .values import amount, dec, parse_d8, parse_period

_SOURCE = frozenset({"NM1", "PER", "AAA", "REF"})
_RECEIVER = frozenset({"NM1", "REF", "N3", "N4", "AAA", "PRV", "PER"})
_MEMBER = frozenset({"TRN", "NM1", "REF", "N3", "N4", "AAA", "PRV", "DMG", "INS", "HI", "DTP", "MPI"})
_BENEFIT = frozenset({"HSD", "REF", "DTP", "AAA", "MSG", "III", "LS", "LE", "NM1", "N3", "N4", "PER", "PRV"})


@dataclass(frozen=True, slots=True)
class Entity:
    name: str
    identifier: str = ""
    first_name: str = ""


@dataclass(frozen=True, slots=True)
class MemberInfo:
    last_name: str
    first_name: str
    member_id: str
    birth_date: date | None
    gender: str
    group_number: str = ""


@dataclass(frozen=True, slots=True)
class Rejection:
    """An AAA segment: ``loop`` is where it appeared (2100A, 2100B, 2100C, 2110C, ...)."""

    loop: str
    valid_request: str
    reason: str
    follow_up: str


@dataclass(frozen=True, slots=True)
class DateInfo:
    qualifier: str
    start: date
    end: date | None = None


@dataclass(frozen=True, slots=True)
class Delivery:
    """HSD: e.g. VS 12 visits per 7 (day) 90 -> qualifier VS, quantity 12, period 7, periods 90."""

    qualifier: str
    quantity: Decimal | None
    unit: str
    sample_size: Decimal | None
    time_period: str
    periods: Decimal | None


@dataclass(frozen=True, slots=True)
class Benefit:
    """One EB segment with the HSD/MSG/DTP/REF/AAA that follow it."""

    code: str
    coverage_level: str
    service_types: tuple[str, ...]
    insurance_type: str
    plan_description: str
    time_period: str
    amount: Decimal | None
    percent: Decimal | None
    quantity_qualifier: str
    quantity: Decimal | None
    auth_required: str
    in_network: str
    procedure: tuple[str, ...] = ()
    deliveries: tuple[Delivery, ...] = ()
    messages: tuple[str, ...] = ()
    dates: tuple[DateInfo, ...] = ()
    references: tuple[tuple[str, str], ...] = ()
    rejections: tuple[Rejection, ...] = ()
    related_entities: tuple[Entity, ...] = ()


@dataclass(frozen=True, slots=True)
class EligibilityResponse:
    control_number: str
    trace_numbers: tuple[str, ...]
    payer: Entity
    provider: Entity
    subscriber: MemberInfo
    dependent: MemberInfo | None
    benefits: tuple[Benefit, ...]
    rejections: tuple[Rejection, ...]
    dates: tuple[DateInfo, ...]

    def benefits_for(self, service_type: str) -> list[Benefit]:
        """Benefits whose EB03 lists ``service_type``."""
        return [b for b in self.benefits if service_type in b.service_types]


class _Member:
    """Mutable accumulator for one 2000C/2000D level; ``ebs`` holds [EB, *following segments]."""

    __slots__ = ("dates", "dmg", "ebs", "group", "level", "nm1", "parent", "rejections", "traces")

    def __init__(self, level: str, parent: _Member | None) -> None:
        self.level, self.parent = level, parent
        self.traces: list[str] = []
        self.nm1: Segment | None = None
        self.dmg: Segment | None = None
        self.group = ""
        self.ebs: list[list[Segment]] = []
        self.rejections: list[Rejection] = []
        self.dates: list[DateInfo] = []

    def info(self) -> MemberInfo | None:
        nm1, dmg = self.nm1, self.dmg
        if nm1 is None:
            return None
        dob = parse_d8(dmg, 2) if dmg is not None and dmg.element(2) else None
        gender = dmg.element(3) if dmg is not None else ""
        return MemberInfo(nm1.element(3), nm1.element(4), nm1.element(9), dob, gender, self.group)


def _aaa(seg: Segment, loop: str) -> Rejection:
    return Rejection(loop, seg.element(1), seg.require(3, "reject reason code"), seg.element(4))


_EMPTY = ("",) * 13


def _num(text: str, seg: Segment, n: int) -> Decimal | None:
    if not text:
        return None
    return Decimal(text) if text.isdigit() else dec(text, seg, n)


def _benefit(eb: Segment, extra: list[Segment], loop: str) -> Benefit:
    els = eb.elements
    if len(els) < 13:
        els = els + _EMPTY[len(els):]
    code, level, stc, ins, plan, period, amt, pct, qq, qty, auth, network, proc = els[:13]
    if not code:
        raise eb.error("mandatory eligibility or benefit information code is missing", 1)
    if bool(qq) != bool(qty):
        raise eb.error("quantity qualifier and quantity must both be present", 9 if not qq else 10)
    rep = eb.delimiters.repetition
    service_types = tuple(stc.split(rep)) if stc and rep else ((stc,) if stc else ())
    procedure = eb.components(13) if proc else ()
    if not extra:
        return Benefit(code, level, service_types, ins, plan, period, _num(amt, eb, 7), _num(pct, eb, 8), qq,
                       _num(qty, eb, 10), auth, network, procedure)
    deliveries, messages, dates, refs, rejections, entities = [], [], [], [], [], []
    for seg in extra:
        sid = seg.seg_id
        if sid == "HSD":
            deliveries.append(Delivery(seg.element(1), amount(seg, 2), seg.element(3), amount(seg, 4),
                                       seg.element(5), amount(seg, 6)))
        elif sid == "MSG":
            messages.append(seg.element(1))
        elif sid == "DTP":
            start, end = parse_period(seg, 2, 3)
            dates.append(DateInfo(seg.element(1), start, end))
        elif sid == "REF":
            refs.append((seg.element(1), seg.element(2)))
        elif sid == "AAA":
            rejections.append(_aaa(seg, loop))
        elif sid == "NM1":
            entities.append(Entity(seg.element(3), seg.element(9), seg.element(4)))
    return Benefit(
        code, level, service_types, ins, plan, period, _num(amt, eb, 7), _num(pct, eb, 8), qq,
        _num(qty, eb, 10), auth, network, procedure, tuple(deliveries), tuple(messages), tuple(dates),
        tuple(refs), tuple(rejections), tuple(entities),
    )


_LOOPS = {"20": "2100A", "21": "2100B", "22": "2100C", "23": "2100D"}


def _parse(tx: Transaction) -> list[EligibilityResponse]:
    segs = tx.body
    if not segs or segs[0].seg_id != "BHT":
        raise (segs[0] if segs else tx.segments[-1]).error("mandatory segment BHT is missing here")
    payer = provider = None
    top_rejections: list[Rejection] = []
    members: list[_Member] = []
    by_hl: dict[str, _Member] = {}
    level = ""
    cur: _Member | None = None
    benefit: list[Segment] | None = None  # the open 2110 loop: [EB, *segments after it]
    allowed: frozenset[str] = frozenset()
    for seg in segs[1:]:
        sid = seg.seg_id
        if benefit is not None and sid in _BENEFIT:
            benefit.append(seg)
            continue
        if sid == "EB" and cur is not None:
            benefit = [seg]
            cur.ebs.append(benefit)
            continue
        if sid == "HL":
            benefit = None
            level = seg.require(3, "hierarchical level code")
            if level == "22" or level == "23":
                parent = by_hl.get(seg.element(2)) if level == "23" else None
                if level == "23" and parent is None:
                    raise seg.error("dependent level without a subscriber parent", 2)
                cur = _Member(level, parent)
                by_hl[seg.require(1, "hierarchical id")] = cur
                members.append(cur)
                allowed = _MEMBER
            elif level == "20" or level == "21":
                allowed = _SOURCE if level == "20" else _RECEIVER
            else:
                raise seg.error(f"unknown hierarchical level {level!r}", 3)
            continue
        if sid not in allowed or benefit is not None:
            raise seg.error(f"segment {sid} is not allowed in this 271 loop" if level else
                            "segment before the first HL")
        if sid == "AAA":
            rej = _aaa(seg, _LOOPS[level])
            if cur is not None:
                cur.rejections.append(rej)
            else:
                top_rejections.append(rej)
        elif sid == "NM1":
            if level == "20":
                payer = Entity(seg.element(3), seg.element(9), seg.element(4))
            elif level == "21":
                provider = Entity(seg.element(3), seg.element(9), seg.element(4))
            elif cur is not None:
                cur.nm1 = seg
        elif cur is None:
            continue
        elif sid == "TRN":
            cur.traces.append(seg.require(2, "trace number"))
        elif sid == "DMG":
            cur.dmg = seg
        elif sid == "REF" and seg.element(1) == "6P":
            cur.group = seg.element(2)
        elif sid == "DTP":
            start, end = parse_period(seg, 2, 3)
            cur.dates.append(DateInfo(seg.element(1), start, end))
    if payer is None or provider is None:
        raise tx.segments[0].error("271 lacks the 2100A payer or 2100B receiver NM1")
    out = []
    has_children = {id(m.parent) for m in members if m.parent is not None}
    for m in members:
        if m.level == "22" and id(m) in has_children and not m.ebs and not m.rejections:
            continue
        sub = m.parent if m.level == "23" else m
        assert sub is not None
        sub_info, own = sub.info(), m.info()
        if sub_info is None or own is None:
            raise tx.segments[0].error("271 subscriber or dependent lacks its NM1")
        loop = "2110C" if m.level == "22" else "2110D"
        out.append(EligibilityResponse(
            tx.control_number, tuple(m.traces or sub.traces), payer, provider, sub_info,
            own if m.level == "23" else None, tuple([_benefit(g[0], g[1:], loop) for g in m.ebs]),
            tuple(top_rejections + m.rejections), tuple(m.dates),
        ))
    return out


@gc_paused
def parse_271(text: str) -> list[EligibilityResponse]:
    """Parse every 271 transaction in ``text``; raise X12Error (segment, element) on bad input."""
    out: list[EligibilityResponse] = []
    for tx in transactions_of(text, "271"):
        out += _parse(tx)
    return out
