"""Staff screens for care-team communication: the chart's care-team tab, the practitioner's
inbox (acknowledge with a reply in place), the day list with unacknowledged updates on top,
escalations, routing rules, consultation notes, check-ins and coordination measures."""

from __future__ import annotations

from datetime import date, timedelta

from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.dateparse import parse_date, parse_datetime
from django.views.decorators.http import require_POST

from plexus.care import checkins, consults, selectors, team, updates
from plexus.care.access import practitioner_of, sees_patient_content
from plexus.care.models import ALL_DISCIPLINES, CheckIn, ConsultKind, ConsultNote, EventType, RoutingRule, Urgency
from plexus.care.sla import care_settings, practice_zone
from plexus.core.audit import record
from plexus.core.errors import ApplicationError, ErrorCode, FieldError, validation_error
from plexus.core.models import AuditAction, Discipline, Location, Practitioner
from plexus.core.permissions import Perm, user_has
from plexus.core.views_utils import staff_view, ui_actor
from plexus.patients.selectors import access_patient


def _ints(values) -> list[int]:
    out = []
    for v in values:
        try:
            out.append(int(v))
        except (TypeError, ValueError):
            raise validation_error([FieldError("recipients", f"Not a practitioner id: {v!r}.")]) from None
    return out


def _error_page(request, exc: ApplicationError, status: int | None = None):
    return render(request, "care/_message.html", {"error": exc}, status=status or exc.status)


# ----- chart tab --------------------------------------------------------------------------------


def _panel_context(request, patient, *, error: ApplicationError | None = None, notice: str = "") -> dict:
    act = ui_actor(request)
    views = selectors.patient_updates(request.user, patient.pk)
    selectors.audit_shown(act, views)
    content = sees_patient_content(request.user, patient.pk)
    plan = team.current_plan(patient.pk)
    if plan is not None and content:
        record(act, AuditAction.READ, "care.plan", plan.pk, patient_id=patient.pk)
    notes = list(ConsultNote.objects.filter(patient=patient).select_related("responsible"))
    members = team.members(patient.pk)
    return {"patient": patient, "members": members, "suggestions": team.suggestions(patient.pk),
            "updates": views, "plan": plan, "content": content, "consults": notes,
            "me": practitioner_of(request.user), "event_types": EventType.choices, "urgencies": Urgency.choices,
            "practitioners": Practitioner.objects.filter(is_active=True).select_related("discipline"),
            "consult_kinds": ConsultKind.choices, "today": timezone.localdate(), "error": error, "notice": notice,
            "disciplines": Discipline.objects.filter(is_clinical=True).order_by("name"),
            "can_team": user_has(request.user, Perm.CARE_TEAM_EDIT),
            "can_update": user_has(request.user, Perm.CARE_UPDATE) and content,
            "can_log": user_has(request.user, Perm.CONSULT_LOG)}


def _panel(request, patient_id: int, perm: Perm, **extra):
    patient = access_patient(ui_actor(request), patient_id, perm, what="care_team")
    return render(request, "care/_patient_panel.html", _panel_context(request, patient, **extra))


@staff_view(Perm.CARE_VIEW)
def patient_panel(request, patient_id: int):
    try:
        return _panel(request, patient_id, Perm.CARE_VIEW)
    except ApplicationError as exc:
        return _error_page(request, exc)


def _panel_action(request, patient_id: int, perm: Perm, action) -> object:
    """Run action(actor, patient) and re-render the panel with its notice or error."""
    act = ui_actor(request)
    try:
        patient = access_patient(act, patient_id, perm, what="care_team")
    except ApplicationError as exc:
        return _error_page(request, exc)
    try:
        notice = action(act, patient)
    except ApplicationError as exc:
        return render(request, "care/_patient_panel.html", _panel_context(request, patient, error=exc),
                      status=exc.status)
    return render(request, "care/_patient_panel.html", _panel_context(request, patient, notice=notice))


@require_POST
@staff_view(Perm.CARE_TEAM_EDIT)
def team_add(request, patient_id: int):
    def run(act, patient):
        pid = request.POST.get("practitioner_id")
        m = team.member_add(actor=act, patient=patient, practitioner_id=int(pid) if pid and pid.isdigit() else None,
                            role=request.POST.get("role", "member"))
        return f"{m.practitioner} is on the care team."
    return _panel_action(request, patient_id, Perm.CARE_TEAM_EDIT, run)


@require_POST
@staff_view(Perm.CARE_TEAM_EDIT)
def team_remove(request, patient_id: int, practitioner_id: int):
    def run(act, patient):
        m = team.member_remove(actor=act, patient=patient, practitioner_id=practitioner_id)
        return f"{m.practitioner} is off the care team."
    return _panel_action(request, patient_id, Perm.CARE_TEAM_EDIT, run)


@require_POST
@staff_view(Perm.CARE_UPDATE)
def update_new(request, patient_id: int):
    def run(act, patient):
        u = updates.update_record(actor=act, patient=patient, event_type=request.POST.get("event_type", ""),
                                  summary=request.POST.get("summary", ""), detail=request.POST.get("detail", ""),
                                  urgency=request.POST.get("urgency") or None,
                                  recipients=_ints(request.POST.getlist("recipients")))
        names = ", ".join(str(r.practitioner) for r in u.recipients.select_related("practitioner"))
        return f"Update recorded and sent to {names}."
    return _panel_action(request, patient_id, Perm.CARE_UPDATE, run)


@require_POST
@staff_view(Perm.CARE_UPDATE)
def update_correct(request, update_id: int):
    patient_id = _patient_of_update(update_id)
    if patient_id is None:
        return _error_page(request, ApplicationError(ErrorCode.NOT_FOUND, f"No clinical update {update_id}."))

    def run(act, patient):
        new = updates.update_correct(actor=act, update_id=update_id, summary=request.POST.get("summary", ""),
                                     detail=request.POST.get("detail", ""))
        return f"Correction recorded as version {new.version} and routed again."
    return _panel_action(request, patient_id, Perm.CARE_UPDATE, run)


def _patient_of_update(update_id: int) -> int | None:
    from plexus.care.models import ClinicalUpdate

    return ClinicalUpdate.objects.filter(pk=update_id).values_list("patient_id", flat=True).first()


@require_POST
@staff_view(Perm.CARE_UPDATE)
def plan_save(request, patient_id: int):
    def run(act, patient):
        if not sees_patient_content(request.user, patient.pk):
            raise ApplicationError(ErrorCode.FORBIDDEN, "Only clinicians on this care team edit the care plan.")
        goals = [{"discipline": d, "goal": g, "interventions": i.split(";")}
                 for d, g, i in zip(request.POST.getlist("discipline"), request.POST.getlist("goal"),
                                    request.POST.getlist("interventions"), strict=False) if g.strip() or d.strip()]
        plan = team.plan_save(actor=act, patient=patient, goals=goals, note=request.POST.get("note", ""))
        return f"Care plan saved as version {plan.version}."
    return _panel_action(request, patient_id, Perm.CARE_UPDATE, run)


@require_POST
@staff_view(Perm.CONSULT_LOG)
def consult_new(request, patient_id: int):
    def run(act, patient):
        rid = request.POST.get("responsible_id", "")
        n = consults.consult_log(actor=act, patient=patient, kind=request.POST.get("kind", ""),
                                 source_name=request.POST.get("source_name", ""),
                                 received_on=parse_date(request.POST.get("received_on", "") or ""),
                                 responsible_id=int(rid) if rid.isdigit() else None,
                                 summary=request.POST.get("summary", ""),
                                 source_email=request.POST.get("source_email", ""))
        sent = " A receipt goes to the sender." if n.source_email else ""
        return f"Consultation note {consults.reference(n)} logged for {n.responsible}.{sent}"
    return _panel_action(request, patient_id, Perm.CONSULT_LOG, run)


@require_POST
@staff_view(Perm.CARE_UPDATE)
def consult_review(request, note_id: int):
    note = ConsultNote.objects.filter(pk=note_id).first()
    if note is None:
        return _error_page(request, ApplicationError(ErrorCode.NOT_FOUND, f"No consultation note {note_id}."))

    if not request.htmx:  # the inbox's plain form: sign off, then back to the inbox
        try:
            consults.consult_review(actor=ui_actor(request), note_id=note_id)
        except ApplicationError as exc:
            return _error_page(request, exc)
        return redirect("care:inbox")

    def run(act, patient):
        consults.consult_review(actor=act, note_id=note_id)
        return f"{consults.reference(note)} signed off as reviewed."
    return _panel_action(request, note.patient_id, Perm.CARE_UPDATE, run)


# ----- inbox, day list, escalations ---------------------------------------------------------------


@staff_view(Perm.CARE_UPDATE)
def inbox(request):
    box = selectors.inbox(request.user)
    act = ui_actor(request)
    for group in (box.to_acknowledge, box.escalated_to_me, box.sent_by_me):
        selectors.audit_shown(act, group)
    me = practitioner_of(request.user)
    return render(request, "care/inbox.html", {"box": box, "me": me,
                                               "notes": consults.to_review(me.pk) if me else []})


@require_POST
@staff_view(Perm.CARE_UPDATE)
def acknowledge(request, update_id: int):
    act = ui_actor(request)
    try:
        updates.acknowledge(actor=act, update_id=update_id, reply=request.POST.get("reply", ""))
    except ApplicationError as exc:
        v = selectors.update_view(request.user, update_id)
        if v is None:
            return _error_page(request, exc)
        return render(request, "care/_update_row.html", {"v": v, "error": exc, "inbox": True}, status=exc.status)
    v = selectors.update_view(request.user, update_id)
    selectors.audit_shown(act, [v])
    if not request.htmx:
        return redirect("care:inbox")
    return render(request, "care/_update_row.html", {"v": v, "inbox": True, "just_acked": True})


@staff_view(Perm.CARE_UPDATE)
def my_day(request):
    tz = practice_zone()
    day = parse_date(request.GET.get("date", "") or "") or timezone.now().astimezone(tz).date()
    rows = selectors.day_list(request.user, day, tz)
    me = practitioner_of(request.user)
    if me is not None and rows:  # the review checklist beside each appointment (records app)
        from plexus.records.review import items_for

        pending: dict[int, int] = {}
        for row in rows:
            pid = row["appointment"].patient_id
            if pid not in pending:
                pending[pid] = sum(1 for i in items_for(me, pid) if i.signed_at is None)
            row["to_review"] = pending[pid]
    act = ui_actor(request)
    pending = [v for row in rows for v in row["updates"]]
    seen: set[int] = set()
    unique = [v for v in pending if not (v.update.pk in seen or seen.add(v.update.pk))]
    selectors.audit_shown(act, unique)
    return render(request, "care/my_day.html", {"rows": rows, "day": day, "pending": unique,
                                                "prev": day - timedelta(days=1), "next": day + timedelta(days=1),
                                                "me": practitioner_of(request.user), "tz": tz})


@staff_view(Perm.CARE_VIEW)
def escalations(request):
    now = timezone.now()
    rows = selectors.escalations(request.user, now=now)
    for pid in {r["update"].patient_id for r in rows}:
        record(ui_actor(request), AuditAction.READ, "care.escalations", patient_id=pid)
    return render(request, "care/escalations.html", {"rows": rows, "now": now})


# ----- rules and measures -------------------------------------------------------------------------


def _whole(raw: str) -> int | str:
    """A whole number from a form field, or the raw text (the service then names the field)."""
    return int(raw) if raw.strip().isdigit() else raw


def _rules_post(request) -> str:
    """Save the settings form or one rule's row; return the notice (raises ApplicationError)."""
    post = request.POST
    if post.get("action") == "settings":
        updates.settings_update(actor=ui_actor(request), urgent_ack_hours=_whole(post.get("urgent_ack_hours", "")),
                                routine_ack_business_days=_whole(post.get("routine_ack_business_days", "")),
                                survey_after_visits=_whole(post.get("survey_after_visits", "")))
        return "Settings saved; they apply to updates recorded from now on."
    rule = updates.rule_update(actor=ui_actor(request), event_type=post.get("event_type", ""),
                               disciplines=post.getlist("disciplines"), include_lead=post.get("include_lead") == "on",
                               urgency=post.get("urgency", ""))
    return f"Rule for {rule.get_event_type_display().lower()} saved."


@staff_view(Perm.CARE_VIEW)
def rules(request):
    updates.ensure_default_rules()
    error, notice = None, ""
    if request.method == "POST":
        if not user_has(request.user, Perm.CARE_MANAGE):
            return render(request, "403.html", {"perm": Perm.CARE_MANAGE.value}, status=403)
        try:
            notice = _rules_post(request)
        except ApplicationError as exc:
            error = exc
    disciplines = list(Discipline.objects.filter(is_clinical=True).order_by("name"))
    return render(request, "care/rules.html", {
        "rules": RoutingRule.objects.all(), "disciplines": disciplines, "all": ALL_DISCIPLINES,
        "urgencies": Urgency.choices, "error": error, "notice": notice, "settings": care_settings(),
        "can_manage": user_has(request.user, Perm.CARE_MANAGE)}, status=error.status if error else 200)


@staff_view(Perm.CARE_VIEW)
def measures(request):
    now = timezone.now()
    days = int(request.GET.get("days", "90")) if request.GET.get("days", "90").isdigit() else 90
    since, until = selectors.recent_window(now, max(1, min(days, 365)))
    m = selectors.coordination_measures(since=since, until=until)
    from plexus.care import survey

    return render(request, "care/measures.html", {"m": m, "days": days, "overdue": selectors.overdue(now=now),
                                                  "survey": survey.results(since=since, until=until)})


# ----- check-ins ----------------------------------------------------------------------------------


def _checkin_context(request, **extra) -> dict:
    tz = practice_zone()
    today = timezone.now().astimezone(tz).date()
    upcoming = CheckIn.objects.filter(end__gte=timezone.now() - timedelta(days=7)).prefetch_related(
        "members", "patients").order_by("start")[:50]
    return {"practitioners": Practitioner.objects.filter(is_active=True).select_related("discipline"),
            "locations": Location.objects.filter(is_active=True), "upcoming": upcoming, "tz": tz,
            "start": today + timedelta(days=1), "end": today + timedelta(days=14),
            "can_edit": user_has(request.user, Perm.CARE_TEAM_EDIT), **extra}


@staff_view(Perm.CARE_VIEW)
def checkin_list(request):
    return render(request, "care/checkins.html", _checkin_context(request))


@require_POST
@staff_view(Perm.CARE_TEAM_EDIT)
def checkin_search(request):
    post = request.POST
    try:
        member_ids = _ints(post.getlist("member_ids"))
        loc = post.get("location_id", "")
        options = checkins.find_times(
            member_ids=member_ids, duration_minutes=int(post.get("duration_minutes") or 30),
            start=parse_date(post.get("start", "")) or date.min, end=parse_date(post.get("end", "")) or date.min,
            now=timezone.now(), location_id=int(loc) if loc.isdigit() else None)
    except ApplicationError as exc:
        return render(request, "care/_checkin_options.html", {"error": exc}, status=exc.status)
    except ValueError:
        exc = validation_error([FieldError("duration_minutes", "Give minutes as a whole number.")])
        return render(request, "care/_checkin_options.html", {"error": exc}, status=422)
    return render(request, "care/_checkin_options.html", {
        "options": options, "member_ids": member_ids, "title": post.get("title", ""),
        "duration": post.get("duration_minutes") or 30, "patient_ids": post.getlist("patient_ids"),
        "tz": practice_zone(), "locations": {loc.pk: loc for loc in Location.objects.all()}})


@require_POST
@staff_view(Perm.CARE_TEAM_EDIT)
def checkin_book(request):
    post = request.POST
    try:
        start = parse_datetime(post.get("start", ""))
        c = checkins.checkin_schedule(
            actor=ui_actor(request), title=post.get("title", ""), member_ids=_ints(post.getlist("member_ids")),
            start=start, duration_minutes=int(post.get("duration_minutes") or 30),
            location_id=int(post.get("location_id") or 0), patient_ids=_ints(post.getlist("patient_ids")))
    except ApplicationError as exc:
        return render(request, "care/_checkin_options.html", {"error": exc}, status=exc.status)
    url = reverse("care:checkin", args=[c.pk])
    if request.htmx:
        from django.http import HttpResponse

        resp = HttpResponse(status=204)
        resp["HX-Redirect"] = url
        return resp
    return redirect(url)


@staff_view(Perm.CARE_VIEW)
def checkin_detail(request, checkin_id: int):
    c = CheckIn.objects.filter(pk=checkin_id).prefetch_related("members__discipline", "patients",
                                                                "action_items__owner").first()
    if c is None:
        return render(request, "404.html", {"detail": f"No check-in {checkin_id}."}, status=404)
    error, notice = None, ""
    me = practitioner_of(request.user)
    is_member = me is not None and me in c.members.all()
    clinical = is_member and user_has(request.user, Perm.CLINICAL_VIEW)
    if request.method == "POST":
        try:
            if request.POST.get("action") == "cancel":
                if not user_has(request.user, Perm.CARE_TEAM_EDIT):
                    return render(request, "403.html", {"perm": Perm.CARE_TEAM_EDIT.value}, status=403)
                checkins.checkin_cancel(actor=ui_actor(request), checkin_id=c.pk)
                notice = "Check-in cancelled; the members' calendars are free again."
            else:
                if not user_has(request.user, Perm.CARE_UPDATE):
                    return render(request, "403.html", {"perm": Perm.CARE_UPDATE.value}, status=403)
                actions = []
                for text, owner, due in zip(request.POST.getlist("action_text"), request.POST.getlist("action_owner"),
                                            request.POST.getlist("action_due"), strict=False):
                    if text.strip():
                        actions.append({"text": text, "owner_id": int(owner) if owner.isdigit() else None,
                                        "due_on": parse_date(due) if due else None})
                checkins.minutes_save(actor=ui_actor(request), checkin_id=c.pk,
                                      minutes=request.POST.get("minutes", ""), actions=actions)
                notice = "Minutes saved."
        except ApplicationError as exc:
            error = exc
        c.refresh_from_db()
    agenda = []
    for p in c.patients.all():
        views = [v for v in selectors.patient_updates(request.user, p.pk) if v.status in ("open", "escalated")]
        selectors.audit_shown(ui_actor(request), views)
        agenda.append({"patient": p, "updates": views})
    if clinical:
        record(ui_actor(request), AuditAction.READ, "care.checkin", c.pk)
    return render(request, "care/checkin.html", {
        "c": c, "agenda": agenda, "clinical": clinical, "error": error, "notice": notice, "tz": practice_zone(),
        "can_edit": user_has(request.user, Perm.CARE_TEAM_EDIT), "can_minute": user_has(request.user, Perm.CARE_UPDATE),
        "items": c.action_items.select_related("owner")}, status=error.status if error else 200)



# ----- the patient's survey (public, signed link) --------------------------------------------------


def survey_page(request, token: str):
    """The care-coordination survey for a patient (no login: the signed link is the key)."""
    from plexus.care import survey as surveys

    try:
        s = surveys.survey_from_token(token)
    except ApplicationError as exc:
        return render(request, "care/survey.html", {"error": exc}, status=410 if exc.code == ErrorCode.CONFLICT else 404)
    lang = s.patient.preferred_language if s.patient.preferred_language in surveys.SCALE else "en"
    ctx = {"items": [(k, t[lang]) for k, t in surveys.ITEMS], "scale": list(enumerate(surveys.SCALE[lang], 1)),
           "survey": s, "answers": {}, "lang": lang}
    if s.answered_at is not None:
        return render(request, "care/survey.html", {**ctx, "done": True})
    if request.method == "POST":
        answers = {k: request.POST.get(k, "") for k, _ in surveys.ITEMS}
        try:
            surveys.survey_answer(token=token, answers=answers, now=timezone.now())
        except ApplicationError as exc:
            return render(request, "care/survey.html", {**ctx, "error": exc, "answers": answers}, status=exc.status)
        return render(request, "care/survey.html", {**ctx, "done": True, "thanks": True})
    return render(request, "care/survey.html", ctx)
