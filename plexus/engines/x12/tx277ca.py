"""Parse 277CA claim acknowledgements (005010X214) at claim (2200D) and line (2220D) level."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from .envelope import Transaction, transactions_of
from .lexer import Segment, gc_paused
from .values import amount, parse_d8, parse_period

REJECTED_CATEGORIES = frozenset({"A3", "A4", "A6", "A7", "A8"})
_ALLOWED = frozenset({"NM1", "TRN", "DTP", "STC", "QTY", "AMT", "REF", "SVC", "PER"})


@dataclass(frozen=True, slots=True)
class Status:
    """One STC composite: category (A1, A2, A3, A7...), status code, entity, plus STC02..04."""

    category: str
    code: str
    entity: str
    effective_date: date | None
    action: str
    amount: Decimal | None


@dataclass(frozen=True, slots=True)
class LineAck:
    procedure_code: str
    modifiers: tuple[str, ...]
    charge: Decimal | None
    statuses: tuple[Status, ...]
    control_number: str = ""
    service_date: date | None = None


@dataclass(frozen=True, slots=True)
class ClaimAck:
    """One claim status: ``patient_control_number`` is TRN02, ``payer_claim_number`` REF*1K."""

    patient_control_number: str
    payer_claim_number: str
    clearinghouse_trace: str
    patient_last_name: str
    patient_first_name: str
    member_id: str
    statuses: tuple[Status, ...]
    lines: tuple[LineAck, ...]
    service_date: date | None = None
    service_date_end: date | None = None

    @property
    def rejected(self) -> bool:
        return any(s.category in REJECTED_CATEGORIES for s in self.statuses)

    @property
    def accepted(self) -> bool:
        return bool(self.statuses) and not self.rejected


def _stc(seg: Segment) -> list[Status]:
    when = parse_d8(seg, 2) if seg.element(2) else None
    action, amt = seg.element(3), amount(seg, 4)
    out = []
    for pos in (1, 10, 11):
        comps = seg.components(pos)
        if not comps:
            if pos == 1:
                raise seg.error("mandatory health care claim status is missing", 1)
            continue
        if len(comps) < 2 or not comps[0]:
            raise seg.error("status needs category and status code", pos)
        out.append(Status(comps[0], comps[1], comps[2] if len(comps) > 2 else "", when, action, amt))
    return out


class _Claim:
    __slots__ = ("d9", "dates", "lines", "nm1", "ref1k", "statuses", "trn")

    def __init__(self, nm1: Segment | None) -> None:
        self.nm1, self.trn, self.ref1k, self.d9 = nm1, "", "", ""
        self.statuses: list[Status] = []
        self.lines: list[list] = []
        self.dates: tuple[date | None, date | None] = (None, None)


def _parse(tx: Transaction) -> list[ClaimAck]:
    segs = tx.body
    if not segs or segs[0].seg_id != "BHT":
        raise (segs[0] if segs else tx.segments[-1]).error("mandatory segment BHT is missing here")
    claims: list[_Claim] = []
    cur: _Claim | None = None
    line: list | None = None  # [SVC segment, statuses, control number, date]
    for seg in segs[1:]:
        sid = seg.seg_id
        if sid == "HL":
            level = seg.require(3, "hierarchical level code")
            if level not in ("20", "21", "19", "PT"):
                raise seg.error(f"unknown hierarchical level {level!r}", 3)
            cur = _Claim(None) if level == "PT" else None
            if cur is not None:
                claims.append(cur)
            line = None
            continue
        if sid not in _ALLOWED:
            raise seg.error(f"segment {sid} is not allowed in a 277CA")
        if cur is None:
            continue
        if sid == "SVC":
            line = [seg, [], "", None]
            cur.lines.append(line)
        elif line is not None:
            if sid == "STC":
                line[1] += _stc(seg)
            elif sid == "REF" and seg.element(1) == "FJ":
                line[2] = seg.element(2)
            elif sid == "DTP":
                line[3] = parse_period(seg, 2, 3)[0]
        elif sid == "NM1":
            cur.nm1 = seg
        elif sid == "TRN":
            cur.trn = seg.require(2, "patient control number")
        elif sid == "STC":
            cur.statuses += _stc(seg)
        elif sid == "REF":
            if seg.element(1) == "1K":
                cur.ref1k = seg.element(2)
            elif seg.element(1) == "D9":
                cur.d9 = seg.element(2)
        elif sid == "DTP" and seg.element(1) == "472":
            cur.dates = parse_period(seg, 2, 3)
    out = []
    for c in claims:
        if c.nm1 is None or not c.trn:
            raise tx.segments[0].error("277CA claim lacks its NM1*QC or TRN")
        lines = []
        for svc, statuses, control, when in c.lines:
            comps = svc.components(1)
            lines.append(LineAck(comps[1] if len(comps) > 1 else "", tuple(x for x in comps[2:6] if x),
                                 amount(svc, 2), tuple(statuses), control, when))
        nm1 = c.nm1
        out.append(ClaimAck(c.trn, c.ref1k, c.d9, nm1.element(3), nm1.element(4), nm1.element(9),
                            tuple(c.statuses), tuple(lines), *c.dates))
    return out


@gc_paused
def parse_277ca(text: str) -> list[ClaimAck]:
    """Parse the claim acknowledgements of every 277 in ``text``; raise X12Error on bad input."""
    out: list[ClaimAck] = []
    for tx in transactions_of(text, "277"):
        out += _parse(tx)
    return out
