"""Definitions for engine tests: the shipped forms (JSON data files) and a small form using every item type."""

from __future__ import annotations

import json
from pathlib import Path

from plexus.engines.forms import parse

FORMS = Path(__file__).resolve().parents[3] / "records" / "forms"
FREQ = ["LA6568-5", "LA6569-3", "LA6570-1", "LA6571-9"]  # 0..3


def shipped(slug: str):
    return parse(json.loads((FORMS / f"{slug}.json").read_text()))


def shipped_all():
    return [parse(json.loads(p.read_text())) for p in sorted(FORMS.glob("*.json"))]


MINI = {
    "slug": "mini", "version": "1", "title": "Mini", "disciplines": ["md"],
    "sections": [
        {"linkId": "p1", "title": "One", "items": [
            {"linkId": "name", "type": "text", "text": "Name", "required": True},
            {"linkId": "born", "type": "date", "text": "Born"},
            {"linkId": "colour", "type": "choice", "text": "Colour", "options": [{"code": "red", "display": "Red"}, {"code": "blue", "display": "Blue"}]},
            {"linkId": "likes", "type": "multi", "text": "Likes", "options": [{"code": "a", "display": "A"}, {"code": "b", "display": "B"}]},
            {"linkId": "pain", "type": "scale", "text": "Pain", "min": 0, "max": 10, "required": True},
        ]},
        {"linkId": "p2", "title": "Two", "items": [
            {"linkId": "smokes", "type": "boolean", "text": "Smoke?", "required": True},
            {"linkId": "packs", "type": "integer", "text": "Packs a day", "required": True,
             "enableWhen": [{"question": "smokes", "operator": "=", "answer": True}]},
            {"linkId": "meds", "type": "group", "text": "Medications", "repeats": True, "items": [
                {"linkId": "meds.name", "type": "text", "text": "Name", "required": True},
                {"linkId": "meds.prn", "type": "boolean", "text": "As needed?"},
                {"linkId": "meds.why", "type": "text", "text": "Why", "enableWhen": [{"question": "meds.prn", "answer": True}]},
            ]},
            {"linkId": "note", "type": "display", "text": "Thanks"},
        ]},
    ],
}
