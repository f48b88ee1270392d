"""Reminder screens for a visit block (preview, send now, what was sent and answered) and the
patient's public page behind the signed link in a reminder (confirm, cancel, ask to reschedule)."""

from __future__ import annotations

from datetime import timedelta

from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.http import require_POST

from plexus.core.errors import ApplicationError
from plexus.core.models import Practice
from plexus.core.permissions import Perm
from plexus.core.views_utils import staff_view, ui_actor
from plexus.messaging import selectors as messaging_selectors
from plexus.messaging import services as messaging
from plexus.messaging.models import ReplyAction
from plexus.patients.selectors import access_patient
from plexus.scheduling import reminders, selectors
from plexus.scheduling.models import VisitBlock

ACTIONS = {
    "confirm": ("Confirm my visit", "Confirm your visit?"),
    "cancel": ("Cancel my visit", "Cancel your visit?"),
    "reschedule": ("Ask for another time", "Ask for another time?"),
}


def _panel(request, block: VisitBlock, **extra):
    ref = reminders.block_ref(block.pk)
    try:
        drafts = reminders.VisitBlockComposer().preview(ref, now=timezone.now())
        problem = ""
    except ApplicationError as exc:
        drafts, problem = [], exc.detail
    context = {"vb": block, "drafts": drafts, "problem": problem,
               "sent": list(messaging_selectors.messages_query(messaging_selectors.LogFilter(ref=ref))[:20]),
               "replies": list(messaging_selectors.replies_query(ref=ref)[:10]), **extra}
    return render(request, "messaging/visit_reminders.html", context, status=extra.get("status", 200))


@staff_view(Perm.MESSAGING_VIEW)
def block_reminders(request, block_id: int):
    """The block's reminder preview (every channel), messages sent about it and the patient's answers."""
    try:
        block = selectors.get_block(block_id)
        access_patient(ui_actor(request), block.patient_id, Perm.MESSAGING_VIEW, what="reminders")
    except ApplicationError as exc:
        return render(request, "messaging/_error.html", {"error": exc}, status=exc.status)
    return _panel(request, block)


@require_POST
@staff_view(Perm.MESSAGING_SEND)
def block_reminder_send(request, block_id: int):
    """Send the block's message now on the patient's preferred usable channel."""
    act = ui_actor(request)
    try:
        block = selectors.get_block(block_id)
        access_patient(act, block.patient_id, Perm.MESSAGING_SEND, what="reminders")
        ids = reminders.VisitBlockComposer().send_now(reminders.block_ref(block.pk), actor=act, now=timezone.now())
    except ApplicationError as exc:
        block = VisitBlock.objects.filter(pk=block_id).select_related("patient", "location").first()
        if block is None:
            return render(request, "messaging/_error.html", {"error": exc}, status=exc.status)
        return _panel(request, block, error=exc, status=exc.status)
    msg = messaging_selectors.get_message(ids[0])
    return _panel(request, block, just_sent=msg)


def visit_link(request, token: str):
    """The patient's page behind a reminder link. GET only shows (mail scanners open links); the
    buttons POST. Expired or tampered links say so, change nothing, and are recorded."""
    now = timezone.now()
    chosen = request.POST.get("action") or request.GET.get("do", "")
    if request.method == "POST":
        try:
            outcome = reminders.link_answer(token=token, action=chosen, now=now)
        except ApplicationError as exc:
            return render(request, "messaging/visit_link.html", {"error": exc}, status=exc.status)
        return _visit_page(request, token, now, outcome=outcome)
    try:
        reminders.read_link(token, now=now)
    except ApplicationError as exc:
        messaging.reply_record(channel="web", action=ReplyAction.UNKNOWN, patient_id=None, ref="", ok=False,
                               result=exc.detail, now=now)
        return render(request, "messaging/visit_link.html", {"error": exc}, status=exc.status)
    return _visit_page(request, token, now, chosen=chosen if chosen in ACTIONS else "")


def _visit_page(request, token: str, now, *, chosen: str = "", outcome=None):
    block_id, patient_id = reminders.read_link(token, now=now)
    block = reminders.load_blocks([block_id])
    if not block or block[0].patient_id != patient_id:
        return render(request, "messaging/visit_link.html", {"gone": True}, status=404)
    block = block[0]
    pref = messaging.preferences_for([block.patient])[patient_id]
    context = reminders.compose_context(block, block.components, pref.language, Practice.objects.first())
    late_hours = reminders.late_cancel_hours()
    open_ = block.status in reminders.LIVE and block.start > now
    return render(request, "messaging/visit_link.html", {
        "vb": block, "c": context, "token": token, "chosen": chosen, "outcome": outcome, "open": open_,
        "actions": [(key, label, key == chosen) for key, (label, _) in ACTIONS.items()],
        "question": ACTIONS[chosen][1] if chosen else "",
        "late": open_ and block.start - now < timedelta(hours=late_hours), "late_hours": late_hours,
    })
