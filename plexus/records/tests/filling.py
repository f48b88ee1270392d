"""Test helper (not a test module): answer every form of a packet with valid answers (first option of each choice,
"no" to yes/no questions, the bottom of scales) and complete it. Not a test module of its own."""

from __future__ import annotations

from plexus.engines.forms import ItemType
from plexus.records import portal, services
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


def fill_all(packet) -> None:
    for pf in packet.forms.select_related("questionnaire"):
        pf = portal.ensure_response(pf)
        form = form_of(pf.questionnaire)
        for section in form.sections:
            answers: dict = {}
            _answer(section.items, answers)
            services.response_save_page(actor=portal.PORTAL, response=pf.response, page=section.link_id,
                                        answers=answers)
        pf.response.refresh_from_db()
        services.response_complete(actor=portal.PORTAL, response=pf.response)
