"""Interchange (ISA/IEA), functional group (GS/GE) and transaction set (ST/SE) envelopes.

Reading checks every control number pair and count; writing computes the counts and takes
the control numbers as inputs.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from .errors import X12Error
from .lexer import DEFAULT_DELIMITERS, Delimiters, Segment, gc_paused, tokenize
from .serializer import SegmentSpec, serialize


@dataclass(frozen=True, slots=True)
class Transaction:
    """One ST..SE transaction set; ``segments`` include ST and SE."""

    set_id: str
    control_number: str
    implementation: str
    segments: tuple[Segment, ...]

    @property
    def body(self) -> tuple[Segment, ...]:
        """Segments between ST and SE."""
        return self.segments[1:-1]


@dataclass(frozen=True, slots=True)
class FunctionalGroup:
    """One GS..GE functional group."""

    functional_id: str
    sender: str
    receiver: str
    control_number: str
    version: str
    transactions: tuple[Transaction, ...]
    gs: Segment


@dataclass(frozen=True, slots=True)
class Interchange:
    """One ISA..IEA interchange with the delimiters it was written with."""

    isa: Segment
    delimiters: Delimiters
    groups: tuple[FunctionalGroup, ...]

    @property
    def control_number(self) -> str:
        return self.isa.element(13)

    @property
    def sender_id(self) -> str:
        return self.isa.element(6).strip()

    @property
    def receiver_id(self) -> str:
        return self.isa.element(8).strip()

    @property
    def usage(self) -> str:
        return self.isa.element(15)

    def transactions(self) -> list[Transaction]:
        """Every transaction of every group, in file order."""
        return [t for g in self.groups for t in g.transactions]


def _same_control(a: str, b: str) -> bool:
    a, b = a.strip(), b.strip()
    return a == b or (a.isdigit() and b.isdigit() and int(a) == int(b))


def _count(seg: Segment, n: int, expected: int, what: str) -> None:
    value = seg.require(n, what)
    if not value.isdigit():
        raise seg.error(f"{what} {value!r} is not a number", n)
    if int(value) != expected:
        raise seg.error(f"{what} is {value} but there are {expected}", n)


def _ends(segs: list[Segment], missing: str) -> X12Error:
    last = segs[-1]
    return last.error(f"file ends without {missing} (truncated)")


@gc_paused
def parse_interchanges(text: str) -> list[Interchange]:
    """Parse every interchange in ``text`` and check all envelope counts and control numbers.

    Raise X12Error at the offending segment for a mismatch, a stray segment or a truncated file.
    """
    delims, segs = tokenize(text)
    out: list[Interchange] = []
    n, i = len(segs), 0
    ids = [s[1] for s in segs]
    while i < n:
        isa = segs[i]
        if isa.seg_id != "ISA":
            raise isa.error("expected ISA")
        i += 1
        groups: list[FunctionalGroup] = []
        while True:
            if i >= n:
                raise _ends(segs, "IEA")
            seg = segs[i]
            if seg.seg_id == "IEA":
                _count(seg, 1, len(groups), "number of functional groups")
                if not _same_control(seg.element(2), isa.element(13)):
                    raise seg.error(f"control number {seg.element(2)!r} != ISA13 {isa.element(13)!r}", 2)
                i += 1
                break
            if seg.seg_id != "GS":
                raise seg.error("expected GS or IEA")
            group, i = _parse_group(segs, ids, i)
            groups.append(group)
        out.append(Interchange(isa, delims, tuple(groups)))
    if not out:
        raise X12Error("no segments", segment_index=0)
    return out


def parse_interchange(text: str) -> Interchange:
    """Parse ``text`` holding exactly one interchange (see :func:`parse_interchanges`)."""
    items = parse_interchanges(text)
    if len(items) > 1:
        raise items[1].isa.error("expected one interchange, found another ISA")
    return items[0]


_ENVELOPE_IDS = frozenset({"ISA", "GS", "ST", "GE", "IEA"})


def _parse_group(segs: list[Segment], ids: list[str], i: int) -> tuple[FunctionalGroup, int]:
    gs, n = segs[i], len(segs)
    i += 1
    txs: list[Transaction] = []
    while True:
        if i >= n:
            raise _ends(segs, "GE")
        seg = segs[i]
        sid = seg.seg_id
        if sid == "GE":
            _count(seg, 1, len(txs), "number of transaction sets")
            if not _same_control(seg.element(2), gs.element(6)):
                raise seg.error(f"control number {seg.element(2)!r} != GS06 {gs.element(6)!r}", 2)
            break
        if sid != "ST":
            raise seg.error("expected ST or GE")
        start = i
        try:
            i = ids.index("SE", start + 1)
        except ValueError:
            i = n
        if not _ENVELOPE_IDS.isdisjoint(ids[start + 1:i]):
            bad = next(s for s in segs[start + 1:i] if s.seg_id in _ENVELOPE_IDS)
            raise bad.error(f"{bad.seg_id} before SE of transaction {seg.element(2)!r}")
        if i == n:
            raise _ends(segs, "SE")
        se = segs[i]
        _count(se, 1, i - start + 1, "number of included segments")
        if se.element(2) != seg.element(2):
            raise se.error(f"control number {se.element(2)!r} != ST02 {seg.element(2)!r}", 2)
        seg.require(1, "transaction set identifier")
        txs.append(Transaction(seg.element(1), seg.require(2, "control number"), seg.element(3),
                               tuple(segs[start:i + 1])))
        i += 1
    gcn = gs.require(6, "group control number")
    group = FunctionalGroup(gs.element(1), gs.element(2), gs.element(3), gcn,
                            gs.element(8), tuple(txs), gs)
    return group, i + 1


@dataclass(frozen=True, slots=True)
class EnvelopeSpec:
    """What the writer needs for ISA/GS; control numbers are 1..999999999."""

    sender_id: str
    receiver_id: str
    interchange_control_number: int
    group_control_number: int
    created: datetime
    usage: str = "P"
    sender_qualifier: str = "ZZ"
    receiver_qualifier: str = "ZZ"
    ack_requested: str = "0"
    application_sender: str = ""
    application_receiver: str = ""
    first_transaction_number: int = 1


def envelope_segments(
    spec: EnvelopeSpec, functional_id: str, version: str, bodies: Sequence[tuple[str, list[SegmentSpec]]],
    *, implementation: str | None = None,
) -> list[SegmentSpec]:
    """Wrap transaction ``bodies`` ((set id, segments between ST and SE)) in ST/SE, GS/GE, ISA/IEA.

    ST02 runs from ``spec.first_transaction_number`` as 4+ digits; ST03 is ``implementation``
    (defaults to ``version``; pass "" to omit). Raise ValueError on out-of-range control numbers.
    """
    for value in (spec.interchange_control_number, spec.group_control_number):
        if not 0 < value <= 999_999_999:
            raise ValueError(f"control number {value} out of range 1..999999999")
    icn = f"{spec.interchange_control_number:09d}"
    gcn = str(spec.group_control_number)
    created = spec.created
    out: list[SegmentSpec] = [(
        "ISA", "00", "", "00", "", spec.sender_qualifier, spec.sender_id, spec.receiver_qualifier,
        spec.receiver_id, created.strftime("%y%m%d"), created.strftime("%H%M"), "^", "00501", icn,
        spec.ack_requested, spec.usage, ":",
    ), (
        "GS", functional_id, spec.application_sender or spec.sender_id,
        spec.application_receiver or spec.receiver_id, created.strftime("%Y%m%d"), created.strftime("%H%M"),
        gcn, "X", version,
    )]
    ref = version if implementation is None else implementation
    for k, (set_id, body) in enumerate(bodies):
        stn = f"{spec.first_transaction_number + k:04d}"
        out.append(("ST", set_id, stn, ref) if ref else ("ST", set_id, stn))
        out.extend(body)
        out.append(("SE", str(len(body) + 2), stn))
    out.append(("GE", str(len(bodies)), gcn))
    out.append(("IEA", "1", icn))
    return out


def write_interchange(
    spec: EnvelopeSpec, functional_id: str, version: str, bodies: Sequence[tuple[str, list[SegmentSpec]]],
    delimiters: Delimiters = DEFAULT_DELIMITERS, *, newline: bool = False, implementation: str | None = None,
) -> str:
    """Serialize one interchange with one functional group (see :func:`envelope_segments`)."""
    segments = envelope_segments(spec, functional_id, version, bodies, implementation=implementation)
    return serialize(segments, delimiters, newline=newline)


def transactions_of(text: str, set_id: str) -> list[Transaction]:
    """Parse ``text`` and return its transactions, all of which must have ST01 == ``set_id``."""
    out: list[Transaction] = []
    for interchange in parse_interchanges(text):
        for tx in interchange.transactions():
            if tx.set_id != set_id:
                raise tx.segments[0].error(f"expected a {set_id} transaction, found {tx.set_id!r}", 1)
            out.append(tx)
    return out
