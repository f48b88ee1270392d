"""Segments to text with chosen delimiters.

A segment to write is either a parsed :class:`Segment` or a tuple ``(seg_id, *elements)`` where
each element is a ``str``, a ``tuple`` of component strings (a composite) or a ``list`` of
repetitions (each a str or a composite tuple). Trailing empty elements and components are
dropped. Segments are first rendered with control-character placeholders, so a data value that
contains one of the chosen delimiters is caught in a single pass over the text.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Union

from .errors import X12Error
from .lexer import ISA_WIDTHS, Delimiters, Segment

Element = Union[str, tuple[str, ...], list[Union[str, tuple[str, ...]]]]  # noqa: UP007
SegmentSpec = Union[Segment, tuple[Element, ...]]  # noqa: UP007

_E, _C, _R, _T = "\x1d", "\x1f", "\x1e", "\x1c"
_TABLES: dict[Delimiters, dict[int, str]] = {}


def _composite(value: tuple[str, ...]) -> str:
    parts = list(value)
    while parts and not parts[-1]:
        parts.pop()
    return _C.join(parts)


def _render(spec: tuple[Element, ...]) -> str:
    parts: list[str] = []
    for el in spec:
        cls = el.__class__
        if cls is str:
            parts.append(el)  # type: ignore[arg-type]
        elif cls is tuple:
            parts.append(_composite(el))  # type: ignore[arg-type]
        elif cls is list:
            parts.append(_R.join(r if r.__class__ is str else _composite(r) for r in el))  # type: ignore[union-attr]
        elif el is None:
            parts.append("")
        else:
            raise TypeError(f"segment {spec[0]!r}: element {el!r} must be str, tuple or list")
    while parts and not parts[-1]:
        parts.pop()
    return _E.join(parts)


def _render_parsed(seg: Segment) -> str:
    table = _TABLES.get(seg.delimiters)
    if table is None:
        d = seg.delimiters
        table = {ord(d.component): _C}
        if d.repetition:
            table[ord(d.repetition)] = _R
        _TABLES[d] = table
    return _E.join((seg.seg_id, *seg.elements)).translate(table)


def render_isa(elements: Sequence[str], delimiters: Delimiters) -> str:
    """Render ISA01..ISA16 padded to their fixed widths; ISA11/ISA16 come from ``delimiters``.

    Raise X12Error when a value is longer than its width.
    """
    values = list(elements)
    if len(values) != 16:
        raise X12Error("ISA needs 16 elements", segment_index=1, segment_id="ISA")
    values[10] = delimiters.repetition or "U"
    values[15] = delimiters.component
    out = []
    for n, (value, width) in enumerate(zip(values, ISA_WIDTHS, strict=True), start=1):
        if len(value) > width:
            raise X12Error(f"value {value!r} longer than {width}", segment_index=1, segment_id="ISA",
                           element_position=n)
        out.append(value.ljust(width))
    return delimiters.element.join(["ISA", *out]) + delimiters.segment


def serialize(segments: Iterable[SegmentSpec], delimiters: Delimiters, *, newline: bool = False) -> str:
    """Write ``segments`` with ``delimiters``; an ISA spec is rendered fixed-width.

    Raise X12Error (segment number, id, element) when data contains a chosen delimiter or
    a control character used internally.
    """
    isa = ""
    rendered: list[str] = []
    append = rendered.append
    for seg in segments:
        if seg.__class__ is Segment:
            if seg[1] == "ISA":  # type: ignore[index]
                isa = render_isa(seg[2], delimiters)  # type: ignore[index, arg-type]
                continue
            append(_render_parsed(seg))  # type: ignore[arg-type]
        elif seg[0] == "ISA":
            isa = render_isa(seg[1:], delimiters)  # type: ignore[arg-type]
        else:
            append(_render(seg))  # type: ignore[arg-type]
    text = _T.join(rendered)
    d = delimiters
    offset = 1 if isa else 0
    for ch in (d.element, d.component, d.repetition, d.segment):
        if ch and ch in text:
            _raise_at(text, text.index(ch), offset, f"data contains the delimiter {ch!r}")
    table = {ord(_E): d.element, ord(_C): d.component, ord(_R): d.repetition or "", ord(_T): d.segment}
    term = d.segment + ("\n" if newline else "")
    if newline:
        table[ord(_T)] = term
    if isa and newline:
        isa += "\n"
    return isa + text.translate(table) + (term if rendered else "")


def _raise_at(text: str, pos: int, offset: int, message: str) -> None:
    start = text.rfind(_T, 0, pos) + 1
    seg_text = text[start:pos]
    raise X12Error(
        message,
        segment_index=text.count(_T, 0, pos) + 1 + offset,
        segment_id=seg_text.split(_E, 1)[0] if _E in seg_text else seg_text[:3],
        element_position=seg_text.count(_E),
    )
