"""Staff screens: day calendar, visit-block panel (check in, cancel, reschedule), check-in board,
the patient's visits tab, and the practitioner's secret iCalendar feed."""

from __future__ import annotations

from datetime import date, timedelta
from zoneinfo import ZoneInfo

from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_POST

from plexus.core.errors import ApplicationError
from plexus.core.models import Location, Practitioner
from plexus.core.permissions import Perm
from plexus.core.views_utils import staff_view, ui_actor
from plexus.patients.selectors import access_patient
from plexus.scheduling import grids, ics, selectors, services
from plexus.scheduling.models import CalendarFeed, Status, VisitBlock, WorkingHours
from plexus.scheduling.setup_services import feed_hash


def _location(request) -> Location:
    locations = Location.objects.filter(is_active=True).order_by("pk")
    chosen = locations.filter(pk=request.GET.get("location") or 0).first()
    return chosen or locations.first()


def _day(request) -> date:
    try:
        return date.fromisoformat(request.GET.get("date", ""))
    except ValueError:
        return timezone.localdate()


def _error(request, exc: ApplicationError):
    return render(request, "scheduling/_error.html", {"error": exc}, status=exc.status)


def _by(request) -> str:
    return "rooms" if request.GET.get("by") == "rooms" else "practitioners"


def calendar_context(location: Location, day: date, by: str = "practitioners") -> dict:
    """The day grid (columns of practitioners, or of rooms) plus the location picker."""
    return {**grids.day_grid(location, day, by), "locations": Location.objects.filter(is_active=True)}


@staff_view(Perm.SCHEDULE_VIEW)
def day(request):
    location = _location(request)
    if location is None:
        return render(request, "scheduling/day.html", {"pracs": [], "day": _day(request)})
    context = calendar_context(location, _day(request), _by(request))
    context["selected"] = request.GET.get("block", "")
    return render(request, "scheduling/day.html", context)


def block_context(block: VisitBlock) -> dict:
    """The block panel: components, history and which actions apply (per component: move while
    booked or confirmed; cancel one while another component stays)."""
    appts = selectors.block_appointments(block)
    can_act = block.status in (Status.BOOKED, Status.CONFIRMED, Status.ARRIVED)
    cancellable = [a for a in appts if a.status in (Status.BOOKED, Status.CONFIRMED, Status.ARRIVED)]
    for a in appts:
        a.can_move = a.status in (Status.BOOKED, Status.CONFIRMED)
        a.can_cancel_one = len(cancellable) > 1 and a in cancellable
    return {"vb": block, "appts": appts, "history": list(block.events.all()[:20]), "can_act": can_act,
            "can_check_in": any(a.status in (Status.BOOKED, Status.CONFIRMED) for a in appts),
            "local_date": block.start.astimezone(ZoneInfo(block.location.time_zone)).date()}


def _block_context(request, block: VisitBlock) -> dict:
    return block_context(block)


@staff_view(Perm.SCHEDULE_VIEW)
def block_detail(request, block_id: int):
    try:
        block = selectors.get_block(block_id)
        access_patient(ui_actor(request), block.patient_id, Perm.SCHEDULE_VIEW, what="visit_block")
    except ApplicationError as exc:
        return _error(request, exc)
    template = "scheduling/_block_panel.html" if request.htmx else "scheduling/block.html"
    return render(request, template, _block_context(request, block))


def _block_action(request, block_id: int, action):
    try:
        block = selectors.get_block(block_id)
        act = ui_actor(request)
        access_patient(act, block.patient_id, Perm.SCHEDULE_BOOK, what="visit_block")
        block = action(act, block)
    except ApplicationError as exc:
        return _error(request, exc)
    if request.htmx:
        response = render(request, "scheduling/_block_panel.html", _block_context(request, block))
        response["HX-Trigger"] = "px-calendar-changed"
        return response
    return redirect("scheduling:block", block.pk)


@require_POST
@staff_view(Perm.SCHEDULE_BOOK)
def block_cancel(request, block_id: int):
    reason = request.POST.get("reason", "")
    return _block_action(request, block_id,
                         lambda act, b: services.visit_block_cancel(actor=act, block=b, reason=reason))


@require_POST
@staff_view(Perm.SCHEDULE_BOOK)
def block_check_in(request, block_id: int):
    return _block_action(request, block_id, lambda act, b: services.visit_block_check_in(actor=act, block=b))


@staff_view(Perm.SCHEDULE_VIEW)
def calendar_grid(request):
    """The calendar grid alone (htmx refresh after an action in the panel)."""
    location = _location(request)
    return render(request, "scheduling/_grid.html", calendar_context(location, _day(request), _by(request)))


@staff_view(Perm.SCHEDULE_VIEW)
def week(request):
    """One practitioner's week (seven day-columns); previous/next week; a card opens its block panel."""
    location = _location(request)
    pracs = list(Practitioner.objects.filter(is_active=True).select_related("discipline")
                 .order_by("discipline__name", "last_name"))
    chosen = next((p for p in pracs if str(p.pk) == request.GET.get("practitioner", "")), None)
    if chosen is None and pracs:
        working = set(WorkingHours.objects.filter(location=location).values_list("practitioner_id", flat=True))
        chosen = next((p for p in pracs if p.pk in working), pracs[0])
    context = {"practitioners": pracs, "location": location, "day": _day(request),
               "locations": Location.objects.filter(is_active=True), "selected": request.GET.get("block", "")}
    if chosen is not None and location is not None:
        context.update(grids.week_grid(chosen, _day(request), location.time_zone))
    template = "scheduling/_week_grid.html" if request.htmx and request.GET.get("partial") else "scheduling/week.html"
    return render(request, template, context)


@staff_view(Perm.SCHEDULE_VIEW)
def check_in_board(request):
    location = _location(request)
    day_ = _day(request)
    start, end = selectors.local_day_bounds(day_, location.time_zone)
    blocks = list(selectors.blocks_query(day_start=start, day_end=end, location_id=location.pk)
                  .prefetch_related("appointments__service", "appointments__practitioner"))
    return render(request, "scheduling/board.html", {"blocks": blocks, "day": day_, "location": location,
                                                     "locations": Location.objects.filter(is_active=True)})


@staff_view(Perm.SCHEDULE_VIEW)
def patient_visits(request, patient_id: int):
    try:
        patient = access_patient(ui_actor(request), patient_id, Perm.SCHEDULE_VIEW, what="visits")
    except ApplicationError as exc:
        return _error(request, exc)
    blocks = list(selectors.blocks_query(patient_id=patient.pk).order_by("-start")
                  .prefetch_related("appointments__service", "appointments__practitioner")[:50])
    return render(request, "scheduling/_patient_visits.html", {"patient": patient, "blocks": blocks,
                                                               "now": timezone.now()})


def feed(request, token: str):
    """Serve a practitioner's iCalendar feed to anyone holding the secret URL (404 once revoked)."""
    entry = CalendarFeed.objects.filter(token_hash=feed_hash(token), revoked_at__isnull=True).select_related(
        "practitioner").first()
    if entry is None:
        raise Http404("No such calendar feed.")
    body = ics.practitioner_feed(entry.practitioner, since=timezone.now() - timedelta(days=30))
    return HttpResponse(body, content_type="text/calendar; charset=utf-8")


def day_url(block: VisitBlock) -> str:
    local = block.start.astimezone(ZoneInfo(block.location.time_zone)).date()
    return f"{reverse('scheduling:day')}?date={local.isoformat()}&location={block.location_id}&block={block.pk}"
