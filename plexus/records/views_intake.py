"""Staff screens: the intake status board for upcoming new patients, a patient's packets, and the
practitioner's review checklist for a day."""

from __future__ import annotations

from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

from django.conf import settings
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.dateparse import parse_date
from django.views.decorators.http import require_POST

from plexus.core.audit import record
from plexus.core.errors import ApplicationError, ErrorCode
from plexus.core.models import AuditAction, Practitioner
from plexus.core.permissions import Perm, user_has
from plexus.core.views_utils import staff_view, ui_actor
from plexus.patients.selectors import access_patient
from plexus.records import intake, review
from plexus.records.models import IntakePacket, PacketStatus


def board_rows(now: datetime, days: int = 14) -> list[IntakePacket]:
    """Open packets whose first visit is in the next ``days`` days (and recently completed ones),
    flagged first, then by visit time."""
    rows = list(IntakePacket.objects.filter(first_visit_at__gte=now - timedelta(hours=12),
                                            first_visit_at__lt=now + timedelta(days=days))
                .select_related("patient").prefetch_related("forms__response").order_by("first_visit_at"))
    for p in rows:
        forms = list(p.forms.all())
        p.total = len(forms)
        p.done = sum(1 for f in forms if f.response and f.response.status == "completed")
    rows.sort(key=lambda p: (p.flagged_at is None or p.status == PacketStatus.COMPLETE, p.first_visit_at))
    return rows


@staff_view(Perm.DOCUMENTS_VIEW)
def intake_board(request):
    now = timezone.now()
    rows = board_rows(now)
    for pid in {p.patient_id for p in rows}:
        record(ui_actor(request), AuditAction.READ, "intake_board", patient_id=pid)
    return render(request, "records/intake_board.html", {"rows": rows, "now": now,
                                                         "can_send": user_has(request.user, Perm.DOCUMENTS_MANAGE)})


@require_POST
@staff_view(Perm.DOCUMENTS_MANAGE)
def packet_send(request, packet_id: int):
    packet = IntakePacket.objects.filter(pk=packet_id).first()
    if packet is None:
        return render(request, "404.html", {"detail": f"No intake packet {packet_id}."}, status=404)
    try:
        intake.packet_send(packet=packet, now=timezone.now(), actor=ui_actor(request),
                           new_link=request.POST.get("new_link") == "1")
    except ApplicationError as exc:
        return render(request, "records/_error.html", {"error": exc}, status=exc.status)
    return redirect(request.POST.get("next") or "records:intake_board")


@staff_view(Perm.DOCUMENTS_VIEW)
def patient_intake(request, patient_id: int):
    try:
        patient = access_patient(ui_actor(request), patient_id, Perm.DOCUMENTS_VIEW, what="intake")
    except ApplicationError as exc:
        return render(request, "404.html" if exc.code == ErrorCode.NOT_FOUND else "403.html", {"detail": exc.detail},
                      status=exc.status)
    if request.method == "POST" and user_has(request.user, Perm.DOCUMENTS_MANAGE):
        try:
            packet = intake.packet_prepare(patient=patient, now=timezone.now(), actor=ui_actor(request))
            if packet is None:
                raise ApplicationError(ErrorCode.CONFLICT, "No upcoming visit: book one before sending intake forms.")
            if packet.status == PacketStatus.NOT_SENT:
                intake.packet_send(packet=packet, now=timezone.now(), actor=ui_actor(request))
        except ApplicationError as exc:
            return render(request, "records/_error.html", {"error": exc}, status=exc.status)
        return redirect("records:patient_intake", patient_id=patient.pk)
    packets = list(IntakePacket.objects.filter(patient=patient).prefetch_related("forms__questionnaire",
                                                                                 "forms__response"))
    return render(request, "records/intake_patient.html", {
        "patient": patient, "packets": packets, "can_send": user_has(request.user, Perm.DOCUMENTS_MANAGE)})


def _day_bounds(request) -> tuple:
    tz = ZoneInfo(settings.TIME_ZONE)
    from plexus.core.models import Location

    loc = Location.objects.filter(is_active=True).order_by("pk").first()
    if loc:
        tz = ZoneInfo(loc.time_zone)
    day = parse_date(request.GET.get("date", "") or "") or timezone.now().astimezone(tz).date()
    start = datetime.combine(day, time(0), tzinfo=tz)
    return day, start, start + timedelta(days=1)


@staff_view(Perm.CLINICAL_VIEW)
def review_list(request):
    """The practitioner's review checklist for a day (default: tomorrow's work is today's reading)."""
    prac = Practitioner.objects.filter(user=request.user, is_active=True).select_related("discipline").first()
    day, start, end = _day_bounds(request)
    visits = review.day_reviews(prac, start, end) if prac else []
    for pid in {v.appointment.patient_id for v in visits}:
        record(ui_actor(request), AuditAction.READ, "review_checklist", patient_id=pid)
    return render(request, "records/review.html", {"visits": visits, "day": day, "me": prac,
                                                   "prev": day - timedelta(days=1), "next": day + timedelta(days=1)})


@require_POST
@staff_view(Perm.CLINICAL_VIEW)
def review_sign(request):
    try:
        item_id = int(request.POST.get("item_id", ""))
    except ValueError:
        item_id = 0
    try:
        review.sign_off(actor=ui_actor(request), item_kind=request.POST.get("item_kind", ""), item_id=item_id)
    except ApplicationError as exc:
        return render(request, "records/_error.html", {"error": exc}, status=exc.status)
    return redirect(request.POST.get("next") or "records:review")


@staff_view(Perm.DOCUMENTS_VIEW)
def day_readiness(request):
    """For the day schedule and check-in board: each visit's intake status and whether its
    practitioners have signed off their reviews ("ready"). Statuses only, no clinical content."""
    from plexus.core.models import Location
    from plexus.scheduling.selectors import blocks_query, local_day_bounds

    loc = Location.objects.filter(pk=request.GET.get("location") or 0).first() or \
        Location.objects.filter(is_active=True).order_by("pk").first()
    day = parse_date(request.GET.get("date", "") or "") or timezone.now().astimezone(ZoneInfo(loc.time_zone)).date()
    start, end = local_day_bounds(day, loc.time_zone)
    blocks = list(blocks_query(day_start=start, day_end=end, location_id=loc.pk).exclude(status="cancelled"))
    ready = review.ready_blocks([b.pk for b in blocks])
    packets = {p.patient_id: p for p in IntakePacket.objects.filter(patient_id__in={b.patient_id for b in blocks})
               .order_by("created_at")}
    rows = [{"block": b, "ready": ready.get(b.pk, True), "packet": packets.get(b.patient_id)} for b in blocks]
    return render(request, "records/_day_readiness.html", {"rows": rows, "day": day, "tz": loc.time_zone,
                                                           "not_ready": sum(1 for r in rows if not r["ready"])})
