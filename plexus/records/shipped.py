"""The forms Plexus ships (JSON definitions in plexus/records/forms/), loaded idempotently."""

from __future__ import annotations

import json
from pathlib import Path

from django.utils import timezone

from plexus.engines.forms import parse

FORMS_DIR = Path(__file__).resolve().parent / "forms"


def shipped_definitions() -> list[dict]:
    """The shipped definitions, checked by the engine (a broken file fails loudly here)."""
    out = []
    for path in sorted(FORMS_DIR.glob("*.json")):
        data = json.loads(path.read_text(encoding="utf-8"))
        parse(data)
        out.append(data)
    return out


def load_shipped_forms(model=None) -> int:
    """Create each shipped (slug, version) that does not exist yet, as active; return how many were
    created. Existing versions are never changed (published versions are immutable). ``model`` is
    for data migrations (the historical Questionnaire model)."""
    if model is None:
        from plexus.records.models import Questionnaire as model
    created = 0
    now = timezone.now()
    for data in shipped_definitions():
        q = parse(data)
        _, made = model.objects.get_or_create(
            slug=q.slug, version=q.version,
            defaults={"title": q.title, "description": q.description, "status": "active",
                      "disciplines": list(q.disciplines), "definition": data, "scored": q.scoring is not None,
                      "source": "shipped", "created_at": now, "published_at": now},
        )
        created += made
    return created
