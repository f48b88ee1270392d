"""Parse 271 eligibility responses (005010X279A1) into frozen dataclasses.

One :class:`EligibilityResponse` is returned per subscriber (2000C) without dependents and per
dependent (2000D); AAA rejections from the payer and receiver levels are copied to each.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from .envelope import Transaction, transactions_of
from .lexer import Segment
from .values import amount, opt_dec, padded, parse_d8, parse_period

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
    """Mutable accumulator for one 2000C/2000D level."""

    __slots__ = ("benefits", "dates", "info", "level", "parent", "rejections", "traces")

    def __init__(self, level: str, parent: _Member | None) -> None:
        self.level, self.parent = level, parent
        self.traces: list[str] = []
        self.info: MemberInfo | None = None
        self.benefits: list[Benefit] = []
        self.rejections: list[Rejection] = []
        self.dates: list[DateInfo] = []


def _aaa(seg: Segment, loop: str) -> Rejection:
    return Rejection(loop, seg.element(1), seg.require(3, "reject reason code"), seg.element(4))


def _benefit(eb: Segment, extra: list[Segment], loop: str) -> Benefit:
    code, level, stc, ins, plan, period, amt, pct, qq, qty, auth, network, proc = padded(eb, 13)[:13]
    if not code:
        raise eb.error("mandatory eligibility or benefit information code is missing", 1)
    if bool(qq) != bool(qty):
        raise eb.error("quantity qualifier and quantity must both be present", 9 if not qq else 10)
    rep = eb.delimiters.repetition
    service_types = tuple(stc.split(rep)) if stc and rep else ((stc,) if stc else ())
    deliveries, messages, dates, refs, rejections, entities = [], [], [], [], [], []
    suffix = loop[-1]
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
            rejections.append(_aaa(seg, f"2110{suffix}"))
        elif sid == "NM1":
            entities.append(Entity(seg.element(3), seg.element(9), seg.element(4)))
    return Benefit(
        code, level, service_types, ins, plan, period, opt_dec(amt, eb, 7), opt_dec(pct, eb, 8), qq,
        opt_dec(qty, eb, 10), auth, network, eb.components(13) if proc else (), tuple(deliveries),
        tuple(messages), tuple(dates), tuple(refs), tuple(rejections), tuple(entities),
    )


def _member_info(seg: Segment) -> MemberInfo:
    return MemberInfo(seg.element(3), seg.element(4), seg.element(9), None, "")


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
    eb: Segment | None = None
    extra: list[Segment] = []

    def close_benefit() -> None:
        nonlocal eb
        if eb is not None and cur is not None:
            cur.benefits.append(_benefit(eb, extra, "2110" + ("C" if cur.level == "22" else "D")))
            eb = None
            extra.clear()

    for seg in segs[1:]:
        sid = seg.seg_id
        if sid == "HL":
            close_benefit()
            level = seg.require(3, "hierarchical level code")
            if level in ("22", "23"):
                parent = by_hl.get(seg.element(2)) if level == "23" else None
                if level == "23" and parent is None:
                    raise seg.error("dependent level without a subscriber parent", 2)
                cur = _Member(level, parent)
                by_hl[seg.require(1, "hierarchical id")] = cur
                members.append(cur)
            elif level not in ("20", "21"):
                raise seg.error(f"unknown hierarchical level {level!r}", 3)
            continue
        if level == "20":
            allowed = _SOURCE
        elif level == "21":
            allowed = _RECEIVER
        elif level:
            allowed = _BENEFIT if eb is not None else _MEMBER
        else:
            raise seg.error("segment before the first HL")
        if sid == "EB" and level in ("22", "23"):
            close_benefit()
            eb = seg
            continue
        if sid not in allowed:
            raise seg.error(f"segment {sid} is not allowed in this 271 loop")
        if eb is not None:
            extra.append(seg)
            continue
        loop = {"20": "2100A", "21": "2100B", "22": "2100C", "23": "2100D"}[level]
        if sid == "AAA":
            rej = _aaa(seg, loop)
            if cur is not None and level in ("22", "23"):
                cur.rejections.append(rej)
            else:
                top_rejections.append(rej)
        elif sid == "NM1":
            if level == "20":
                payer = Entity(seg.element(3), seg.element(9), seg.element(4))
            elif level == "21":
                provider = Entity(seg.element(3), seg.element(9), seg.element(4))
            elif cur is not None:
                cur.info = _member_info(seg)
        elif cur is None:
            continue
        elif sid == "TRN":
            cur.traces.append(seg.require(2, "trace number"))
        elif sid == "DMG" and cur.info is not None:
            info = cur.info
            dob = parse_d8(seg, 2) if seg.element(2) else None
            cur.info = MemberInfo(info.last_name, info.first_name, info.member_id, dob, seg.element(3),
                                  info.group_number)
        elif sid == "REF" and seg.element(1) == "6P" and cur.info is not None:
            info = cur.info
            cur.info = MemberInfo(info.last_name, info.first_name, info.member_id, info.birth_date,
                                  info.gender,
                                  seg.element(2))
        elif sid == "DTP":
            start, end = parse_period(seg, 2, 3)
            cur.dates.append(DateInfo(seg.element(1), start, end))
    close_benefit()
    if payer is None or provider is None:
        raise tx.segments[0].error("271 lacks the 2100A payer or 2100B receiver NM1")
    out = []
    has_children = {id(m.parent) for m in members if m.parent is not None}
    for m in members:
        if m.level == "22" and id(m) in has_children and not m.benefits and not m.rejections:
            continue
        sub = m.parent if m.level == "23" else m
        assert sub is not None
        if sub.info is None or (m.level == "23" and m.info is None):
            raise tx.segments[0].error("271 subscriber or dependent lacks its NM1")
        out.append(EligibilityResponse(
            tx.control_number, tuple(m.traces or sub.traces), payer, provider, sub.info,
            m.info if m.level == "23" else None, tuple(m.benefits), tuple(top_rejections + m.rejections),
            tuple(m.dates),
        ))
    return out


def parse_271(text: str) -> list[EligibilityResponse]:
    """Parse every 271 transaction in ``text``; raise X12Error (segment, element) on bad input."""
    out: list[EligibilityResponse] = []
    for tx in transactions_of(text, "271"):
        out += _parse(tx)
    return out
