"""Scores of a completed form: the sum of the scored items' values (an option's value, or a
scale's number), by group when the form scores groups (body systems), with the severity band of
the total and flags (e.g. PHQ-9 item 9 answered above "not at all")."""

from __future__ import annotations

from collections.abc import Mapping

from .model import GroupScore, Item, ItemType, Questionnaire, Score


def item_score(item: Item, value) -> int | None:
    """The points of one answer; None when unanswered or not scorable."""
    if item.type is ItemType.CHOICE and isinstance(value, str):
        opt = item.option(value)
        return opt.value if opt else None
    if item.type is ItemType.SCALE and isinstance(value, int) and not isinstance(value, bool):
        return value
    return None


def item_bounds(item: Item) -> tuple[int, int]:
    if item.type is ItemType.CHOICE:
        values = [o.value for o in item.options if o.value is not None]
        return min(values), max(values)
    return item.min, item.max


def score(q: Questionnaire, answers: Mapping) -> Score | None:
    """Return the score of answers (unanswered optional items count as their lowest value), or
    None when the form is not scored. Call it on answers that passed validate(complete=True)."""
    sc = q.scoring
    if sc is None:
        return None
    groups = sc.groups or ()
    plan = [(g.id, g.title, g.items) for g in groups] or [("total", q.title, sc.items)]
    group_scores = []
    answered = 0
    points: dict[str, int] = {}
    lo_total = 0
    for gid, title, link_ids in plan:
        total = hi = 0
        for link_id in link_ids:
            item = q.item(link_id)
            lo, top = item_bounds(item)
            got = item_score(item, answers.get(link_id))
            if got is not None:
                answered += 1
            value = got if got is not None else lo
            points[link_id] = value
            total += value
            hi += top
            lo_total += lo
        group_scores.append(GroupScore(id=gid, title=title, score=total, max=hi))
    total = sum(g.score for g in group_scores)
    band = next((b for b in sc.bands if b.min <= total <= b.max), None)
    flags = tuple(f for f in sc.flags if points.get(f.item, 0) >= f.at_least)
    return Score(total=total, min=lo_total, max=sum(g.max for g in group_scores), band=band,
                 groups=tuple(group_scores) if sc.groups else (), flags=flags, answered=answered,
                 scored_items=len(points))
