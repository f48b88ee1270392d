"""Parse 999 implementation acknowledgments (005010X231A1)."""

from __future__ import annotations

from dataclasses import dataclass

from .envelope import Transaction, transactions_of
from .lexer import Segment, gc_paused

ACCEPTED_CODES = frozenset({"A", "E"})  # E: accepted with errors noted


@dataclass(frozen=True, slots=True)
class ElementError:
    """IK4: element position (and component/repetition), data element number, error code, bad value."""

    position: int
    component: int | None
    repetition: int | None
    reference: str
    code: str
    bad_value: str


@dataclass(frozen=True, slots=True)
class SegmentError:
    """IK3: segment id, position in the transaction set, loop id, error code, plus its IK4s."""

    segment_id: str
    position: int
    loop: str
    code: str
    element_errors: tuple[ElementError, ...]


@dataclass(frozen=True, slots=True)
class TransactionAck:
    """One AK2..IK5 acknowledgement of a transaction set."""

    set_id: str
    control_number: str
    implementation: str
    status: str
    error_codes: tuple[str, ...]
    segment_errors: tuple[SegmentError, ...]

    @property
    def accepted(self) -> bool:
        return self.status in ACCEPTED_CODES


@dataclass(frozen=True, slots=True)
class FunctionalAck:
    """One 999: the acknowledged group (AK1) and AK9 totals."""

    control_number: str
    functional_id: str
    group_control_number: str
    version: str
    status: str
    included: int
    received: int
    accepted_count: int
    error_codes: tuple[str, ...]
    transactions: tuple[TransactionAck, ...]

    @property
    def accepted(self) -> bool:
        return self.status in ACCEPTED_CODES


def _int(seg: Segment, n: int) -> int:
    value = seg.require(n, "number")
    if not value.isdigit():
        raise seg.error(f"{value!r} is not a number", n)
    return int(value)


def _opt_int(seg: Segment, n: int, m: int) -> int | None:
    value = seg.component(n, m)
    if not value:
        return None
    if not value.isdigit():
        raise seg.error(f"{value!r} is not a number", n)
    return int(value)


def _parse(tx: Transaction) -> FunctionalAck:
    segs = tx.body
    if not segs or segs[0].seg_id != "AK1":
        raise (segs[0] if segs else tx.segments[-1]).error("mandatory segment AK1 is missing here")
    ak1 = segs[0]
    acks: list[TransactionAck] = []
    ak2: Segment | None = None
    seg_errors: list[SegmentError] = []
    ik3: Segment | None = None
    elem_errors: list[ElementError] = []
    ak9: Segment | None = None

    def close_ik3() -> None:
        nonlocal ik3
        if ik3 is not None:
            seg_errors.append(SegmentError(ik3.require(1, "segment id"), _int(ik3, 2), ik3.element(3),
                                           ik3.element(4), tuple(elem_errors)))
            ik3 = None
            elem_errors.clear()

    for seg in segs[1:]:
        sid = seg.seg_id
        if ak9 is not None:
            raise seg.error("segment after AK9")
        if sid == "AK2":
            if ak2 is not None:
                raise seg.error("AK2 before the IK5 of the previous transaction")
            ak2 = seg
        elif sid in ("IK3", "IK4", "CTX") and ak2 is None:
            raise seg.error(f"{sid} outside an AK2 loop")
        elif sid == "IK3":
            close_ik3()
            ik3 = seg
        elif sid == "IK4":
            if ik3 is None:
                raise seg.error("IK4 without IK3")
            elem_errors.append(ElementError(
                _opt_int(seg, 1, 1) or 0, _opt_int(seg, 1, 2), _opt_int(seg, 1, 3), seg.element(2),
                seg.require(3, "element syntax error code"), seg.element(4)))
        elif sid == "CTX":
            continue
        elif sid == "IK5":
            if ak2 is None:
                raise seg.error("IK5 without AK2")
            close_ik3()
            acks.append(TransactionAck(ak2.element(1), ak2.require(2, "transaction control number"),
                                       ak2.element(3), seg.require(1, "acknowledgment code"),
                                       tuple(e for e in seg.elements[1:] if e), tuple(seg_errors)))
            ak2 = None
            seg_errors.clear()
        elif sid == "AK9":
            if ak2 is not None:
                raise seg.error("AK9 before the IK5 of the last transaction")
            ak9 = seg
        else:
            raise seg.error(f"segment {sid} is not allowed in a 999")
    if ak9 is None:
        raise tx.segments[-1].error("mandatory segment AK9 is missing before SE")
    return FunctionalAck(
        tx.control_number, ak1.require(1, "functional identifier code"),
        ak1.require(2, "group control number"),
        ak1.element(3), ak9.require(1, "acknowledgment code"), _int(ak9, 2), _int(ak9, 3), _int(ak9, 4),
        tuple(e for e in ak9.elements[4:] if e), tuple(acks),
    )


@gc_paused
def parse_999(text: str) -> list[FunctionalAck]:
    """Parse every 999 transaction in ``text``; raise X12Error (segment, element) on bad input."""
    return [_parse(tx) for tx in transactions_of(text, "999")]
