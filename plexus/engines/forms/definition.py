"""Read and write the JSON form of a questionnaire definition (the shipped forms' format and what
the records app stores). ``parse`` checks the whole definition and reports every problem with its
path; ``dump`` is its inverse (``parse(dump(q)) == q``)."""

from __future__ import annotations

import re
from typing import Any

from .model import (
    Band,
    Coding,
    EnableWhen,
    Flag,
    Item,
    ItemType,
    Operator,
    Option,
    Questionnaire,
    ScoreGroup,
    Scoring,
    Section,
)

LINK_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._/\-]{0,63}$")
SLUG = re.compile(r"^[a-z0-9][a-z0-9\-]{0,63}$")
VERSION = re.compile(r"^[A-Za-z0-9][A-Za-z0-9.\-]{0,19}$")


class DefinitionError(ValueError):
    """A definition is not usable; ``problems`` lists (path, message) for every problem found."""

    def __init__(self, problems: list[tuple[str, str]]) -> None:
        self.problems = problems
        first = f"{problems[0][0]}: {problems[0][1]}"
        more = f" (and {len(problems) - 1} more)" if len(problems) > 1 else ""
        super().__init__(first + more)


class _Reader:
    def __init__(self) -> None:
        self.problems: list[tuple[str, str]] = []

    def fail(self, path: str, message: str) -> None:
        self.problems.append((path, message))

    def text(self, data: dict, key: str, path: str, *, required: bool = False) -> str:
        value = data.get(key, "")
        if value is None:
            value = ""
        if not isinstance(value, str):
            self.fail(f"{path}.{key}", "must be text")
            return ""
        if required and not value.strip():
            self.fail(f"{path}.{key}", "is required")
        return value

    def integer(self, data: dict, key: str, path: str) -> int | None:
        value = data.get(key)
        if value is None:
            return None
        if isinstance(value, bool) or not isinstance(value, int):
            self.fail(f"{path}.{key}", "must be a whole number")
            return None
        return value

    def coding(self, value: Any, path: str) -> Coding | None:
        if value is None:
            return None
        if not isinstance(value, dict) or not isinstance(value.get("code"), str) or not value.get("code"):
            self.fail(path, "must be an object with system and code")
            return None
        return Coding(system=str(value.get("system", "")), code=value["code"], display=str(value.get("display", "")))

    def item(self, data: Any, path: str) -> Item | None:
        if not isinstance(data, dict):
            self.fail(path, "must be an object")
            return None
        link_id = self.text(data, "linkId", path, required=True)
        if link_id and not LINK_ID.match(link_id):
            self.fail(f"{path}.linkId", "use letters, digits, '.', '-', '_' or '/' (at most 64)")
        try:
            kind = ItemType(data.get("type"))
        except ValueError:
            self.fail(f"{path}.type", f"must be one of {', '.join(t.value for t in ItemType)}")
            return None
        text = self.text(data, "text", path, required=kind is not ItemType.GROUP)
        options: list[Option] = []
        raw_options = data.get("options", [])
        if not isinstance(raw_options, list):
            self.fail(f"{path}.options", "must be a list")
            raw_options = []
        for i, opt in enumerate(raw_options):
            opath = f"{path}.options[{i}]"
            if not isinstance(opt, dict):
                self.fail(opath, "must be an object")
                continue
            code = self.text(opt, "code", opath, required=True)
            display = self.text(opt, "display", opath) or code
            options.append(Option(code=code, display=display, value=self.integer(opt, "value", opath)))
        if kind in (ItemType.CHOICE, ItemType.MULTI) and not options:
            self.fail(f"{path}.options", "a choice item needs at least one option")
        if kind not in (ItemType.CHOICE, ItemType.MULTI) and options:
            self.fail(f"{path}.options", f"a {kind.value} item has no options")
        codes = [o.code for o in options]
        if len(set(codes)) != len(codes):
            self.fail(f"{path}.options", "option codes must be unique")
        lo, hi = self.integer(data, "min", path), self.integer(data, "max", path)
        if kind is ItemType.SCALE and (lo is None or hi is None or lo >= hi):
            self.fail(f"{path}.max", "a scale needs whole-number min and max with min < max")
        enable_when = []
        raw_ew = data.get("enableWhen", [])
        if not isinstance(raw_ew, list):
            self.fail(f"{path}.enableWhen", "must be a list")
            raw_ew = []
        for i, cond in enumerate(raw_ew):
            cpath = f"{path}.enableWhen[{i}]"
            if not isinstance(cond, dict) or not isinstance(cond.get("question"), str):
                self.fail(cpath, "must be an object naming a question")
                continue
            try:
                op = Operator(cond.get("operator", "="))
            except ValueError:
                self.fail(f"{cpath}.operator", "must be =, != or exists")
                continue
            answer = cond.get("answer")
            if answer is not None and not isinstance(answer, str | bool | int):
                self.fail(f"{cpath}.answer", "must be text, a number or true/false")
                continue
            enable_when.append(EnableWhen(question=cond["question"], operator=op, answer=answer))
        behavior = data.get("enableBehavior", "all")
        if behavior not in ("all", "any"):
            self.fail(f"{path}.enableBehavior", "must be all or any")
            behavior = "all"
        repeats = bool(data.get("repeats", False))
        if repeats and kind is not ItemType.GROUP:
            self.fail(f"{path}.repeats", "only groups repeat; use multi for several choices")
        children = []
        raw_items = data.get("items", [])
        if not isinstance(raw_items, list):
            self.fail(f"{path}.items", "must be a list")
            raw_items = []
        if raw_items and kind is not ItemType.GROUP:
            self.fail(f"{path}.items", "only groups hold items")
        for i, child in enumerate(raw_items):
            parsed = self.item(child, f"{path}.items[{i}]")
            if parsed:
                children.append(parsed)
        if kind is ItemType.GROUP and not raw_items:
            self.fail(f"{path}.items", "a group needs items")
        calculated = bool(data.get("calculated", False))
        required = bool(data.get("required", False))
        if calculated and required:
            self.fail(f"{path}.required", "a calculated item is never answered, so it cannot be required")
        return Item(
            link_id=link_id, text=text, type=kind, required=required, repeats=repeats, options=tuple(options),
            option_system=self.text(data, "optionSystem", path), min=lo, max=hi,
            min_label=self.text(data, "minLabel", path), max_label=self.text(data, "maxLabel", path),
            enable_when=tuple(enable_when), enable_behavior=behavior, items=tuple(children),
            code=self.coding(data.get("code"), f"{path}.code"), calculated=calculated,
            help=self.text(data, "help", path),
        )

    def scoring(self, data: Any, path: str) -> Scoring | None:
        if data is None:
            return None
        if not isinstance(data, dict):
            self.fail(path, "must be an object")
            return None

        def names(value, p) -> tuple[str, ...]:
            if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
                self.fail(p, "must be a list of linkIds")
                return ()
            return tuple(value)

        groups = []
        for i, g in enumerate(data.get("groups", []) or []):
            gp = f"{path}.groups[{i}]"
            if not isinstance(g, dict):
                self.fail(gp, "must be an object")
                continue
            groups.append(ScoreGroup(id=self.text(g, "id", gp, required=True), title=self.text(g, "title", gp),
                                     items=names(g.get("items"), f"{gp}.items")))
        bands = []
        for i, b in enumerate(data.get("bands", []) or []):
            bp = f"{path}.bands[{i}]"
            if not isinstance(b, dict):
                self.fail(bp, "must be an object")
                continue
            lo, hi = self.integer(b, "min", bp), self.integer(b, "max", bp)
            if lo is None or hi is None or lo > hi:
                self.fail(bp, "needs whole-number min <= max")
                continue
            bands.append(Band(min=lo, max=hi, code=self.text(b, "code", bp, required=True),
                              label=self.text(b, "label", bp, required=True)))
        flags = []
        for i, f in enumerate(data.get("flags", []) or []):
            fp = f"{path}.flags[{i}]"
            if not isinstance(f, dict):
                self.fail(fp, "must be an object")
                continue
            flags.append(Flag(item=self.text(f, "item", fp, required=True), at_least=self.integer(f, "atLeast", fp) or 0,
                              code=self.text(f, "code", fp, required=True), label=self.text(f, "label", fp, required=True)))
        items = names(data.get("items", []), f"{path}.items") if "items" in data else ()
        if items and groups:
            self.fail(path, "give items or groups, not both")
        if not items and not groups:
            self.fail(path, "name the scored items (items) or the scored groups (groups)")
        return Scoring(items=items, groups=tuple(groups), bands=tuple(bands), flags=tuple(flags))


def _check(q: Questionnaire, r: _Reader) -> None:
    """Cross-item checks: unique linkIds, enableWhen targets, scored items and band coverage."""
    seen: set[str] = set()
    for s in q.sections:
        if s.link_id in seen:
            r.fail(f"sections[{s.link_id}]", f"linkId {s.link_id} is used twice")
        seen.add(s.link_id)
    by_id = {}
    for item, parents in q.walk():
        if item.link_id in seen:
            r.fail(f"item[{item.link_id}]", f"linkId {item.link_id} is used twice")
        seen.add(item.link_id)
        by_id[item.link_id] = (item, parents)
    for item, _ in q.walk():
        for cond in item.enable_when:
            target = by_id.get(cond.question)
            if target is None or not target[0].answerable:
                r.fail(f"item[{item.link_id}].enableWhen", f"{cond.question} is not an answerable item")
                continue
            t = target[0]
            if cond.operator is not Operator.EXISTS:
                ok = (isinstance(cond.answer, bool) if t.type is ItemType.BOOLEAN
                      else t.option(str(cond.answer)) is not None if t.type in (ItemType.CHOICE, ItemType.MULTI)
                      else cond.answer is not None)
                if not ok:
                    r.fail(f"item[{item.link_id}].enableWhen", f"{cond.answer!r} is not a possible answer of {t.link_id}")
    if q.scoring:
        total_max = 0
        for link_id in q.scoring.all_items:
            target = by_id.get(link_id)
            if target is None:
                r.fail("scoring", f"scored item {link_id} does not exist")
                continue
            t, parents = target
            if any(p.repeats for p in parents):
                r.fail("scoring", f"scored item {link_id} is inside a repeating group")
            if t.type is ItemType.CHOICE and all(o.value is not None for o in t.options):
                total_max += max(o.value for o in t.options)
            elif t.type is ItemType.SCALE:
                total_max += t.max
            else:
                r.fail("scoring", f"scored item {link_id} must be a choice with a value on every option, or a scale")
        for f in q.scoring.flags:
            if f.item not in q.scoring.all_items:
                r.fail("scoring.flags", f"flagged item {f.item} is not scored")
        if q.scoring.bands:
            bands = sorted(q.scoring.bands, key=lambda b: b.min)
            expected = 0
            for b in bands:
                if b.min != expected:
                    r.fail("scoring.bands", f"bands must cover every score without gaps or overlaps (at {expected})")
                    break
                expected = b.max + 1
            else:
                if expected - 1 != total_max:
                    r.fail("scoring.bands", f"bands end at {expected - 1} but the highest score is {total_max}")


def parse(data: Any) -> Questionnaire:
    """Return the Questionnaire for a JSON definition; raise DefinitionError listing every problem."""
    r = _Reader()
    if not isinstance(data, dict):
        raise DefinitionError([("definition", "must be an object")])
    slug = r.text(data, "slug", "definition", required=True)
    if slug and not SLUG.match(slug):
        r.fail("definition.slug", "use lower-case letters, digits and '-' (at most 64)")
    version = r.text(data, "version", "definition", required=True)
    if version and not VERSION.match(version):
        r.fail("definition.version", "use letters, digits, '.' and '-' (at most 20)")
    disciplines = data.get("disciplines", [])
    if not isinstance(disciplines, list) or not all(isinstance(d, str) and d for d in disciplines):
        r.fail("definition.disciplines", "must be a list of discipline codes")
        disciplines = []
    sections = []
    raw_sections = data.get("sections")
    if not isinstance(raw_sections, list) or not raw_sections:
        r.fail("definition.sections", "a form needs at least one section")
        raw_sections = []
    for i, s in enumerate(raw_sections):
        sp = f"sections[{i}]"
        if not isinstance(s, dict):
            r.fail(sp, "must be an object")
            continue
        link_id = r.text(s, "linkId", sp, required=True)
        if link_id and not LINK_ID.match(link_id):
            r.fail(f"{sp}.linkId", "use letters, digits, '.', '-', '_' or '/' (at most 64)")
        raw_items = s.get("items")
        if not isinstance(raw_items, list) or not raw_items:
            r.fail(f"{sp}.items", "a section needs items")
            raw_items = []
        items = [it for j, raw in enumerate(raw_items) if (it := r.item(raw, f"{sp}.items[{j}]"))]
        sections.append(Section(link_id=link_id, title=r.text(s, "title", sp, required=True), items=tuple(items),
                                help=r.text(s, "help", sp)))
    q = Questionnaire(
        slug=slug, version=version, title=r.text(data, "title", "definition", required=True),
        sections=tuple(sections), description=r.text(data, "description", "definition"),
        disciplines=tuple(disciplines), code=r.coding(data.get("code"), "definition.code"),
        scoring=r.scoring(data.get("scoring"), "definition.scoring"), copyright=r.text(data, "copyright", "definition"),
    )
    if not r.problems:
        _check(q, r)
    if r.problems:
        raise DefinitionError(r.problems)
    return q


def _coding(c: Coding) -> dict:
    out = {"system": c.system, "code": c.code}
    if c.display:
        out["display"] = c.display
    return out


def _dump_item(it: Item) -> dict:
    out: dict[str, Any] = {"linkId": it.link_id, "type": it.type.value}
    if it.text:
        out["text"] = it.text
    if it.help:
        out["help"] = it.help
    if it.code:
        out["code"] = _coding(it.code)
    if it.required:
        out["required"] = True
    if it.repeats:
        out["repeats"] = True
    if it.calculated:
        out["calculated"] = True
    if it.option_system:
        out["optionSystem"] = it.option_system
    if it.options:
        out["options"] = [{"code": o.code, "display": o.display, **({"value": o.value} if o.value is not None else {})}
                          for o in it.options]
    for key, value in (("min", it.min), ("max", it.max)):
        if value is not None:
            out[key] = value
    if it.min_label:
        out["minLabel"] = it.min_label
    if it.max_label:
        out["maxLabel"] = it.max_label
    if it.enable_when:
        out["enableWhen"] = [{"question": c.question, "operator": c.operator.value,
                              **({"answer": c.answer} if c.answer is not None else {})} for c in it.enable_when]
        if it.enable_behavior != "all":
            out["enableBehavior"] = it.enable_behavior
    if it.items:
        out["items"] = [_dump_item(c) for c in it.items]
    return out


def dump(q: Questionnaire) -> dict:
    """Return the JSON definition of q."""
    out: dict[str, Any] = {"slug": q.slug, "version": q.version, "title": q.title}
    if q.description:
        out["description"] = q.description
    if q.copyright:
        out["copyright"] = q.copyright
    out["disciplines"] = list(q.disciplines)
    if q.code:
        out["code"] = _coding(q.code)
    out["sections"] = [{"linkId": s.link_id, "title": s.title, **({"help": s.help} if s.help else {}),
                        "items": [_dump_item(i) for i in s.items]} for s in q.sections]
    if q.scoring:
        sc = q.scoring
        scoring: dict[str, Any] = {}
        if sc.groups:
            scoring["groups"] = [{"id": g.id, "title": g.title, "items": list(g.items)} for g in sc.groups]
        else:
            scoring["items"] = list(sc.items)
        if sc.bands:
            scoring["bands"] = [{"min": b.min, "max": b.max, "code": b.code, "label": b.label} for b in sc.bands]
        if sc.flags:
            scoring["flags"] = [{"item": f.item, "atLeast": f.at_least, "code": f.code, "label": f.label}
                                for f in sc.flags]
        out["scoring"] = scoring
    return out
