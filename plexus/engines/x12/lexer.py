"""Split X12 text into segments, reading the delimiters from the fixed-width ISA."""

from __future__ import annotations

import gc
from collections.abc import Callable
from dataclasses import dataclass
from functools import wraps
from typing import NamedTuple, ParamSpec, TypeVar

from .errors import X12Error

# Widths of ISA01..ISA16; ISA is 106 characters including its terminator.
ISA_WIDTHS = (2, 10, 2, 10, 2, 15, 2, 15, 6, 4, 1, 5, 9, 1, 1, 1)
ISA_LENGTH = 106


def _isa_separator_offsets() -> tuple[int, ...]:
    offsets, pos = [], 3
    for width in ISA_WIDTHS:
        offsets.append(pos)
        pos += 1 + width
    return tuple(offsets)


_SEP_OFFSETS = _isa_separator_offsets()  # offset of the separator before ISA01..ISA16


@dataclass(frozen=True, slots=True)
class Delimiters:
    """The four X12 delimiters; ``repetition`` is "" when the file has none (pre-5010)."""

    element: str = "*"
    component: str = ":"
    repetition: str = "^"
    segment: str = "~"

    def __post_init__(self) -> None:
        chars = [self.element, self.component, self.segment] + ([self.repetition] if self.repetition else [])
        if any(len(c) != 1 or c.isalnum() or c == " " for c in chars) or len(set(chars)) != len(chars):
            raise X12Error(f"invalid or repeated delimiters {chars!r}", segment_index=1, segment_id="ISA")


DEFAULT_DELIMITERS = Delimiters()
_KNOWN_IDS: set[str] = set()  # segment ids already checked to be well formed
_DELIMITER_CACHE: dict[str, Delimiters] = {}


class Segment(NamedTuple):
    """One segment: ``index`` is its 1-based position in the file, ``elements`` exclude the id."""

    index: int
    seg_id: str
    elements: tuple[str, ...]
    delimiters: Delimiters = DEFAULT_DELIMITERS

    def element(self, n: int) -> str:
        """Return element ``n`` (1-based), or "" when absent."""
        els = self.elements
        return els[n - 1] if n <= len(els) else ""

    def components(self, n: int) -> tuple[str, ...]:
        """Return the components of element ``n`` (empty tuple when absent)."""
        value = self.element(n)
        return tuple(value.split(self.delimiters.component)) if value else ()

    def component(self, n: int, m: int) -> str:
        """Return component ``m`` (1-based) of element ``n``, or "" when absent."""
        parts = self.components(n)
        return parts[m - 1] if m <= len(parts) else ""

    def repeats(self, n: int) -> tuple[str, ...]:
        """Return the repetitions of element ``n`` (a single value when the file has no repetition)."""
        value = self.element(n)
        if not value:
            return ()
        rep = self.delimiters.repetition
        return tuple(value.split(rep)) if rep else (value,)

    def require(self, n: int, what: str) -> str:
        """Return element ``n``; raise X12Error naming it when it is empty."""
        els = self.elements
        value = els[n - 1] if n <= len(els) else ""
        if not value:
            raise self.error(f"mandatory {what} is missing", n)
        return value

    def error(self, message: str, position: int | None = None) -> X12Error:
        """Build (not raise) an X12Error located at this segment."""
        return X12Error(message, segment_index=self.index, segment_id=self.seg_id, element_position=position)


_P = ParamSpec("_P")
_R = TypeVar("_R")


def gc_paused(func: Callable[_P, _R]) -> Callable[_P, _R]:
    """Pause the cyclic garbage collector while ``func`` runs.

    Parsing allocates hundreds of thousands of small acyclic tuples and dataclasses; letting the
    collector scan them repeatedly costs about half the run time. Reference counting still frees
    everything, and the collector is re-enabled only if it was enabled on entry.
    """

    @wraps(func)
    def wrapper(*args: _P.args, **kwargs: _P.kwargs) -> _R:
        if not gc.isenabled():
            return func(*args, **kwargs)
        gc.disable()
        try:
            return func(*args, **kwargs)
        finally:
            gc.enable()

    return wrapper


def read_delimiters(text: str) -> Delimiters:
    """Read the delimiters from the ISA at the start of ``text`` (leading whitespace allowed).

    Raise X12Error when ISA is missing or shorter than its fixed 106 characters.
    """
    head = text.lstrip("\ufeff \t\r\n")
    if not head.startswith("ISA"):
        seg_id = ""
        for ch in head[:3]:
            if not ch.isalnum():
                break
            seg_id += ch
        raise X12Error("interchange must start with ISA", segment_index=1 if head else 0, segment_id=seg_id)
    key = head[:ISA_LENGTH]
    if len(key) == ISA_LENGTH and key[3] * 16 == "".join(map(key.__getitem__, _SEP_OFFSETS)):
        cached = _DELIMITER_CACHE.get(key[3] + key[_SEP_OFFSETS[10] + 1] + key[-2:])
        if cached is not None:
            return cached
    if len(head) < 4:
        raise X12Error("truncated ISA", segment_index=1, segment_id="ISA", element_position=1)
    sep = head[3]
    parts = head[:ISA_LENGTH + 20].split(sep, 16)  # "ISA", ISA01..ISA15, ISA16 + terminator + rest
    for n in range(1, 16):
        if n >= len(parts) or len(parts[n]) != ISA_WIDTHS[n - 1]:
            raise X12Error(
                f"ISA{n:02d} must be {ISA_WIDTHS[n - 1]} characters (ISA is fixed width)",
                segment_index=1, segment_id="ISA", element_position=n,
            )
    if len(parts) < 17 or len(parts[16]) < 2:
        raise X12Error("ISA16 or the segment terminator is missing", segment_index=1, segment_id="ISA",
                       element_position=16)
    repetition = head[_SEP_OFFSETS[10] + 1]
    if repetition.isalnum():  # 4010 files carry "U" here and have no repetition separator
        repetition = ""
    delims = Delimiters(sep, head[ISA_LENGTH - 2], repetition, head[ISA_LENGTH - 1])
    _DELIMITER_CACHE[sep + head[_SEP_OFFSETS[10] + 1] + head[ISA_LENGTH - 2:ISA_LENGTH]] = delims
    return delims


@gc_paused
def tokenize(text: str) -> tuple[Delimiters, list[Segment]]:
    """Split ``text`` into segments; newlines after terminators are ignored.

    Raise X12Error for a missing or short ISA, an empty segment, a bad segment id or a
    last segment without terminator (a truncated file).
    """
    delims = read_delimiters(text)
    body = text.lstrip("\ufeff \t\r\n")
    term, esep = delims.segment, delims.element
    if term not in "\r\n" and ("\n" in body or "\r" in body):
        body = body.replace(term + "\r\n", term).replace(term + "\n", term).replace(term + "\r", term)
    pieces = body.split(term)
    tail = pieces.pop().strip()
    rows = [piece.split(esep) for piece in pieces]
    known = _KNOWN_IDS
    fresh = {row[0] for row in rows} - known
    if fresh:
        bad = {i for i in fresh if not (1 < len(i) < 4 and i.isalnum() and i.isupper() and i.isascii())}
        if bad:
            index, seg_id = next((i, row[0]) for i, row in enumerate(rows, start=1) if row[0] in bad)
            raise X12Error(f"invalid segment id {seg_id[:10]!r}", segment_index=index, segment_id=seg_id[:3])
        known.update(fresh)
    new = tuple.__new__
    segments = [new(Segment, (i, row[0], tuple(row[1:]), delims)) for i, row in enumerate(rows, start=1)]
    if tail:
        raise X12Error(
            "file is truncated: last segment has no terminator",
            segment_index=len(pieces) + 1, segment_id=tail.split(esep)[0][:3],
        )
    return delims, segments
