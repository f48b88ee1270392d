"""Dataclasses of a questionnaire definition (forms as data) and of scores.

A questionnaire is a list of sections (one page each) holding items. Answers are plain JSON:
a dict from linkId to a value; a repeating group's value is a list of such dicts (one per entry).
Items inside a non-repeating group answer into the same dict as their group.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class ItemType(StrEnum):
    TEXT = "text"  # free text (str)
    CHOICE = "choice"  # one option code (str)
    MULTI = "multi"  # several option codes (list[str])
    SCALE = "scale"  # an integer within min..max (e.g. pain 0-10)
    INTEGER = "integer"  # any integer (or a calculated value when calculated)
    DATE = "date"  # ISO date "YYYY-MM-DD"
    BOOLEAN = "boolean"  # yes/no (bool)
    GROUP = "group"  # holds items; repeats=True makes a list of entries (e.g. medications)
    DISPLAY = "display"  # text only, never answered


ANSWERABLE = frozenset(ItemType) - {ItemType.GROUP, ItemType.DISPLAY}


class Operator(StrEnum):
    EQ = "="
    NE = "!="
    EXISTS = "exists"


@dataclass(frozen=True, slots=True)
class Coding:
    system: str
    code: str
    display: str = ""


@dataclass(frozen=True, slots=True)
class Option:
    """One answer option; value is its score (PHQ-9's 0-3) where the form is scored."""

    code: str
    display: str
    value: int | None = None


@dataclass(frozen=True, slots=True)
class EnableWhen:
    """Enable the owning item when ``question``'s answer compares to ``answer`` (see Operator)."""

    question: str
    operator: Operator = Operator.EQ
    answer: str | bool | int | None = None


@dataclass(frozen=True, slots=True)
class Item:
    link_id: str
    text: str
    type: ItemType
    required: bool = False
    repeats: bool = False  # only groups repeat (a list of entries)
    options: tuple[Option, ...] = ()
    option_system: str = ""  # code system of the options (e.g. http://loinc.org)
    min: int | None = None  # scale bounds
    max: int | None = None
    min_label: str = ""
    max_label: str = ""
    enable_when: tuple[EnableWhen, ...] = ()
    enable_behavior: str = "all"  # all | any
    items: tuple[Item, ...] = ()
    code: Coding | None = None
    calculated: bool = False  # read-only in FHIR (e.g. a printed total); never answered
    help: str = ""

    def option(self, code: str) -> Option | None:
        return next((o for o in self.options if o.code == code), None)

    @property
    def answerable(self) -> bool:
        return self.type in ANSWERABLE and not self.calculated


@dataclass(frozen=True, slots=True)
class Section:
    """One page of the form."""

    link_id: str
    title: str
    items: tuple[Item, ...]
    help: str = ""


@dataclass(frozen=True, slots=True)
class Band:
    min: int
    max: int
    code: str
    label: str


@dataclass(frozen=True, slots=True)
class Flag:
    """Raise ``code`` when ``item``'s score is at least ``at_least`` (PHQ-9 item 9)."""

    item: str
    at_least: int
    code: str
    label: str


@dataclass(frozen=True, slots=True)
class ScoreGroup:
    id: str
    title: str
    items: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class Scoring:
    """Sum of the item scores; by group (e.g. body system) when groups are given, the total being
    the sum of the groups. Bands name the total's severity."""

    items: tuple[str, ...] = ()
    groups: tuple[ScoreGroup, ...] = ()
    bands: tuple[Band, ...] = ()
    flags: tuple[Flag, ...] = ()

    @property
    def all_items(self) -> tuple[str, ...]:
        if self.groups:
            return tuple(i for g in self.groups for i in g.items)
        return self.items


@dataclass(frozen=True, slots=True)
class Questionnaire:
    slug: str
    version: str
    title: str
    sections: tuple[Section, ...]
    description: str = ""
    disciplines: tuple[str, ...] = ()
    code: Coding | None = None
    scoring: Scoring | None = None
    copyright: str = ""

    def walk(self):
        """Yield (item, parents) for every item, depth first, parents being the enclosing items."""

        def visit(items, parents):
            for it in items:
                yield it, parents
                yield from visit(it.items, (*parents, it))

        for section in self.sections:
            yield from visit(section.items, ())

    def item(self, link_id: str) -> Item | None:
        return next((it for it, _ in self.walk() if it.link_id == link_id), None)

    def section(self, link_id: str) -> Section | None:
        return next((s for s in self.sections if s.link_id == link_id), None)


@dataclass(frozen=True, slots=True)
class AnswerError:
    """One problem with one answer: ``path`` is the linkId (``meds[1].name`` inside a repeating
    group), ``code`` one of unknown-item, wrong-type, not-an-option, out-of-range, required,
    disabled, read-only."""

    path: str
    code: str
    message: str


@dataclass(frozen=True, slots=True)
class GroupScore:
    id: str
    title: str
    score: int
    max: int


@dataclass(frozen=True, slots=True)
class Score:
    total: int
    min: int
    max: int
    band: Band | None
    groups: tuple[GroupScore, ...]
    flags: tuple[Flag, ...]
    answered: int
    scored_items: int

    def as_dict(self) -> dict:
        return {
            "total": self.total, "min": self.min, "max": self.max,
            "band": {"code": self.band.code, "label": self.band.label, "min": self.band.min, "max": self.band.max}
            if self.band else None,
            "groups": [{"id": g.id, "title": g.title, "score": g.score, "max": g.max} for g in self.groups],
            "flags": [{"item": f.item, "code": f.code, "label": f.label} for f in self.flags],
            "answered": self.answered, "scored_items": self.scored_items,
        }
