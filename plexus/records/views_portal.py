"""The patient portal screens (phone first, no login): confirm the date of birth, see the packet,
fill each form page by page (stop and come back at any time), upload documents."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_POST

from plexus.core.audit import client_ip
from plexus.core.errors import ApplicationError, ErrorCode
from plexus.engines.forms import ItemType
from plexus.engines.forms.answers import is_enabled
from plexus.records import intake, portal
from plexus.records.models import PacketStatus, ResponseStatus
from plexus.records.selectors import form_of

UPLOAD_TYPES = (("insurance_card_front", "Insurance card, front"), ("insurance_card_back", "Insurance card, back"),
                ("photo_id", "Photo ID"), ("prior_records", "Records from another provider"))


@dataclass
class Node:
    """One question as the portal renders it (names and values precomputed; no logic in templates)."""

    kind: str
    label: str
    name: str = ""
    value: Any = None
    options: list[dict] = field(default_factory=list)
    required: bool = False
    help: str = ""
    error: str = ""
    followup: bool = False
    asked: bool = True
    children: list[Node] = field(default_factory=list)
    entries: list[list[Node]] = field(default_factory=list)
    path: str = ""
    min: int | None = None
    max: int | None = None
    min_label: str = ""
    max_label: str = ""


def _nodes(items, scope: dict, scopes: tuple, prefix: str, errors: dict, extra: dict) -> list[Node]:
    out = []
    for it in items:
        path = f"{prefix}{it.link_id}"
        if it.type is ItemType.DISPLAY:
            out.append(Node("display", it.text))
            continue
        if it.calculated:
            continue
        asked = is_enabled(it, scopes)
        if it.type is ItemType.GROUP and not it.repeats:
            out.append(Node("group", it.text, children=_nodes(it.items, scope, scopes, prefix, errors, extra),
                            followup=bool(it.enable_when), asked=asked))
            continue
        if it.type is ItemType.GROUP:
            entries = list(scope.get(it.link_id) or [])
            slots = max(len(entries), 1) + extra.get(path, 0)
            rows = []
            for i in range(slots):
                entry = entries[i] if i < len(entries) else {}
                rows.append(_nodes(it.items, entry, (*scopes, entry), f"{path}.{i}.", errors, extra))
            out.append(Node("repeat", it.text, name=f"n:{path}", value=slots, entries=rows, path=path,
                            followup=bool(it.enable_when), asked=asked, required=it.required,
                            error=errors.get(path, "")))
            continue
        value = scope.get(it.link_id)
        options = [{"code": o.code, "display": o.display, "checked": (value == o.code) if it.type is ItemType.CHOICE
                    else (isinstance(value, list) and o.code in value)} for o in it.options]
        out.append(Node(str(it.type), it.text, name=f"a:{path}", value=value, options=options, required=it.required,
                        help=it.help, error=errors.get(path, ""), followup=bool(it.enable_when), asked=asked,
                        min=it.min, max=it.max, min_label=it.min_label, max_label=it.max_label))
    return out


def _error_page(request, exc: ApplicationError):
    status = 410 if exc.code == ErrorCode.CONFLICT else exc.status
    return render(request, "records/portal_error.html", {"error": exc}, status=status)


def _packet(request, token: str):
    packet = intake.packet_from_token(token)
    return packet, portal.is_unlocked(request.session, packet)


def portal_home(request, token: str):
    """Confirm the date of birth, then the packet: each form with its progress, and uploads."""
    try:
        packet, unlocked = _packet(request, token)
    except ApplicationError as exc:
        return _error_page(request, exc)
    error = None
    if not unlocked and request.method == "POST":
        try:
            portal.verify(packet=packet, dob_text=request.POST.get("date_of_birth", ""), now=timezone.now(),
                          ip=client_ip(request))
            request.session[portal.session_key(packet)] = packet.link_version
            return redirect("records:portal", token=token)
        except ApplicationError as exc:
            error = exc
    if not unlocked:
        return render(request, "records/portal_dob.html", {"packet": packet, "error": error, "token": token},
                      status=error.status if error else 200)
    forms = []
    for pf in packet.forms.select_related("questionnaire", "response"):
        form = form_of(pf.questionnaire)
        saved = set(pf.response.pages_saved) if pf.response else set()
        done = bool(pf.response and pf.response.status == ResponseStatus.COMPLETED)
        forms.append({"pf": pf, "pages": len(form.sections), "saved": len(saved & {s.link_id for s in form.sections}),
                      "done": done})
    from plexus.records import files_bridge

    return render(request, "records/portal_packet.html", {
        "packet": packet, "token": token, "forms": forms, "complete": packet.status == PacketStatus.COMPLETE,
        "uploads": files_bridge.uploaded(packet.patient) if files_bridge.available() else None,
        "upload_types": UPLOAD_TYPES, "notice": request.GET.get("sent", "")})


def _form_context(pf, page_id: str, answers: dict, errors: dict, extra: dict, token: str) -> dict:
    form = form_of(pf.questionnaire)
    ids = [s.link_id for s in form.sections]
    index = ids.index(page_id)
    section = form.sections[index]
    merged = {**(pf.response.answers if pf.response else {}), **answers}
    return {"pf": pf, "form": form, "section": section, "index": index, "count": len(ids), "token": token,
            "nodes": _nodes(section.items, answers, (merged,), "", errors, extra),
            "prev": ids[index - 1] if index else None, "next": ids[index + 1] if index + 1 < len(ids) else None,
            "errors": errors}


def portal_form(request, token: str, form_id: int, page: str | None = None):
    """One page of one form. Save and continue, back, add another entry, or send the form."""
    try:
        packet, unlocked = _packet(request, token)
        if not unlocked:
            return redirect("records:portal", token=token)
        pf = portal.ensure_response(portal.packet_form(packet, form_id))
    except ApplicationError as exc:
        return _error_page(request, exc)
    form = form_of(pf.questionnaire)
    ids = [s.link_id for s in form.sections]
    if pf.response.status == ResponseStatus.COMPLETED:
        return redirect(reverse("records:portal", args=[token]) + "?sent=already")
    page = page if page in ids else next((i for i in ids if i not in pf.response.pages_saved), ids[0])
    if request.method != "POST":
        return render(request, "records/portal_form.html",
                      _form_context(pf, page, _page_answers(form, pf.response.answers, page), {}, {}, token))
    action = request.POST.get("go", "next")
    extra = {request.POST.get("add"): 1} if request.POST.get("add") else {}
    try:
        pf = portal.save_page(pf=pf, page=page, post=request.POST, now=timezone.now())
    except ApplicationError as exc:
        errors = {e.field.removeprefix("answers.").replace("[", ".").replace("]", ""): e.message for e in exc.errors}
        typed = portal.read_page(pf, page, request.POST) if exc.code == ErrorCode.VALIDATION else {}
        ctx = _form_context(pf, page, typed, errors, extra, token)
        ctx["error"] = exc
        return render(request, "records/portal_form.html", ctx, status=exc.status)
    if extra:
        return render(request, "records/portal_form.html",
                      _form_context(pf, page, _page_answers(form, pf.response.answers, page), {}, extra, token))
    index = ids.index(page)
    if action == "back" and index:
        return redirect("records:portal_page", token=token, form_id=form_id, page=ids[index - 1])
    if action == "later":
        return redirect(reverse("records:portal", args=[token]) + "?sent=saved")
    if index + 1 < len(ids):
        return redirect("records:portal_page", token=token, form_id=form_id, page=ids[index + 1])
    try:  # the last page: send the form
        portal.complete_form(pf=pf, now=timezone.now())
    except ApplicationError as exc:
        missing = {e.field.removeprefix("answers.").split("[")[0]: e.message for e in exc.errors}
        first_page = next((s.link_id for s in form.sections
                           if missing.keys() & _ids(s.items)), page)
        ctx = _form_context(pf, first_page, _page_answers(form, pf.response.answers, first_page),
                            dict.fromkeys(missing, "Please answer this question."), {}, token)
        ctx["error"] = exc
        return render(request, "records/portal_form.html", ctx, status=exc.status)
    return redirect(reverse("records:portal", args=[token]) + "?sent=form")


def _ids(items) -> set[str]:
    out = set()
    for it in items:
        out.add(it.link_id)
        if it.type is ItemType.GROUP and not it.repeats:
            out |= _ids(it.items)
    return out


def _page_answers(form, answers: dict, page: str) -> dict:
    section = form.section(page)
    own = _ids(section.items)
    return {k: v for k, v in answers.items() if k in own}


@require_POST
def portal_upload(request, token: str):
    """Upload a document (insurance card, photo ID, prior records) from the portal."""
    from plexus.records import files_bridge

    try:
        packet, unlocked = _packet(request, token)
    except ApplicationError as exc:
        return _error_page(request, exc)
    if not unlocked:
        return redirect("records:portal", token=token)
    upload = request.FILES.get("file")
    try:
        files_bridge.store_from_portal(packet=packet, upload=upload, doc_type=request.POST.get("doc_type", ""),
                                       now=timezone.now())
    except ApplicationError as exc:
        return render(request, "records/portal_error.html", {"error": exc, "token": token, "back": True},
                      status=exc.status)
    return redirect(reverse("records:portal", args=[token]) + "?sent=upload")
