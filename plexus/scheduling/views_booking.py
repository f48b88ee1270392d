"""Booking screens: pick a patient and components, run the slot search (htmx), book in one click;
reschedule a block by searching again for the same components."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_POST

from plexus.core.errors import ApplicationError, ErrorCode, FieldError, validation_error
from plexus.core.models import Location, Practitioner, Room, Service
from plexus.core.permissions import Perm
from plexus.core.views_utils import staff_view, ui_actor
from plexus.engines import slots
from plexus.patients import selectors as patient_selectors
from plexus.patients.selectors import access_patient
from plexus.scheduling import selectors, services
from plexus.scheduling.models import Appointment
from plexus.scheduling.views import _error, block_context, day_url

ROWS = 4


def _options_context(options, tz_of: dict[int, str]) -> list[dict]:
    """Decorate engine options with names for display (one query per kind)."""
    ids = {c.practitioner_id for o in options for c in o.components}
    pracs = {p.pk: p for p in Practitioner.objects.filter(pk__in=ids).select_related("discipline")}
    rooms = {r.pk: r for r in Room.objects.filter(pk__in={c.room_id for o in options for c in o.components})}
    svc = {s.pk: s for s in Service.objects.filter(pk__in={c.service_id for o in options for c in o.components})}
    out = []
    for o in options:
        tz = ZoneInfo(tz_of[o.location_id])
        comps = [{"c": c, "prac": pracs[c.practitioner_id], "room": rooms[c.room_id], "service": svc[c.service_id],
                  "start": c.start.astimezone(tz), "end": c.end.astimezone(tz)} for c in o.components]
        out.append({"o": o, "start": o.start.astimezone(tz), "end": o.end.astimezone(tz), "comps": comps,
                    "wait": int(o.total_wait.total_seconds() // 60)})
    return out


@staff_view(Perm.SCHEDULE_BOOK)
def book(request):
    patient = None
    if request.GET.get("patient"):
        try:
            patient = access_patient(ui_actor(request), int(request.GET["patient"]), Perm.SCHEDULE_BOOK,
                                     what="schedule.book")
        except (ApplicationError, ValueError):
            patient = None
    context = {
        "patient": patient, "rows": range(ROWS), "services": Service.objects.filter(is_active=True),
        "practitioners": Practitioner.objects.filter(is_active=True).select_related("discipline"),
        "locations": Location.objects.filter(is_active=True),
        "from_date": (timezone.localdate() + timedelta(days=1)).isoformat(),
    }
    return render(request, "scheduling/book.html", context)


@staff_view(Perm.SCHEDULE_BOOK)
def patient_pick(request):
    """Patient search for the booking screen (audited by patient_search)."""
    q = request.GET.get("patient_q", "").strip()
    found = []
    if q:
        _, found = patient_selectors.patient_search(ui_actor(request), patient_selectors.PatientQuery(text=q),
                                                    limit=15)
    return render(request, "scheduling/_patient_pick.html", {"found": found, "q": q})


def _asks(post) -> list[selectors.ComponentAsk]:
    asks = []
    for i in range(ROWS):
        service = post.get(f"service_{i}")
        if not service:
            continue
        prac = post.get(f"practitioner_{i}") or None
        together = post.get(f"together_{i}") == "on" and asks
        asks.append(selectors.ComponentAsk(int(service), int(prac) if prac else None,
                                           concurrent_with=len(asks) - 1 if together else None))
    return asks


@require_POST
@staff_view(Perm.SCHEDULE_BOOK)
def search(request):
    post = request.POST
    try:
        patient_id = int(post.get("patient_id") or 0) or None
        if patient_id is not None:
            access_patient(ui_actor(request), patient_id, Perm.SCHEDULE_BOOK, what="schedule.search")
        location_id = int(post.get("location_id") or 0) or None
        tz = Location.objects.get(pk=location_id).time_zone if location_id else timezone.get_current_timezone_name()
        first = date.fromisoformat(post.get("from_date") or timezone.localdate().isoformat())
        start = datetime.combine(first, time(0), tzinfo=ZoneInfo(tz))
        earliest = time.fromisoformat(post["earliest"]) if post.get("earliest") else None
        latest = time.fromisoformat(post["latest"]) if post.get("latest") else None
        prefs = slots.Preferences(earliest_time=earliest, latest_time=latest, location_id=location_id)
        options = selectors.slot_search(asks=_asks(post), range_start=start, range_end=start + timedelta(days=28),
                                        now=timezone.now(), patient_id=patient_id, preferences=prefs, limit=10)
    except ApplicationError as exc:
        return _error(request, exc)
    except ValueError:
        return render(request, "scheduling/_error.html", {"detail": "Check the dates and times."}, status=422)
    tz_of = dict(Location.objects.values_list("pk", "time_zone"))
    return render(request, "scheduling/_options.html", {"options": _options_context(options, tz_of),
                                                        "patient_id": patient_id, "action": "book"})


def _placements(post) -> list[services.Placement]:
    out = []
    for s, p, r, st in zip(post.getlist("c_service"), post.getlist("c_prac"), post.getlist("c_room"),
                           post.getlist("c_start"), strict=False):
        out.append(services.Placement(service_id=int(s), practitioner_id=int(p), room_id=int(r),
                                      start=datetime.fromisoformat(st)))
    return out


@require_POST
@staff_view(Perm.SCHEDULE_BOOK)
def confirm(request):
    try:
        act = ui_actor(request)
        if not request.POST.get("patient_id"):
            return render(request, "scheduling/_error.html", {"detail": "Pick a patient first."}, status=422)
        patient = access_patient(act, int(request.POST["patient_id"]), Perm.SCHEDULE_BOOK, what="schedule.book")
        block = services.visit_block_book(actor=act, patient=patient, components=_placements(request.POST))
    except ApplicationError as exc:
        return _error(request, exc)
    except ValueError:
        return render(request, "scheduling/_error.html", {"detail": "The chosen time is malformed."}, status=422)
    if request.htmx:
        response = render(request, "scheduling/_error.html", {"detail": "Booked."})
        response["HX-Redirect"] = day_url(block)
        return response
    return redirect(day_url(block))


@staff_view(Perm.SCHEDULE_BOOK)
def reschedule(request, block_id: int):
    """GET: search new times for the block's components; POST: move the block to the chosen option."""
    try:
        act = ui_actor(request)
        block = selectors.get_block(block_id)
        access_patient(act, block.patient_id, Perm.SCHEDULE_BOOK, what="visit_block.reschedule")
        if request.method == "POST":
            block = services.visit_block_move(actor=act, block=block, components=_placements(request.POST))
            return redirect(day_url(block))
        tz = ZoneInfo(block.location.time_zone)
        try:
            first = date.fromisoformat(request.GET.get("from_date", ""))
        except ValueError:
            first = timezone.localdate() + timedelta(days=1)
        start = datetime.combine(first, time(0), tzinfo=tz)
        options = selectors.reschedule_options(block=block, range_start=start, range_end=start + timedelta(days=28),
                                               now=timezone.now(), keep_practitioners=request.GET.get("any") != "1")
    except ApplicationError as exc:
        return _error(request, exc)
    tz_of = dict(Location.objects.values_list("pk", "time_zone"))
    return render(request, "scheduling/reschedule.html", {"vb": block, "from_date": first.isoformat(),
                                                          "options": _options_context(options, tz_of),
                                                          "action": "move"})


def _component(request, appointment_id: int, what: str):
    act = ui_actor(request)
    appt = Appointment.objects.select_related("block__location", "block__patient", "service",
                                              "practitioner").filter(pk=appointment_id).first()
    if appt is None:
        raise ApplicationError(ErrorCode.NOT_FOUND, f"No appointment {appointment_id}.")
    access_patient(act, appt.patient_id, Perm.SCHEDULE_BOOK, what=what)
    return act, appt


@staff_view(Perm.SCHEDULE_BOOK)
def component_reschedule(request, appointment_id: int):
    """GET: search new times for one component (the others stay); POST: move it to the chosen option."""
    keep_in_visit = (request.POST if request.method == "POST" else request.GET).get("free") != "1"
    try:
        act, appt = _component(request, appointment_id, "appointment.reschedule")
        block = appt.block
        if request.method == "POST":
            placements = _placements(request.POST)
            if len(placements) != 1:
                raise validation_error([FieldError(f"components[{appt.position}]", "Choose one new time.")])
            services.appointment_move(actor=act, appointment=appt, placement=placements[0],
                                      keep_in_visit=keep_in_visit)
            return redirect(day_url(block))
        tz = ZoneInfo(block.location.time_zone)
        try:
            first = date.fromisoformat(request.GET.get("from_date", ""))
        except ValueError:
            first = appt.start.astimezone(tz).date()
        start = datetime.combine(first, time(0), tzinfo=tz)
        days = 1 if keep_in_visit else 28
        bounds, options = selectors.component_options(
            appointment=appt, range_start=start, range_end=start + timedelta(days=days), now=timezone.now(),
            keep_practitioner=request.GET.get("any") != "1", keep_in_visit=keep_in_visit)
    except ApplicationError as exc:
        return _error(request, exc)
    except ValueError:
        return render(request, "scheduling/_error.html", {"detail": "The chosen time is malformed."}, status=422)
    tz_of = dict(Location.objects.values_list("pk", "time_zone"))
    return render(request, "scheduling/component_reschedule.html", {
        "vb": block, "appt": appt, "from_date": first.isoformat(), "bounds": bounds, "keep_in_visit": keep_in_visit,
        "options": _options_context(options, tz_of), "action": "move_one",
        "others": [a for a in selectors.block_appointments(block) if a.pk != appt.pk]})


@require_POST
@staff_view(Perm.SCHEDULE_BOOK)
def component_cancel(request, appointment_id: int):
    """Cancel one component of a block (a reason is required); the panel shows the rest still booked."""
    try:
        act, appt = _component(request, appointment_id, "appointment.cancel")
        services.appointment_cancel(actor=act, appointment=appt, reason=request.POST.get("reason", ""))
        block = selectors.get_block(appt.block_id)
    except ApplicationError as exc:
        return _error(request, exc)
    if request.htmx:
        response = render(request, "scheduling/_block_panel.html", block_context(block))
        response["HX-Trigger"] = "px-calendar-changed"
        return response
    return redirect("scheduling:block", block.pk)
