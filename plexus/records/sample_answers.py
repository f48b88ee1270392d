"""Plausible sample answers for demo data and tests: "no" to yes/no questions (so follow-ups stay
off), the first option of choices, the low end of scales and numbers, a date, "none" as text.
Never used on real patients' forms."""

from __future__ import annotations

from plexus.engines.forms import ItemType
from plexus.records import portal, services
from plexus.records.models import PacketForm
from plexus.records.selectors import form_of


def _answer(items, out: dict) -> None:
    for it in items:
        if it.calculated or it.type is ItemType.DISPLAY or it.enable_when:
            continue
        t = it.type
        if t is ItemType.GROUP:
            if not it.repeats:
                _answer(it.items, out)
            continue
        if t is ItemType.BOOLEAN:
            out[it.link_id] = False
        elif t is ItemType.CHOICE:
            out[it.link_id] = it.options[0].code
        elif t is ItemType.MULTI:
            out[it.link_id] = [it.options[0].code]
        elif t in (ItemType.SCALE, ItemType.INTEGER):
            out[it.link_id] = it.min if it.min is not None else 1
        elif t is ItemType.DATE:
            out[it.link_id] = "2020-01-01"
        else:
            out[it.link_id] = "None"


def answer_page(pf: PacketForm, index: int) -> None:
    """Save sample answers on page ``index`` of a packet form (its response must exist)."""
    form = form_of(pf.questionnaire)
    section = form.sections[index]
    answers: dict = {}
    _answer(section.items, answers)
    services.response_save_page(actor=portal.PORTAL, response=pf.response, page=section.link_id, answers=answers)


def fill_all(packet) -> None:
    """Answer and send every form of a packet."""
    for pf in packet.forms.select_related("questionnaire"):
        pf = portal.ensure_response(pf)
        for index in range(len(form_of(pf.questionnaire).sections)):
            answer_page(pf, index)
        pf.response.refresh_from_db()
        services.response_complete(actor=portal.PORTAL, response=pf.response)
