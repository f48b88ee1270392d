"""Check answers against a questionnaire: types, options, ranges, required items (when completing),
answers to items that are not enabled (enableWhen), unknown linkIds. Every problem names the item."""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import date
from typing import Any

from .model import AnswerError, EnableWhen, Item, ItemType, Operator, Questionnaire, Section

ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")


def is_answered(value: Any) -> bool:
    """An empty string, empty list or None counts as no answer."""
    if value is None:
        return False
    if isinstance(value, str):
        return bool(value.strip())
    if isinstance(value, list):
        return bool(value)
    return True


def _lookup(question: str, scopes: tuple[Mapping, ...]) -> Any:
    for scope in reversed(scopes):  # innermost first: a follow-up inside a medication entry
        if question in scope:
            return scope[question]
    return None


def _holds(cond: EnableWhen, value: Any) -> bool:
    if cond.operator is Operator.EXISTS:
        return is_answered(value) == (cond.answer is not False)
    if not is_answered(value):
        return cond.operator is Operator.NE
    values = value if isinstance(value, list) else [value]
    hit = any(v == cond.answer or (not isinstance(v, bool) and str(v) == str(cond.answer)) for v in values)
    return hit if cond.operator is Operator.EQ else not hit


def is_enabled(item: Item, scopes: tuple[Mapping, ...]) -> bool:
    """Whether item is enabled given the answers in scope (outermost first)."""
    if not item.enable_when:
        return True
    results = [_holds(c, _lookup(c.question, scopes)) for c in item.enable_when]
    return all(results) if item.enable_behavior == "all" else any(results)


def _type_error(item: Item, value: Any) -> tuple[str, str] | None:
    t = item.type
    if t is ItemType.TEXT:
        return None if isinstance(value, str) else ("wrong-type", "must be text")
    if t is ItemType.BOOLEAN:
        return None if isinstance(value, bool) else ("wrong-type", "must be yes or no (true/false)")
    if t in (ItemType.SCALE, ItemType.INTEGER):
        if isinstance(value, bool) or not isinstance(value, int):
            return ("wrong-type", "must be a whole number")
        if t is ItemType.SCALE and not (item.min <= value <= item.max):
            return ("out-of-range", f"must be between {item.min} and {item.max}")
        return None
    if t is ItemType.DATE:
        if not isinstance(value, str) or not ISO_DATE.match(value):
            return ("wrong-type", "must be a date (YYYY-MM-DD)")
        try:
            date.fromisoformat(value)
        except ValueError:
            return ("wrong-type", "is not a real date")
        return None
    if t is ItemType.CHOICE:
        if not isinstance(value, str):
            return ("wrong-type", "must be one option code")
        return None if item.option(value) else ("not-an-option", f"{value!r} is not one of the options")
    if t is ItemType.MULTI:
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            return ("wrong-type", "must be a list of option codes")
        bad = [v for v in value if item.option(v) is None]
        if bad:
            return ("not-an-option", f"{bad[0]!r} is not one of the options")
        if len(set(value)) != len(value):
            return ("wrong-type", "lists an option twice")
        return None
    return ("wrong-type", "takes no answer")


class _Checker:
    def __init__(self, complete: bool) -> None:
        self.complete = complete
        self.errors: list[AnswerError] = []

    def err(self, path: str, code: str, message: str) -> None:
        self.errors.append(AnswerError(path, code, message))

    def items(self, items: tuple[Item, ...], scope: Mapping, scopes: tuple[Mapping, ...], prefix: str,
              parent_enabled: bool = True) -> None:
        for item in items:
            path = f"{prefix}{item.link_id}"
            enabled = parent_enabled and is_enabled(item, scopes)
            if item.type is ItemType.GROUP and not item.repeats:
                self.items(item.items, scope, scopes, prefix, enabled)
                continue
            if item.type is ItemType.DISPLAY:
                continue
            value = scope.get(item.link_id)
            answered = is_answered(value)
            if answered and item.calculated:
                self.err(path, "read-only", "is calculated and takes no answer")
                continue
            if answered and not enabled:
                self.err(path, "disabled", "is not asked given the other answers; remove this answer")
                continue
            if not answered:
                if self.complete and enabled and item.required:
                    self.err(path, "required", "is required")
                continue
            if item.type is ItemType.GROUP:  # repeating
                if not isinstance(value, list) or not all(isinstance(e, dict) for e in value):
                    self.err(path, "wrong-type", "must be a list of entries")
                    continue
                for i, entry in enumerate(value):
                    self.unknown(entry, item.items, f"{path}[{i}].")
                    self.items(item.items, entry, (*scopes, entry), f"{path}[{i}].")
                continue
            problem = _type_error(item, value)
            if problem:
                self.err(path, *problem)

    def unknown(self, scope: Mapping, items: tuple[Item, ...], prefix: str) -> None:
        known = set(_scope_ids(items))
        for key in scope:
            if key not in known:
                self.err(f"{prefix}{key}", "unknown-item", "is not a question of this form")


def _scope_ids(items: tuple[Item, ...]):
    """linkIds that answer into the same dict as items (non-repeating groups flatten)."""
    for it in items:
        if it.type is ItemType.GROUP and not it.repeats:
            yield from _scope_ids(it.items)
        elif it.type is not ItemType.DISPLAY:
            yield it.link_id


def section_ids(section: Section) -> set[str]:
    """The top-level answer keys that belong to a section (page)."""
    return set(_scope_ids(section.items))


def validate(q: Questionnaire, answers: Any, *, complete: bool = False,
             sections: tuple[str, ...] | None = None) -> list[AnswerError]:
    """Return every problem with answers (empty when fine). complete=True also requires every
    enabled required item. sections limits the checks to those pages (enableWhen still sees all answers)."""
    if not isinstance(answers, Mapping):
        return [AnswerError("answers", "wrong-type", "must be an object keyed by linkId")]
    check = _Checker(complete)
    chosen = [s for s in q.sections if sections is None or s.link_id in sections]
    if sections is None:
        all_items = tuple(i for s in q.sections for i in s.items)
        check.unknown(answers, all_items, "")
    else:  # answers of the other pages are checked when those pages are
        every = set().union(*(section_ids(s) for s in q.sections))
        for key in answers:
            if key not in every:
                check.err(key, "unknown-item", "is not a question of this form")
    for s in chosen:
        check.items(s.items, answers, (answers,), "")
    return check.errors


def page_errors(q: Questionnaire, page: str, submitted: Mapping, merged: Mapping) -> list[AnswerError]:
    """Problems with saving ``submitted`` as the answers of one page, ``merged`` being all the
    response's answers after the save: keys of other pages, then validate() on that page."""
    section = q.section(page)
    own = section_ids(section)
    every = set().union(*(section_ids(s) for s in q.sections))
    errors = [AnswerError(k, "unknown-item", "belongs to another page" if k in every else "is not a question of this form")
              for k in submitted if k not in own]
    return errors + [e for e in validate(q, merged, sections=(page,)) if e.path.split("[")[0] in own]


def enabled_map(q: Questionnaire, answers: Mapping) -> dict[str, bool]:
    """linkId -> enabled, for top-level-scope items (what a renderer shows or hides)."""
    out: dict[str, bool] = {}

    def visit(items, parent_enabled):
        for it in items:
            on = parent_enabled and is_enabled(it, (answers,))
            out[it.link_id] = on
            if it.type is ItemType.GROUP and not it.repeats:
                visit(it.items, on)

    for s in q.sections:
        visit(s.items, True)
    return out


def missing_required(q: Questionnaire, answers: Mapping) -> list[str]:
    """Paths of enabled required items with no answer (what still blocks completion)."""
    return [e.path for e in validate(q, answers, complete=True) if e.code == "required"]
