"""Staff screens for referrals, recurring series and the waitlist."""

from __future__ import annotations

import json
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from django.contrib import messages
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_POST

from plexus.core.errors import ApplicationError, FieldError, validation_error
from plexus.core.models import Discipline, Location, Practitioner, Service
from plexus.core.permissions import Perm
from plexus.core.views_utils import staff_view, ui_actor
from plexus.patients import selectors as patient_selectors
from plexus.patients.selectors import access_patient
from plexus.scheduling import referrals, series, waitlist
from plexus.scheduling.models import Priority, ReferralStatus, TimeOfDay
from plexus.scheduling.services import Placement
from plexus.scheduling.views import _error

ROWS = 3


def _int(value, field: str) -> int | None:
    if value in (None, ""):
        return None
    try:
        return int(value)
    except (TypeError, ValueError):
        raise validation_error([FieldError(field, "Give a whole number.")]) from None


def _hx_redirect(request, url: str):
    if request.htmx:
        response = HttpResponse(status=204)
        response["HX-Redirect"] = url
        return response
    return redirect(url)


# -- referrals --------------------------------------------------------------------------------

@staff_view(Perm.SCHEDULE_VIEW)
def referral_list(request):
    status = request.GET.get("status", "open")
    rows = list(referrals.referrals_query(status=status if status != "all" else None)[:200])
    return render(request, "scheduling/referrals.html", {
        "referrals": rows, "status": status, "statuses": ReferralStatus.choices,
        "clinical": referrals.shows_clinical(request.user)})


def _referral_form_context(request, **extra) -> dict:
    own = getattr(request.user, "practitioner", None)
    return {"disciplines": Discipline.objects.filter(is_clinical=True).order_by("name"),
            "practitioners": Practitioner.objects.filter(is_active=True).select_related("discipline"),
            "services": Service.objects.filter(is_active=True), "priorities": Priority.choices,
            "own_id": own.pk if own else None, **extra}


@staff_view(Perm.REFERRAL_CREATE)
def referral_new(request):
    act = ui_actor(request)
    if request.method == "POST":
        post = request.POST
        try:
            patient_id = _int(post.get("patient_id"), "patient_id")
            if patient_id is None:
                raise validation_error([FieldError("patient_id", "Pick a patient.")])
            patient = access_patient(act, patient_id, Perm.REFERRAL_CREATE, what="referral.create")
            codes = [c for c in post.get("icd10_codes", "").replace(";", ",").split(",") if c.strip()]
            referral = referrals.referral_create(
                actor=act, patient=patient, to_discipline_id=_int(post.get("to_discipline_id"), "to_discipline_id"),
                service_ids=[_int(s, "service_ids") for s in post.getlist("service_ids") if s],
                sessions_wanted=_int(post.get("sessions_wanted"), "sessions_wanted") or 0,
                cadence_weeks=_int(post.get("cadence_weeks"), "cadence_weeks") or 1,
                reason=post.get("reason", ""), icd10_codes=codes,
                from_practitioner_id=_int(post.get("from_practitioner_id"), "from_practitioner_id"),
                to_practitioner_id=_int(post.get("to_practitioner_id"), "to_practitioner_id"),
                priority=_int(post.get("priority"), "priority") or Priority.ROUTINE)
        except ApplicationError as exc:
            return render(request, "scheduling/referral_new.html",
                          _referral_form_context(request, error=exc, values=post), status=exc.status)
        return redirect("scheduling:referral", referral.pk)
    patient = None
    if request.GET.get("patient"):
        try:
            patient = access_patient(act, int(request.GET["patient"]), Perm.REFERRAL_CREATE, what="referral.create")
        except (ApplicationError, ValueError):
            patient = None
    return render(request, "scheduling/referral_new.html", _referral_form_context(request, patient=patient,
                                                                                  values={}))


@staff_view(Perm.REFERRAL_CREATE)
def referral_patient_pick(request):
    q = request.GET.get("patient_q", "").strip()
    found = []
    if q:
        _, found = patient_selectors.patient_search(ui_actor(request), patient_selectors.PatientQuery(text=q),
                                                    limit=15)
    return render(request, "scheduling/_patient_pick.html", {"found": found, "q": q})


@staff_view(Perm.SCHEDULE_VIEW)
def referral_detail(request, referral_id: int):
    try:
        referral = referrals.get_referral(referral_id)
        access_patient(ui_actor(request), referral.patient_id, Perm.SCHEDULE_VIEW, what="referral")
    except ApplicationError as exc:
        return _error(request, exc)
    blocks = list(referral.blocks.order_by("start").prefetch_related("appointments__service",
                                                                      "appointments__practitioner"))
    today = timezone.localdate()
    return render(request, "scheduling/referral.html", {
        "r": referral, "blocks": blocks, "clinical": referrals.shows_clinical(request.user),
        "entries": list(referral.waitlist_entries.all()), "series_list": list(referral.series.all()),
        "window_start": today.isoformat(), "window_end": (today + timedelta(weeks=6)).isoformat(),
        "open": referral.status in (ReferralStatus.OPEN, ReferralStatus.SCHEDULED)})


@require_POST
@staff_view(Perm.REFERRAL_CREATE)
def referral_cancel(request, referral_id: int):
    try:
        act = ui_actor(request)
        referral = referrals.get_referral(referral_id)
        access_patient(act, referral.patient_id, Perm.REFERRAL_CREATE, what="referral")
        referrals.referral_cancel(actor=act, referral=referral, reason=request.POST.get("reason", ""))
    except ApplicationError as exc:
        return _error(request, exc)
    return redirect("scheduling:referral", referral_id)


@require_POST
@staff_view(Perm.SCHEDULE_BOOK)
def referral_waitlist(request, referral_id: int):
    try:
        act = ui_actor(request)
        referral = referrals.get_referral(referral_id)
        access_patient(act, referral.patient_id, Perm.SCHEDULE_BOOK, what="referral")
        window = {"earliest_date": date.fromisoformat(request.POST.get("earliest_date", "")),
                  "latest_date": date.fromisoformat(request.POST.get("latest_date", "")),
                  "time_of_day": request.POST.get("time_of_day") or TimeOfDay.ANY}
        waitlist.waitlist_entry_from_referral(actor=act, referral=referral, **window)
    except ApplicationError as exc:
        return _error(request, exc)
    except ValueError:
        return render(request, "scheduling/_error.html", {"detail": "Check the dates."}, status=422)
    return redirect(reverse("scheduling:waitlist"))


# -- recurring series -------------------------------------------------------------------------

@staff_view(Perm.SCHEDULE_BOOK)
def series_new(request):
    act = ui_actor(request)
    referral = patient = None
    values: dict = {"interval_weeks": 1, "occurrences": 6, "first_time": "10:00",
                    "first_date": (timezone.localdate() + timedelta(days=1)).isoformat()}
    try:
        if request.GET.get("referral"):
            referral = referrals.get_referral(int(request.GET["referral"]))
            patient = access_patient(act, referral.patient_id, Perm.SCHEDULE_BOOK, what="series.new")
            booked = getattr(referral, "sessions_booked", 0) or 0
            values.update(interval_weeks=referral.cadence_weeks,
                          occurrences=max(1, referral.sessions_wanted - booked),
                          services=[s.pk for s in referral.services.all()],
                          practitioner=referral.to_practitioner_id)
        elif request.GET.get("patient"):
            patient = access_patient(act, int(request.GET["patient"]), Perm.SCHEDULE_BOOK, what="series.new")
    except ApplicationError as exc:
        return _error(request, exc)
    except ValueError:
        pass
    services_list = values.get("services", [])
    rows = [{"i": i, "service": services_list[i] if i < len(services_list) else None,
             "practitioner": values.get("practitioner") if i < len(services_list) else None} for i in range(ROWS)]
    return render(request, "scheduling/series_new.html", {
        "patient": patient, "referral": referral, "values": values, "rows": rows,
        "services": Service.objects.filter(is_active=True),
        "practitioners": Practitioner.objects.filter(is_active=True).select_related("discipline"),
        "locations": Location.objects.filter(is_active=True)})


def _series_input(post) -> dict:
    """Parse the series form: sequential components from the first date and time, in the location's zone."""
    location_id = _int(post.get("location_id"), "location_id")
    location = Location.objects.filter(pk=location_id or 0, is_active=True).first()
    if location is None:
        raise validation_error([FieldError("location_id", "Choose a location.")])
    try:
        first = datetime.combine(date.fromisoformat(post.get("first_date", "")),
                                 time.fromisoformat(post.get("first_time", "")), tzinfo=ZoneInfo(location.time_zone))
    except ValueError:
        raise validation_error([FieldError("first_date", "Give the first date and time.")]) from None
    durations = dict(Service.objects.values_list("pk", "duration_minutes"))
    components, start = [], first
    for i in range(ROWS):
        service_id = _int(post.get(f"service_{i}"), f"components[{i}].service_id")
        if service_id is None:
            continue
        prac_id = _int(post.get(f"practitioner_{i}"), f"components[{i}].practitioner_id")
        if prac_id is None:
            raise validation_error([FieldError(f"components[{len(components)}].practitioner_id",
                                               "Name the practitioner for a series.")])
        components.append(Placement(service_id=service_id, practitioner_id=prac_id, start=start))
        start += timedelta(minutes=durations.get(service_id, 0))
    patient_id = _int(post.get("patient_id"), "patient_id")
    if patient_id is None:
        raise validation_error([FieldError("patient_id", "Pick a patient.")])
    return {"patient_id": patient_id, "components": components, "location_id": location.pk,
            "interval_weeks": _int(post.get("interval_weeks"), "interval_weeks") or 0,
            "occurrences": _int(post.get("occurrences"), "occurrences") or 0}


SERIES_FIELDS = ("patient_id", "referral_id", "location_id", "first_date", "first_time", "interval_weeks",
                 "occurrences", *(f"{k}_{i}" for i in range(ROWS) for k in ("service", "practitioner")))


@require_POST
@staff_view(Perm.SCHEDULE_BOOK)
def series_preview(request):
    try:
        data = _series_input(request.POST)
        patient = access_patient(ui_actor(request), data.pop("patient_id"), Perm.SCHEDULE_BOOK,
                                 what="series.preview")
        items = series.series_preview(patient=patient, **data)
    except ApplicationError as exc:
        return _error(request, exc)
    tz = ZoneInfo(Location.objects.get(pk=data["location_id"]).time_zone)
    rows = [{"o": o, "start": o.start.astimezone(tz),
             "alt_start": o.alternative[0].start.astimezone(tz) if o.alternative else None,
             "alt_json": json.dumps([{"service_id": p.service_id, "practitioner_id": p.practitioner_id,
                                      "room_id": p.room_id, "start": p.start.isoformat()} for p in o.alternative])
             if o.alternative else ""} for o in items]
    hidden = [(k, request.POST.get(k)) for k in SERIES_FIELDS if request.POST.get(k)]
    return render(request, "scheduling/_series_preview.html", {
        "rows": rows, "hidden": hidden, "conflicts": sum(not o.free for o in items)})


def _alternatives(post) -> dict[int, list[Placement]]:
    out = {}
    for k in post.getlist("use_alt"):
        index = _int(k, "use_alt")
        try:
            raw = json.loads(post.get(f"alt_{index}", ""))
            out[index] = [Placement(service_id=int(p["service_id"]), practitioner_id=int(p["practitioner_id"]),
                                    room_id=p["room_id"], start=datetime.fromisoformat(p["start"])) for p in raw]
        except (ValueError, KeyError, TypeError):
            raise validation_error([FieldError(f"alternatives[{index}]", "The alternative is malformed.")]) from None
    return out


@require_POST
@staff_view(Perm.SCHEDULE_BOOK)
def series_book(request):
    try:
        act = ui_actor(request)
        data = _series_input(request.POST)
        patient = access_patient(act, data.pop("patient_id"), Perm.SCHEDULE_BOOK, what="series.book")
        referral = None
        if request.POST.get("referral_id"):
            referral = referrals.get_referral(_int(request.POST["referral_id"], "referral_id"))
        made, _ = series.visit_series_book(actor=act, patient=patient, mode=request.POST.get("mode", "all"),
                                           alternatives=_alternatives(request.POST), referral=referral, **data)
    except ApplicationError as exc:
        return _error(request, exc)
    target = reverse("scheduling:referral", args=[referral.pk]) if referral else reverse("scheduling:series",
                                                                                        args=[made.pk])
    return _hx_redirect(request, target)


@staff_view(Perm.SCHEDULE_VIEW)
def series_detail(request, series_id: int):
    try:
        s = series.get_series(series_id)
        access_patient(ui_actor(request), s.patient_id, Perm.SCHEDULE_VIEW, what="series")
    except ApplicationError as exc:
        return _error(request, exc)
    return render(request, "scheduling/series.html", {"s": s, "blocks": series.series_blocks(s),
                                                      "now": timezone.now()})


@require_POST
@staff_view(Perm.SCHEDULE_BOOK)
def series_cancel(request, series_id: int):
    try:
        act = ui_actor(request)
        s = series.get_series(series_id)
        access_patient(act, s.patient_id, Perm.SCHEDULE_BOOK, what="series")
        series.visit_series_cancel(actor=act, series=s, reason=request.POST.get("reason", ""))
    except ApplicationError as exc:
        return _error(request, exc)
    return redirect("scheduling:series", series_id)


# -- waitlist ---------------------------------------------------------------------------------

@staff_view(Perm.SCHEDULE_VIEW)
def waitlist_board(request):
    entries = [e for e in waitlist.entries_query() if e.status in ("waiting", "offered")]
    names = dict(Service.objects.values_list("pk", "name"))
    rows = [{"e": e, "services": [names.get(s, s) for s in e.service_ids]} for e in entries]
    offers = waitlist.open_offers()
    pracs = {p.pk: p for p in Practitioner.objects.filter(
        pk__in={p["practitioner_id"] for o in offers for p in o.placements})}
    shown = [{"o": o, "start": o.start.astimezone(ZoneInfo(o.location.time_zone)),
              "who": ", ".join(sorted({str(pracs[p["practitioner_id"]]) for p in o.placements
                                       if p["practitioner_id"] in pracs})),
              "services": [names.get(p["service_id"]) for p in o.placements]} for o in offers]
    return render(request, "scheduling/waitlist.html", {"rows": rows, "offers": shown})


WAITLIST_ROWS = 3


def _waitlist_form_context(request, **extra) -> dict:
    today = timezone.localdate()
    values = {"earliest_date": today.isoformat(), "latest_date": (today + timedelta(weeks=4)).isoformat(),
              "time_of_day": TimeOfDay.ANY, "priority": Priority.ROUTINE, "weekdays": [], "service_ids": [],
              "practitioner_ids": [], "discipline_ids": [], "location_id": None, "note": ""}
    values.update(extra.pop("values", {}))
    services_chosen = values["service_ids"]
    error = extra.get("error")
    field_errors: dict[str, list[str]] = {}
    for e in (error.errors if error else []):
        field_errors.setdefault(e.field.split("[")[0], []).append(e.message)
    return {"services": Service.objects.filter(is_active=True),
            "practitioners": Practitioner.objects.filter(is_active=True).select_related("discipline"),
            "disciplines": Discipline.objects.filter(is_clinical=True).order_by("name"),
            "locations": Location.objects.filter(is_active=True), "priorities": Priority.choices,
            "times": TimeOfDay.choices, "weekday_names": list(enumerate(["Mon", "Tue", "Wed", "Thu", "Fri", "Sat",
                                                                         "Sun"])),
            "service_rows": [services_chosen[i] if i < len(services_chosen) else None
                             for i in range(WAITLIST_ROWS)],
            "values": values, "field_errors": field_errors, **extra}


def _waitlist_input(post) -> dict:
    """Parse the waitlist form into waitlist_entry_create's arguments; 422 naming every unreadable field."""
    errors: list[FieldError] = []
    out: dict = {}
    for name in ("earliest_date", "latest_date"):
        try:
            out[name] = date.fromisoformat(post.get(name, ""))
        except ValueError:
            errors.append(FieldError(name, "Give a date."))
    for name in ("service_ids", "practitioner_ids", "discipline_ids", "weekdays"):
        values = []
        for i, raw in enumerate(v for v in post.getlist(name) if v != ""):
            try:
                values.append(int(raw))
            except ValueError:
                errors.append(FieldError(f"{name}[{i}]", "Give a whole number."))
        out[name] = values
    for name in ("location_id", "priority"):
        try:
            out[name] = _int(post.get(name), name)
        except ApplicationError as exc:
            errors += exc.errors
    if out.get("priority") is None:
        out["priority"] = Priority.ROUTINE
    out["time_of_day"] = post.get("time_of_day") or TimeOfDay.ANY
    out["note"] = post.get("note", "")
    if errors:
        raise validation_error(errors)
    return out


def _form_values(post) -> dict:
    def ints(name):
        return [int(v) for v in post.getlist(name) if v.isdigit()]

    return {"earliest_date": post.get("earliest_date", ""), "latest_date": post.get("latest_date", ""),
            "time_of_day": post.get("time_of_day", TimeOfDay.ANY), "note": post.get("note", ""),
            "priority": int(post["priority"]) if post.get("priority", "").isdigit() else Priority.ROUTINE,
            "location_id": int(post["location_id"]) if post.get("location_id", "").isdigit() else None,
            "service_ids": [int(v) if v.isdigit() else None for v in post.getlist("service_ids")],
            "practitioner_ids": ints("practitioner_ids"), "discipline_ids": ints("discipline_ids"),
            "weekdays": ints("weekdays")}


@staff_view(Perm.SCHEDULE_BOOK)
def waitlist_new(request):
    """A standalone waitlist entry (not from a referral): patient, wanted services in visit order,
    allowed practitioners or disciplines, location, date window, weekdays, time of day, priority."""
    act = ui_actor(request)
    if request.method == "POST":
        post = request.POST
        patient = None
        try:
            patient_id = _int(post.get("patient_id"), "patient_id")
            if patient_id is None:
                raise validation_error([FieldError("patient_id", "Pick a patient.")])
            patient = access_patient(act, patient_id, Perm.SCHEDULE_BOOK, what="waitlist")
            entry = waitlist.waitlist_entry_create(actor=act, patient=patient, **_waitlist_input(post))
        except ApplicationError as exc:
            return render(request, "scheduling/waitlist_new.html",
                          _waitlist_form_context(request, error=exc, patient=patient, values=_form_values(post)),
                          status=exc.status)
        messages.success(request, f"{patient.display_name} is on the waitlist ({entry.get_priority_display()}, "
                                  f"{entry.earliest_date:%-d %b} – {entry.latest_date:%-d %b}).")
        return redirect("scheduling:waitlist")
    patient = None
    if request.GET.get("patient"):
        try:
            patient = access_patient(act, int(request.GET["patient"]), Perm.SCHEDULE_BOOK, what="waitlist")
        except (ApplicationError, ValueError):
            patient = None
    return render(request, "scheduling/waitlist_new.html", _waitlist_form_context(request, patient=patient))


def _offer_action(request, offer_id: int, action):
    try:
        act = ui_actor(request)
        offer = waitlist.get_offer(offer_id)
        access_patient(act, offer.entry.patient_id, Perm.SCHEDULE_BOOK, what="waitlist_offer")
        action(act, offer)
    except ApplicationError as exc:
        return _error(request, exc)
    return redirect("scheduling:waitlist")


@require_POST
@staff_view(Perm.SCHEDULE_BOOK)
def offer_accept(request, offer_id: int):
    return _offer_action(request, offer_id, lambda act, o: waitlist.waitlist_offer_accept(actor=act, offer=o))


@require_POST
@staff_view(Perm.SCHEDULE_BOOK)
def offer_decline(request, offer_id: int):
    return _offer_action(request, offer_id, lambda act, o: waitlist.waitlist_offer_decline(actor=act, offer=o))


@require_POST
@staff_view(Perm.SCHEDULE_BOOK)
def entry_remove(request, entry_id: int):
    try:
        act = ui_actor(request)
        entry = waitlist.get_entry(entry_id)
        access_patient(act, entry.patient_id, Perm.SCHEDULE_BOOK, what="waitlist")
        waitlist.waitlist_entry_remove(actor=act, entry=entry)
    except ApplicationError as exc:
        return _error(request, exc)
    return redirect("scheduling:waitlist")
