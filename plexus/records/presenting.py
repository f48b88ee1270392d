"""Readable answers for screens and PDFs: each page with its questions and answers as text."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

from plexus.engines.forms import Item, ItemType
from plexus.engines.forms import Questionnaire as FormDef
from plexus.engines.forms.answers import is_answered, is_enabled


@dataclass
class Row:
    text: str
    answer: str
    depth: int = 0
    heading: bool = False


@dataclass
class Page:
    link_id: str
    title: str
    rows: list[Row] = field(default_factory=list)
    answered: int = 0


def answer_text(item: Item, value) -> str:
    if not is_answered(value):
        return ""
    if item.type is ItemType.BOOLEAN:
        return "Yes" if value else "No"
    if item.type is ItemType.CHOICE:
        opt = item.option(value)
        return opt.display if opt else str(value)
    if item.type is ItemType.MULTI:
        return "; ".join((o.display if (o := item.option(v)) else str(v)) for v in value)
    if item.type is ItemType.SCALE:
        return f"{value} (of {item.min}-{item.max})"
    if item.type is ItemType.DATE:
        try:
            return date.fromisoformat(value).strftime("%d %b %Y")
        except (TypeError, ValueError):
            return str(value)
    return str(value)


def _rows(items, scope, scopes, depth, page: Page, show_unanswered: bool) -> None:
    for it in items:
        if it.type is ItemType.DISPLAY or not is_enabled(it, scopes):
            continue
        if it.type is ItemType.GROUP and not it.repeats:
            page.rows.append(Row(it.text, "", depth, heading=True))
            _rows(it.items, scope, scopes, depth + 1, page, show_unanswered)
            continue
        value = scope.get(it.link_id)
        if it.type is ItemType.GROUP:
            entries = value if isinstance(value, list) else []
            if not entries and show_unanswered:
                page.rows.append(Row(it.text, "None listed", depth))
            for n, entry in enumerate(entries, 1):
                page.rows.append(Row(f"{it.text} {n}", "", depth, heading=True))
                _rows(it.items, entry, (*scopes, entry), depth + 1, page, show_unanswered)
            continue
        text = answer_text(it, value)
        if text:
            page.answered += 1
        if text or show_unanswered:
            page.rows.append(Row(it.text, text or "-", depth))


def answer_pages(form: FormDef, answers: dict, *, show_unanswered: bool = True) -> list[Page]:
    pages = []
    for s in form.sections:
        page = Page(s.link_id, s.title)
        _rows(s.items, answers, (answers,), 0, page, show_unanswered)
        pages.append(page)
    return pages
