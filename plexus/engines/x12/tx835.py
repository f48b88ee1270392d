"""Parse 835 health care claim payment/advice (005010X221A1) into frozen dataclasses."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from .envelope import Transaction, transactions_of
from .lexer import Segment, gc_paused
from .values import dec, padded, parse_d8, req_amount

_ZERO, _ONE = Decimal(0), Decimal(1)
ADJUSTMENT_GROUPS = frozenset({"CO", "OA", "PI", "PR"})
_HEADER = frozenset({"CUR", "REF", "DTM"})
_PARTY = frozenset({"N2", "N3", "N4", "REF", "PER", "RDM"})
_CLAIM = frozenset({"CAS", "NM1", "MIA", "MOA", "REF", "DTM", "PER", "AMT", "QTY"})
_LINE = frozenset({"DTM", "CAS", "REF", "AMT", "QTY", "LQ"})


@dataclass(frozen=True, slots=True)
class Adjustment:
    """One CAS triple: group (CO/OA/PI/PR), CARC reason, amount, optional quantity."""

    group: str
    reason: str
    amount: Decimal
    quantity: Decimal | None = None


@dataclass(frozen=True, slots=True)
class Party:
    """A name and identifier (N1 or NM1)."""

    name: str
    id_qualifier: str = ""
    identifier: str = ""
    first_name: str = ""
    middle_name: str = ""


@dataclass(frozen=True, slots=True)
class ServicePayment:
    """One 2110 SVC line with its date(s), adjustments and RARC remark codes (LQ*HE)."""

    procedure_qualifier: str
    procedure_code: str
    modifiers: tuple[str, ...]
    charge: Decimal
    paid: Decimal
    units: Decimal
    service_date: date | None
    service_date_end: date | None
    adjustments: tuple[Adjustment, ...]
    remark_codes: tuple[str, ...]
    control_number: str = ""
    revenue_code: str = ""


@dataclass(frozen=True, slots=True)
class ClaimPayment:
    """One 2100 CLP claim."""

    patient_control_number: str
    status: str
    charge: Decimal
    paid: Decimal
    patient_responsibility: Decimal
    filing_indicator: str
    payer_claim_number: str
    patient: Party
    adjustments: tuple[Adjustment, ...]
    lines: tuple[ServicePayment, ...]
    remark_codes: tuple[str, ...] = ()
    statement_start: date | None = None
    statement_end: date | None = None
    received_date: date | None = None

    @property
    def denied(self) -> bool:
        return self.status == "4"


@dataclass(frozen=True, slots=True)
class ProviderAdjustment:
    """One PLB adjustment pair (reason code, reference, amount; negative amounts pay the provider)."""

    provider_id: str
    fiscal_period_date: date
    reason: str
    reference: str
    amount: Decimal


@dataclass(frozen=True, slots=True)
class Remittance:
    """One 835 transaction set."""

    control_number: str
    handling_code: str
    payment_amount: Decimal
    credit_debit: str
    payment_method: str
    payment_date: date
    trace_number: str
    originator_id: str
    payer: Party
    payee: Party
    claims: tuple[ClaimPayment, ...]
    provider_adjustments: tuple[ProviderAdjustment, ...]
    production_date: date | None = None


def _cas(seg: Segment) -> list[Adjustment]:
    group = seg.require(1, "claim adjustment group code")
    if group not in ADJUSTMENT_GROUPS:
        raise seg.error(f"unknown adjustment group {group!r}", 1)
    els = padded(seg, 4)
    out = []
    for pos in range(2, min(len(els), 19) + 1, 3):
        reason, amt, qty = (*els[pos - 1:pos + 2], "", "")[:3]
        if not reason:
            if amt or qty:
                raise seg.error("adjustment reason code missing", pos)
            continue
        if not amt:
            raise seg.error("mandatory adjustment amount is missing", pos + 1)
        out.append(Adjustment(group, reason, dec(amt, seg, pos + 1), dec(qty, seg, pos + 2) if qty else None))
    if not out:
        raise seg.error("mandatory adjustment reason code is missing", 2)
    return out


def _party(seg: Segment) -> Party:
    e = seg.element
    if seg.seg_id == "N1":
        return Party(e(2), e(3), e(4))
    return Party(e(3), e(8), e(9), e(4), e(5))


class _Line:
    __slots__ = ("adjustments", "control", "date_end", "date_start", "remarks", "seg")

    def __init__(self, seg: Segment) -> None:
        self.seg = seg
        self.adjustments: list[Adjustment] = []
        self.remarks: list[str] = []
        self.date_start: date | None = None
        self.date_end: date | None = None
        self.control = ""

    def build(self) -> ServicePayment:
        seg = self.seg
        svc01, charge, paid, revenue, units = padded(seg, 5)[:5]
        comps = svc01.split(seg.delimiters.component)
        if len(comps) < 2 or not comps[1]:
            raise seg.error("procedure code (SVC01-2) is missing", 1)
        if not charge or not paid:
            raise seg.error("mandatory amount is missing", 2 if not charge else 3)
        return ServicePayment(
            comps[0], comps[1], tuple(c for c in comps[2:6] if c) if len(comps) > 2 else (),
            dec(charge, seg, 2), dec(paid, seg, 3), dec(units, seg, 5) if units else _ONE, self.date_start,
            self.date_end, tuple(self.adjustments), tuple(self.remarks), self.control, revenue,
        )


def _parse_claim(segs: tuple[Segment, ...], i: int) -> tuple[ClaimPayment, int]:
    """Parse the 2100 loop starting at CLP ``segs[i]``; return the claim and the next index."""
    clp = segs[i]
    pcn, status, charge_s, paid_s, resp_s, filing, payer_claim = padded(clp, 7)[:7]
    for pos, value, what in ((1, pcn, "patient control number"), (2, status, "claim status code"),
                             (3, charge_s, "total claim charge amount"), (4, paid_s, "claim payment amount"),
                             (6, filing, "claim filing indicator code"),
                             (7, payer_claim, "payer claim control number")):
        if not value:
            raise clp.error(f"mandatory {what} is missing", pos)
    charge, paid = dec(charge_s, clp, 3), dec(paid_s, clp, 4)
    resp = dec(resp_s, clp, 5) if resp_s else _ZERO
    adjustments: list[Adjustment] = []
    remarks: list[str] = []
    patient: Party | None = None
    start = end = received = None
    lines: list[ServicePayment] = []
    line: _Line | None = None
    n = len(segs)
    i += 1
    while i < n:
        seg = segs[i]
        sid = seg.seg_id
        if sid == "SVC":
            if line is not None:
                lines.append(line.build())
            line = _Line(seg)
        elif line is not None:
            if sid not in _LINE:
                break
            if sid == "CAS":
                line.adjustments += _cas(seg)
            elif sid == "LQ":
                if seg.element(1) == "HE":
                    line.remarks.append(seg.require(2, "remark code"))
            elif sid == "DTM":
                q, when = padded(seg, 2)[:2]
                if q == "472" or q == "150":
                    line.date_start = parse_d8(seg, 2, when)
                elif q == "151":
                    line.date_end = parse_d8(seg, 2, when)
            elif sid == "REF" and seg.element(1) == "6R":
                line.control = seg.element(2)
        else:
            if sid not in _CLAIM:
                break
            if sid == "CAS":
                adjustments += _cas(seg)
            elif sid == "NM1":
                if seg.element(1) == "QC":
                    patient = _party(seg)
            elif sid == "DTM":
                q = seg.element(1)
                if q == "232":
                    start = parse_d8(seg, 2)
                elif q == "233":
                    end = parse_d8(seg, 2)
                elif q == "050":
                    received = parse_d8(seg, 2)
            elif sid == "MOA":
                remarks += [c for c in seg.elements[2:7] if c]
        i += 1
    if line is not None:
        lines.append(line.build())
    if patient is None:
        raise clp.error("claim has no NM1*QC patient segment (mandatory)")
    return ClaimPayment(pcn, status, charge, paid, resp, filing, payer_claim, patient, tuple(adjustments),
                        tuple(lines), tuple(remarks), start, end, received), i


def _plb(seg: Segment) -> list[ProviderAdjustment]:
    provider = seg.require(1, "provider identifier")
    fiscal = parse_d8(seg, 2)
    out = []
    for pos in range(3, min(len(seg.elements), 14) + 1, 2):
        if not seg.element(pos):
            continue
        reason, reference = seg.component(pos, 1), seg.component(pos, 2)
        if not reason:
            raise seg.error("adjustment reason code missing", pos)
        out.append(ProviderAdjustment(provider, fiscal, reason, reference, req_amount(seg, pos + 1)))
    if not out:
        raise seg.error("mandatory provider adjustment is missing", 3)
    return out


def _expect(segs: tuple[Segment, ...], i: int, tx: Transaction, seg_id: str, qualifier: str = "") -> Segment:
    seg = segs[i] if i < len(segs) else tx.segments[-1]
    if seg.seg_id != seg_id or (qualifier and seg.element(1) != qualifier):
        want = f"{seg_id}*{qualifier}" if qualifier else seg_id
        raise seg.error(f"mandatory segment {want} is missing here")
    return seg


def _parse_remittance(tx: Transaction) -> Remittance:
    segs = tx.body
    bpr = _expect(segs, 0, tx, "BPR")
    trn = _expect(segs, 1, tx, "TRN")
    i, n = 2, len(segs)
    production = None
    while i < n and segs[i].seg_id in _HEADER:
        if segs[i].seg_id == "DTM" and segs[i].element(1) == "405":
            production = parse_d8(segs[i], 2)
        i += 1
    payer = _party(_expect(segs, i, tx, "N1", "PR"))
    i += 1
    while i < n and segs[i].seg_id in _PARTY:
        i += 1
    payee = _party(_expect(segs, i, tx, "N1", "PE"))
    i += 1
    while i < n and segs[i].seg_id in _PARTY:
        i += 1
    claims: list[ClaimPayment] = []
    plb: list[ProviderAdjustment] = []
    while i < n:
        seg = segs[i]
        sid = seg.seg_id
        if sid == "CLP":
            claim, i = _parse_claim(segs, i)
            claims.append(claim)
            continue
        if sid == "PLB":
            plb += _plb(seg)
        elif sid not in ("LX", "TS3", "TS2") or plb:
            raise seg.error(f"segment {sid} is not allowed here in an 835")
        i += 1
    return Remittance(
        tx.control_number, bpr.require(1, "transaction handling code"), req_amount(bpr, 2),
        bpr.require(3, "credit/debit flag"), bpr.require(4, "payment method code"), parse_d8(bpr, 16),
        trn.require(2, "check or EFT trace number"), trn.require(3, "payer identifier"), payer, payee,
        tuple(claims), tuple(plb), production,
    )


@gc_paused
def parse_835(text: str) -> list[Remittance]:
    """Parse every 835 transaction in ``text``; raise X12Error (segment, element) on bad input."""
    return [_parse_remittance(tx) for tx in transactions_of(text, "835")]
