"""FHIR R4 Questionnaire and QuestionnaireResponse JSON for our definitions and answers (plain
dicts; the records app validates them with fhir.resources.R4B at the edges).

Mapping: a section is a top-level ``group`` item; text -> ``text``; choice -> ``choice`` with
``answerOption.valueCoding`` (an option's score in the ``ordinalValue`` extension); multi ->
``choice`` + ``repeats``; scale -> ``integer`` with ``minValue``/``maxValue`` extensions and a slider
item control; date, boolean, integer, group (``repeats`` for repeating groups) and display map to
themselves; calculated -> ``readOnly``. Disciplines travel as ``useContext`` (user type), the
scoring rules as a Plexus extension holding their JSON."""

from __future__ import annotations

import json
import re
from typing import Any

from .definition import DefinitionError, dump, parse
from .model import Coding, Item, ItemType, Questionnaire

BASE = "https://plexus.invalid/fhir"
DISCIPLINE_SYSTEM = f"{BASE}/CodeSystem/discipline"
SCORING_EXT = f"{BASE}/StructureDefinition/questionnaire-scoring"
HELP_EXT = f"{BASE}/StructureDefinition/questionnaire-help"
ORDINAL = "http://hl7.org/fhir/StructureDefinition/ordinalValue"
ITEM_WEIGHT = "http://hl7.org/fhir/StructureDefinition/itemWeight"
MIN_VALUE = "http://hl7.org/fhir/StructureDefinition/minValue"
MAX_VALUE = "http://hl7.org/fhir/StructureDefinition/maxValue"
ITEM_CONTROL = "http://hl7.org/fhir/StructureDefinition/questionnaire-itemControl"
SLIDER_LABEL = f"{BASE}/StructureDefinition/questionnaire-scaleLabels"
USAGE_CONTEXT = "http://terminology.hl7.org/CodeSystem/usage-context-type"
LOINC = "http://loinc.org"
# An item whose value is computed (CQL or FHIRPath) is never answered by the patient.
CALCULATED = ("http://hl7.org/fhir/StructureDefinition/cqf-expression",
              "http://hl7.org/fhir/uv/sdc/StructureDefinition/sdc-questionnaire-calculatedExpression")

# Answer lists a Questionnaire may name by answerValueSet instead of listing answerOption: we do not
# resolve value sets, so only these well-known LOINC lists are understood.
LOINC_FREQUENCY = (("LA6568-5", "Not at all", 0), ("LA6569-3", "Several days", 1),
                   ("LA6570-1", "More than half the days", 2), ("LA6571-9", "Nearly every day", 3))
KNOWN_VALUE_SETS = {"http://loinc.org/vs/LL358-3": LOINC_FREQUENCY}


class FhirMappingError(ValueError):
    """The FHIR JSON cannot be mapped; problems are (element path, message) pairs."""

    def __init__(self, problems: list[tuple[str, str]]) -> None:
        self.problems = problems
        more = f" (and {len(problems) - 1} more)" if len(problems) > 1 else ""
        super().__init__(f"{problems[0][0]}: {problems[0][1]}{more}")


def canonical(q: Questionnaire) -> str:
    return f"{BASE}/Questionnaire/{q.slug}"


def _coding(c: Coding) -> dict:
    out = {"system": c.system, "code": c.code} if c.system else {"code": c.code}
    if c.display:
        out["display"] = c.display
    return out


def _fhir_id(text: str) -> str:
    return re.sub(r"[^A-Za-z0-9\-.]", "-", text)[:64]


def _item_to_fhir(it: Item) -> dict:
    out: dict[str, Any] = {"linkId": it.link_id}
    ext: list[dict] = []
    if it.code:
        out["code"] = [_coding(it.code)]
    if it.text:
        out["text"] = it.text
    kind = {ItemType.MULTI: "choice", ItemType.SCALE: "integer"}.get(it.type, it.type.value)
    out["type"] = kind
    if it.enable_when:
        out["enableWhen"] = []
        for c in it.enable_when:
            cond: dict[str, Any] = {"question": c.question, "operator": c.operator.value}
            if c.operator.value == "exists":
                cond["answerBoolean"] = c.answer is not False
            elif isinstance(c.answer, bool):
                cond["answerBoolean"] = c.answer
            elif isinstance(c.answer, int):
                cond["answerInteger"] = c.answer
            else:
                cond["answerCoding"] = {"code": str(c.answer)}
            out["enableWhen"].append(cond)
        if len(it.enable_when) > 1:
            out["enableBehavior"] = it.enable_behavior
    if it.required:
        out["required"] = True
    if it.repeats or it.type is ItemType.MULTI:
        out["repeats"] = True
    if it.calculated:
        out["readOnly"] = True
    if it.options:
        out["answerOption"] = []
        for o in it.options:
            coding = {"code": o.code, "display": o.display}
            if it.option_system:
                coding = {"system": it.option_system, **coding}
            entry: dict[str, Any] = {"valueCoding": coding}
            if o.value is not None:
                entry["extension"] = [{"url": ORDINAL, "valueDecimal": o.value}]
            out["answerOption"].append(entry)
    if it.type is ItemType.SCALE:
        ext += [{"url": MIN_VALUE, "valueInteger": it.min}, {"url": MAX_VALUE, "valueInteger": it.max},
                {"url": ITEM_CONTROL, "valueCodeableConcept": {"coding": [{
                    "system": "http://hl7.org/fhir/questionnaire-item-control", "code": "slider"}]}}]
        if it.min_label or it.max_label:
            ext.append({"url": SLIDER_LABEL, "valueString": json.dumps([it.min_label, it.max_label])})
    if it.help:
        ext.append({"url": HELP_EXT, "valueString": it.help})
    if ext:
        out["extension"] = ext
    if it.items:
        out["item"] = [_item_to_fhir(c) for c in it.items]
    return out


def questionnaire_to_fhir(q: Questionnaire, *, status: str = "active") -> dict:
    """Return the FHIR R4 Questionnaire for q (status: draft | active | retired)."""
    out: dict[str, Any] = {
        "resourceType": "Questionnaire",
        "id": _fhir_id(f"{q.slug}-{q.version}"),
        "url": canonical(q),
        "version": q.version,
        "name": "".join(part.capitalize() for part in re.split(r"[^A-Za-z0-9]+", q.slug) if part) or "Form",
        "title": q.title,
        "status": status,
        "subjectType": ["Patient"],
    }
    if q.scoring:
        scoring = dump(q)["scoring"]
        out["extension"] = [{"url": SCORING_EXT, "valueString": json.dumps(scoring, separators=(",", ":"))}]
    if q.description:
        out["description"] = q.description
    if q.copyright:
        out["copyright"] = q.copyright
    if q.disciplines:
        out["useContext"] = [{"code": {"system": USAGE_CONTEXT, "code": "user"},
                              "valueCodeableConcept": {"coding": [{"system": DISCIPLINE_SYSTEM, "code": d}]}}
                             for d in q.disciplines]
    if q.code:
        out["code"] = [_coding(q.code)]
    out["item"] = [{"linkId": s.link_id, "text": s.title, "type": "group",
                    **({"extension": [{"url": HELP_EXT, "valueString": s.help}]} if s.help else {}),
                    "item": [_item_to_fhir(i) for i in s.items]} for s in q.sections]
    return out


# -- import --------------------------------------------------------------------------------------

def _ext(data: dict, url: str) -> dict | None:
    return next((e for e in data.get("extension", []) or [] if e.get("url") == url), None)


def _slugify(text: str) -> str:
    return re.sub(r"-+", "-", re.sub(r"[^a-z0-9]+", "-", text.lower())).strip("-")[:64]


class _Importer:
    def __init__(self) -> None:
        self.problems: list[tuple[str, str]] = []

    def item(self, data: dict, path: str) -> dict | None:
        kind = data.get("type")
        out: dict[str, Any] = {"linkId": data.get("linkId", "")}
        if data.get("text"):
            out["text"] = data["text"]
        help_ext = _ext(data, HELP_EXT)
        if help_ext:
            out["help"] = help_ext.get("valueString", "")
        codes = data.get("code") or []
        if codes:
            c = codes[0]
            out["code"] = {"system": c.get("system", ""), "code": c.get("code", ""),
                           **({"display": c["display"]} if c.get("display") else {})}
        if data.get("required"):
            out["required"] = True
        if data.get("readOnly") or any(_ext(data, url) for url in CALCULATED):
            out["calculated"] = True
            out.pop("required", None)
        repeats = bool(data.get("repeats"))
        mapping = {"string": "text", "text": "text", "url": "text", "date": "date", "boolean": "boolean",
                   "integer": "integer", "decimal": "text", "group": "group", "display": "display",
                   "choice": "choice", "open-choice": "choice"}
        if kind not in mapping:
            self.problems.append((f"{path}.type", f"item type {kind!r} is not supported (use {', '.join(sorted(mapping))})"))
            return None
        ours = mapping[kind]
        if ours == "choice":
            ours = "multi" if repeats else "choice"
            options, system = self.options(data, path)
            out["options"] = options
            if system:
                out["optionSystem"] = system
        elif ours == "integer":
            lo, hi = _ext(data, MIN_VALUE), _ext(data, MAX_VALUE)
            if lo and hi and "valueInteger" in lo and "valueInteger" in hi:
                ours = "scale"
                out["min"], out["max"] = lo["valueInteger"], hi["valueInteger"]
                labels = _ext(data, SLIDER_LABEL)
                if labels:
                    try:
                        out["minLabel"], out["maxLabel"] = json.loads(labels.get("valueString", "[]"))
                    except (ValueError, TypeError):
                        self.problems.append((f"{path}.extension", "scale labels are not a JSON pair"))
        elif ours == "group" and repeats:
            out["repeats"] = True
        elif repeats and ours != "group":
            self.problems.append((f"{path}.repeats", f"repeating {kind} items are not supported"))
        out["type"] = ours
        conds = []
        for i, cond in enumerate(data.get("enableWhen") or []):
            cp = f"{path}.enableWhen[{i}]"
            op = cond.get("operator")
            if op not in ("=", "!=", "exists"):
                self.problems.append((f"{cp}.operator", f"operator {op!r} is not supported (use =, != or exists)"))
                continue
            if "answerBoolean" in cond:
                answer: Any = cond["answerBoolean"]
            elif "answerCoding" in cond:
                answer = cond["answerCoding"].get("code")
            elif "answerInteger" in cond:
                answer = cond["answerInteger"]
            elif "answerString" in cond:
                answer = cond["answerString"]
            else:
                self.problems.append((cp, "give answerBoolean, answerCoding, answerInteger or answerString"))
                continue
            conds.append({"question": cond.get("question"), "operator": op, "answer": answer})
        if conds:
            out["enableWhen"] = conds
            if data.get("enableBehavior") in ("all", "any"):
                out["enableBehavior"] = data["enableBehavior"]
        children = [self.item(c, f"{path}.item[{i}]") for i, c in enumerate(data.get("item") or [])]
        if children:
            if ours != "group":
                self.problems.append((f"{path}.item", "items nested under a question are not supported; use a group"))
            out["items"] = [c for c in children if c]
        return out

    def options(self, data: dict, path: str) -> tuple[list[dict], str]:
        if data.get("answerValueSet") and not data.get("answerOption"):
            known = KNOWN_VALUE_SETS.get(data["answerValueSet"])
            if known is None:
                self.problems.append((f"{path}.answerValueSet",
                                      f"value set {data['answerValueSet']} cannot be resolved; list the answers in answerOption"))
                return [], ""
            return [{"code": c, "display": d, "value": v} for c, d, v in known], LOINC
        options, systems = [], set()
        for i, opt in enumerate(data.get("answerOption") or []):
            op = f"{path}.answerOption[{i}]"
            if "valueCoding" in opt:
                c = opt["valueCoding"]
                code, display = c.get("code"), c.get("display") or c.get("code")
                systems.add(c.get("system", ""))
            elif "valueString" in opt:
                code = display = opt["valueString"]
            elif "valueInteger" in opt:
                code = display = str(opt["valueInteger"])
            else:
                self.problems.append((op, "only valueCoding, valueString and valueInteger options are supported"))
                continue
            if not code:
                self.problems.append((f"{op}.valueCoding.code", "is required"))
                continue
            entry: dict[str, Any] = {"code": code, "display": display}
            weight = _ext(opt, ORDINAL) or _ext(opt, ITEM_WEIGHT)
            if weight is not None:
                value = weight.get("valueDecimal", weight.get("valueInteger"))
                if isinstance(value, int | float) and float(value).is_integer():
                    entry["value"] = int(value)
                else:
                    self.problems.append((f"{op}.extension", "an option's score must be a whole number"))
            options.append(entry)
        if not options:
            self.problems.append((f"{path}.answerOption", "a choice item needs answerOption"))
        systems.discard("")
        if len(systems) > 1:
            self.problems.append((f"{path}.answerOption", "options must share one code system"))
        return options, (systems.pop() if systems else "")


def questionnaire_from_fhir(data: dict) -> tuple[Questionnaire, str]:
    """Return (questionnaire, FHIR status) for an R4 Questionnaire dict (already schema-validated).
    Top-level groups become sections; other top-level items are gathered into sections of their
    own. Raise FhirMappingError naming the element for anything we cannot represent."""
    imp = _Importer()
    status = data.get("status")
    if status not in ("draft", "active", "retired"):
        imp.problems.append(("Questionnaire.status", f"{status!r} is not draft, active or retired"))
    url = data.get("url") or ""
    slug = _slugify(url.rstrip("/").rsplit("/", 1)[-1] if url.startswith(f"{BASE}/Questionnaire/")
                    else (data.get("id") or data.get("name") or data.get("title") or ""))
    if not slug:
        imp.problems.append(("Questionnaire.id", "give an id, name or title to name the form"))
    disciplines = []
    for ctx in data.get("useContext") or []:
        for coding in (ctx.get("valueCodeableConcept") or {}).get("coding", []):
            if coding.get("system") == DISCIPLINE_SYSTEM and coding.get("code"):
                disciplines.append(coding["code"])
    sections: list[dict] = []
    loose: list[dict] = []

    def flush():
        if loose:
            n = len(sections) + 1
            sections.append({"linkId": f"page-{n}", "title": data.get("title") or "Questions", "items": list(loose)})
            loose.clear()

    for i, raw in enumerate(data.get("item") or []):
        path = f"Questionnaire.item[{i}]"
        if raw.get("type") == "group" and not raw.get("repeats") and not raw.get("enableWhen"):
            flush()
            children = [imp.item(c, f"{path}.item[{j}]") for j, c in enumerate(raw.get("item") or [])]
            help_ext = _ext(raw, HELP_EXT)
            sections.append({"linkId": raw.get("linkId", ""), "title": raw.get("text") or raw.get("linkId", ""),
                             **({"help": help_ext.get("valueString", "")} if help_ext else {}),
                             "items": [c for c in children if c]})
        else:
            converted = imp.item(raw, path)
            if converted:
                loose.append(converted)
    flush()
    if not sections:
        imp.problems.append(("Questionnaire.item", "the form has no items"))
    definition: dict[str, Any] = {
        "slug": slug, "version": data.get("version") or "1", "title": data.get("title") or data.get("name") or slug,
        "description": data.get("description") or "", "copyright": data.get("copyright") or "",
        "disciplines": disciplines, "sections": sections,
    }
    codes = data.get("code") or []
    if codes:
        c = codes[0]
        definition["code"] = {"system": c.get("system", ""), "code": c.get("code", ""),
                              **({"display": c["display"]} if c.get("display") else {})}
    scoring = _ext(data, SCORING_EXT)
    if scoring:
        try:
            definition["scoring"] = json.loads(scoring.get("valueString") or "")
        except ValueError:
            imp.problems.append(("Questionnaire.extension", "the scoring extension is not JSON"))
    if imp.problems:
        raise FhirMappingError(imp.problems)
    try:
        return parse(definition), status
    except DefinitionError as exc:
        raise FhirMappingError([(f"Questionnaire ({p})", m) for p, m in exc.problems]) from exc


# -- responses -----------------------------------------------------------------------------------

def _answer_to_fhir(item: Item, value: Any) -> list[dict]:
    if item.type is ItemType.BOOLEAN:
        return [{"valueBoolean": value}]
    if item.type in (ItemType.SCALE, ItemType.INTEGER):
        return [{"valueInteger": value}]
    if item.type is ItemType.DATE:
        return [{"valueDate": value}]
    if item.type in (ItemType.CHOICE, ItemType.MULTI):
        out = []
        for code in (value if isinstance(value, list) else [value]):
            opt = item.option(code)
            coding = {"code": code, "display": opt.display if opt else code}
            if item.option_system:
                coding = {"system": item.option_system, **coding}
            out.append({"valueCoding": coding})
        return out
    return [{"valueString": value}]


def _items_to_fhir(items: tuple[Item, ...], scope: dict) -> list[dict]:
    out = []
    for it in items:
        if it.type is ItemType.DISPLAY:
            continue
        if it.type is ItemType.GROUP and not it.repeats:
            children = _items_to_fhir(it.items, scope)
            if children:
                out.append({"linkId": it.link_id, **({"text": it.text} if it.text else {}), "item": children})
            continue
        value = scope.get(it.link_id)
        if value is None or value == "" or value == []:
            continue
        if it.type is ItemType.GROUP:
            for entry in value:
                children = _items_to_fhir(it.items, entry)
                if children:
                    out.append({"linkId": it.link_id, **({"text": it.text} if it.text else {}), "item": children})
            continue
        out.append({"linkId": it.link_id, "text": it.text, "answer": _answer_to_fhir(it, value)})
    return out


def response_to_fhir(q: Questionnaire, answers: dict, *, response_id: str, status: str, patient_ref: str,
                     authored: str | None, score_total: int | None = None) -> dict:
    """Return the FHIR R4 QuestionnaireResponse for answers (status: in-progress | completed)."""
    out: dict[str, Any] = {
        "resourceType": "QuestionnaireResponse", "id": _fhir_id(response_id),
        "questionnaire": f"{canonical(q)}|{q.version}", "status": status, "subject": {"reference": patient_ref},
    }
    if authored:
        out["authored"] = authored
    items = [{"linkId": s.link_id, "text": s.title, "item": children}
             for s in q.sections if (children := _items_to_fhir(s.items, answers))]
    if items:
        out["item"] = items
    return out


def _answer_from_fhir(item: Item, answers: list[dict], path: str, problems: list) -> Any:
    values = []
    for i, a in enumerate(answers):
        ap = f"{path}.answer[{i}]"
        t = item.type
        key = {ItemType.BOOLEAN: "valueBoolean", ItemType.SCALE: "valueInteger", ItemType.INTEGER: "valueInteger",
               ItemType.DATE: "valueDate", ItemType.TEXT: "valueString", ItemType.CHOICE: "valueCoding",
               ItemType.MULTI: "valueCoding"}[t]
        if key not in a:
            problems.append((ap, f"{item.link_id} expects {key}"))
            continue
        values.append(a[key].get("code") if key == "valueCoding" else a[key])
    if item.type is ItemType.MULTI:
        return values
    if len(values) > 1:
        problems.append((f"{path}.answer", f"{item.link_id} takes one answer"))
    return values[0] if values else None


def _index(items: tuple[Item, ...], out: dict[str, Item]) -> dict[str, Item]:
    """linkId -> item for the items answering into one scope (non-repeating groups included)."""
    for it in items:
        out[it.link_id] = it
        if it.type is ItemType.GROUP and not it.repeats:
            _index(it.items, out)
    return out


def _read_item(by_id: dict[str, Item], fi: dict, path: str, scope: dict, problems: list) -> None:
    it = by_id.get(fi.get("linkId"))
    if it is None:
        problems.append((f"{path}.linkId", f"{fi.get('linkId')!r} is not an item of this form"))
        return
    if it.type is ItemType.GROUP and not it.repeats:
        for j, child in enumerate(fi.get("item") or []):
            _read_item(by_id, child, f"{path}.item[{j}]", scope, problems)
    elif it.type is ItemType.GROUP:
        entry: dict[str, Any] = {}
        inner = _index(it.items, {})
        for j, child in enumerate(fi.get("item") or []):
            _read_item(inner, child, f"{path}.item[{j}]", entry, problems)
        scope.setdefault(it.link_id, []).append(entry)
    elif it.type is ItemType.DISPLAY:
        problems.append((f"{path}.linkId", f"{it.link_id} is a display item and takes no answer"))
    else:
        value = _answer_from_fhir(it, fi.get("answer") or [], path, problems)
        if value is not None:
            scope[it.link_id] = value


def response_from_fhir(q: Questionnaire, data: dict) -> tuple[dict, str]:
    """Return (answers, status) from a QuestionnaireResponse dict for q; FhirMappingError names
    the element of anything that is not an item of q or has the wrong answer type."""
    problems: list[tuple[str, str]] = []
    status = data.get("status")
    if status not in ("in-progress", "completed"):
        problems.append(("QuestionnaireResponse.status", f"{status!r} is not in-progress or completed"))
    sections = {sec.link_id: sec for sec in q.sections}
    every = _index(tuple(i for sec in q.sections for i in sec.items), {})
    answers: dict[str, Any] = {}
    for i, fi in enumerate(data.get("item") or []):
        path = f"QuestionnaireResponse.item[{i}]"
        section = sections.get(fi.get("linkId"))
        if section is None:  # an item given without its page
            _read_item(every, fi, path, answers, problems)
            continue
        own = _index(section.items, {})
        for j, child in enumerate(fi.get("item") or []):
            _read_item(own, child, f"{path}.item[{j}]", answers, problems)
    if problems:
        raise FhirMappingError(problems)
    return answers, status

