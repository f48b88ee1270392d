"""API for care-team communication: care teams and plans, clinical updates (record, edit,
correct, acknowledge), the inbox and escalations, routing rules and SLAs, consultation notes,
check-ins, coordination measures and a FHIR R4B export.

Content (update text, replies, plan goals, consult summaries, minutes) is returned only to
clinical users on the patient's care team; others get ``"content_hidden": true``.
"""

from __future__ import annotations

from datetime import date, datetime

from django.http import HttpRequest
from django.utils import timezone
from ninja import Router, Schema, Status

from plexus.care import checkins, consults, fhir, selectors, team, updates
from plexus.care.access import practitioner_of, sees_patient_content
from plexus.care.models import CheckIn, ConsultNote, RoutingRule, TeamRole
from plexus.care.sla import care_settings
from plexus.core.api_utils import require_perm
from plexus.core.audit import record
from plexus.core.errors import ApplicationError, ErrorCode
from plexus.core.models import AuditAction
from plexus.core.permissions import Perm, user_has
from plexus.patients.selectors import access_patient

router = Router(tags=["care"])


def _prac(p) -> dict:
    return {"id": p.pk, "name": str(p), "discipline": p.discipline.code}


def update_dict(v: selectors.UpdateView) -> dict:
    u = v.update
    out = {"id": u.pk, "patient_id": u.patient_id, "event_type": u.event_type, "urgency": u.urgency,
           "version": u.version, "supersedes_id": u.supersedes_id, "superseded_at": u.superseded_at,
           "created_at": u.created_at, "due_at": u.due_at, "author": _prac(u.author), "status": v.status,
           "content_hidden": not v.content,
           "recipients": [{"practitioner": _prac(r.practitioner), "reason": r.reason,
                           "acknowledged_at": r.acknowledged_at, "escalation_level": r.escalation_level,
                           **({"reply": r.reply} if v.content else {})} for r in v.recipients]}
    if v.content:
        out.update(summary=u.summary, detail=u.detail)
    return out


class MemberIn(Schema):
    practitioner_id: int
    role: str = TeamRole.MEMBER


class PlanIn(Schema):
    goals: list[dict]
    note: str = ""


class UpdateIn(Schema):
    event_type: str
    summary: str
    detail: str = ""
    urgency: str | None = None
    recipients: list[int] = []


class EditIn(Schema):
    summary: str
    detail: str = ""


class CorrectionIn(EditIn):
    event_type: str | None = None
    recipients: list[int] = []


class AckIn(Schema):
    reply: str = ""


class RuleIn(Schema):
    disciplines: list[str]
    include_lead: bool = False
    urgency: str = "routine"


class SettingsIn(Schema):
    urgent_ack_hours: int
    routine_ack_business_days: int
    survey_after_visits: int = 3


class ConsultIn(Schema):
    kind: str
    source_name: str
    received_on: date | None = None
    responsible_id: int | None = None
    summary: str
    source_email: str = ""


class CheckInSearchIn(Schema):
    member_ids: list[int]
    duration_minutes: int = 30
    start: date
    end: date
    location_id: int | None = None


class CheckInIn(Schema):
    title: str
    member_ids: list[int]
    start: datetime
    duration_minutes: int = 30
    location_id: int
    patient_ids: list[int] = []


class ActionIn(Schema):
    text: str
    owner_id: int | None = None
    patient_id: int | None = None
    due_on: date | None = None


class MinutesIn(Schema):
    minutes: str
    actions: list[ActionIn] = []


# ----- care team and plan ----------------------------------------------------------------------


@router.get("/patients/{patient_id}/team")
def team_get(request: HttpRequest, patient_id: int):
    act = require_perm(request, Perm.CARE_VIEW)
    access_patient(act, patient_id, Perm.CARE_VIEW, what="care_team")
    return {"members": [{**_prac(m.practitioner), "role": m.role, "added_at": m.added_at}
                        for m in team.members(patient_id)],
            "suggestions": [{**_prac(s["practitioner"]), "seen": s["seen"], "booked": s["booked"]}
                            for s in team.suggestions(patient_id)]}


@router.post("/patients/{patient_id}/team", response={201: dict})
def team_add(request: HttpRequest, patient_id: int, payload: MemberIn):
    act = require_perm(request, Perm.CARE_TEAM_EDIT)
    patient = access_patient(act, patient_id, Perm.CARE_TEAM_EDIT, what="care_team")
    m = team.member_add(actor=act, patient=patient, practitioner_id=payload.practitioner_id, role=payload.role)
    return Status(201, {**_prac(m.practitioner), "role": m.role})


@router.delete("/patients/{patient_id}/team/{practitioner_id}", response={204: None})
def team_remove(request: HttpRequest, patient_id: int, practitioner_id: int):
    act = require_perm(request, Perm.CARE_TEAM_EDIT)
    patient = access_patient(act, patient_id, Perm.CARE_TEAM_EDIT, what="care_team")
    team.member_remove(actor=act, patient=patient, practitioner_id=practitioner_id)
    return Status(204, None)


@router.get("/patients/{patient_id}/plan")
def plan_get(request: HttpRequest, patient_id: int):
    act = require_perm(request, Perm.CARE_VIEW)
    access_patient(act, patient_id, Perm.CARE_VIEW, what="care_plan")
    plan = team.current_plan(patient_id)
    if plan is None:
        return {"version": None, "goals": [], "content_hidden": False}
    if not sees_patient_content(request.user, patient_id):
        return {"version": plan.version, "created_at": plan.created_at, "content_hidden": True}
    record(act, AuditAction.READ, "care.plan", plan.pk, patient_id=patient_id)
    return {"version": plan.version, "created_at": plan.created_at, "goals": plan.goals, "note": plan.note,
            "content_hidden": False}


@router.post("/patients/{patient_id}/plan", response={201: dict})
def plan_post(request: HttpRequest, patient_id: int, payload: PlanIn):
    act = require_perm(request, Perm.CARE_UPDATE)
    patient = access_patient(act, patient_id, Perm.CARE_UPDATE, what="care_plan")
    if not sees_patient_content(request.user, patient_id):
        raise ApplicationError(ErrorCode.FORBIDDEN, "Only clinicians on this patient's care team edit the care plan.")
    plan = team.plan_save(actor=act, patient=patient, goals=payload.goals, note=payload.note)
    return Status(201, {"version": plan.version, "goals": plan.goals})


# ----- clinical updates -------------------------------------------------------------------------


@router.get("/patients/{patient_id}/updates")
def updates_list(request: HttpRequest, patient_id: int):
    act = require_perm(request, Perm.CARE_VIEW)
    access_patient(act, patient_id, Perm.CARE_VIEW, what="care_updates")
    views = selectors.patient_updates(request.user, patient_id)
    selectors.audit_shown(act, views)
    return {"items": [update_dict(v) for v in views]}


@router.post("/patients/{patient_id}/updates", response={201: dict})
def updates_create(request: HttpRequest, patient_id: int, payload: UpdateIn):
    act = require_perm(request, Perm.CARE_UPDATE)
    patient = access_patient(act, patient_id, Perm.CARE_UPDATE, what="care_updates")
    u = updates.update_record(actor=act, patient=patient, event_type=payload.event_type, summary=payload.summary,
                              detail=payload.detail, urgency=payload.urgency, recipients=payload.recipients)
    return Status(201, update_dict(selectors.update_view(request.user, u.pk)))


def _update_or_404(request: HttpRequest, update_id: int) -> selectors.UpdateView:
    v = selectors.update_view(request.user, update_id)
    if v is None:
        raise ApplicationError(ErrorCode.NOT_FOUND, f"No clinical update {update_id}.")
    return v


@router.get("/updates/{update_id}")
def update_get(request: HttpRequest, update_id: int):
    act = require_perm(request, Perm.CARE_VIEW)
    v = _update_or_404(request, update_id)
    selectors.audit_shown(act, [v])
    if not v.content:
        record(act, AuditAction.READ, "care.update_status", update_id, patient_id=v.update.patient_id)
    return update_dict(v)


@router.patch("/updates/{update_id}")
def update_patch(request: HttpRequest, update_id: int, payload: EditIn):
    act = require_perm(request, Perm.CARE_UPDATE)
    updates.update_edit(actor=act, update_id=update_id, summary=payload.summary, detail=payload.detail)
    return update_dict(_update_or_404(request, update_id))


@router.post("/updates/{update_id}/corrections", response={201: dict})
def update_correction(request: HttpRequest, update_id: int, payload: CorrectionIn):
    act = require_perm(request, Perm.CARE_UPDATE)
    new = updates.update_correct(actor=act, update_id=update_id, summary=payload.summary, detail=payload.detail,
                                 event_type=payload.event_type, recipients=payload.recipients)
    return Status(201, update_dict(_update_or_404(request, new.pk)))


@router.post("/updates/{update_id}/acknowledge")
def update_ack(request: HttpRequest, update_id: int, payload: AckIn):
    act = require_perm(request, Perm.CARE_UPDATE)
    rec = updates.acknowledge(actor=act, update_id=update_id, reply=payload.reply)
    return {"update_id": update_id, "acknowledged_at": rec.acknowledged_at, "reply": rec.reply}


@router.get("/inbox")
def inbox_get(request: HttpRequest):
    act = require_perm(request, Perm.CARE_UPDATE)
    box = selectors.inbox(request.user)
    for group in (box.to_acknowledge, box.escalated_to_me, box.sent_by_me):
        selectors.audit_shown(act, group)
    return {"to_acknowledge": [update_dict(v) for v in box.to_acknowledge],
            "escalated_to_me": [update_dict(v) for v in box.escalated_to_me],
            "sent_by_me": [update_dict(v) for v in box.sent_by_me]}


@router.get("/escalations")
def escalations_get(request: HttpRequest):
    act = require_perm(request, Perm.CARE_VIEW)
    rows = selectors.escalations(request.user, now=timezone.now())
    for pid in {r["update"].patient_id for r in rows}:
        record(act, AuditAction.READ, "care.escalations", patient_id=pid)
    return {"items": [{"update_id": r["update"].pk, "patient_id": r["update"].patient_id,
                       "patient_name": r["update"].patient.display_name, "event_type": r["update"].event_type,
                       "urgency": r["update"].urgency, "due_at": r["update"].due_at,
                       "practitioner": _prac(r["recipient"].practitioner),
                       "escalation_level": r["recipient"].escalation_level,
                       "overdue_hours": round(r["overdue"].total_seconds() / 3600, 1)} for r in rows]}


# ----- rules and settings -----------------------------------------------------------------------


def _rule(r: RoutingRule) -> dict:
    return {"event_type": r.event_type, "disciplines": r.disciplines, "include_lead": r.include_lead,
            "urgency": r.urgency}


@router.get("/rules")
def rules_get(request: HttpRequest):
    require_perm(request, Perm.CARE_VIEW)
    updates.ensure_default_rules()
    return {"items": [_rule(r) for r in RoutingRule.objects.all()]}


@router.put("/rules/{event_type}")
def rules_put(request: HttpRequest, event_type: str, payload: RuleIn):
    act = require_perm(request, Perm.CARE_MANAGE)
    return _rule(updates.rule_update(actor=act, event_type=event_type, disciplines=payload.disciplines,
                                     include_lead=payload.include_lead, urgency=payload.urgency))


@router.get("/settings")
def settings_get(request: HttpRequest):
    require_perm(request, Perm.CARE_VIEW)
    s = care_settings()
    return {"urgent_ack_hours": s.urgent_ack_hours, "routine_ack_business_days": s.routine_ack_business_days,
            "survey_after_visits": s.survey_after_visits}


@router.put("/settings")
def settings_put(request: HttpRequest, payload: SettingsIn):
    act = require_perm(request, Perm.CARE_MANAGE)
    updates.settings_update(actor=act, urgent_ack_hours=payload.urgent_ack_hours,
                            routine_ack_business_days=payload.routine_ack_business_days,
                            survey_after_visits=payload.survey_after_visits)
    return settings_get(request)


# ----- consultation notes -----------------------------------------------------------------------


def _consult(n: ConsultNote, content: bool) -> dict:
    out = {"id": n.pk, "reference": consults.reference(n), "patient_id": n.patient_id, "kind": n.kind,
           "source_name": n.source_name, "received_on": n.received_on, "responsible": _prac(n.responsible),
           "logged_at": n.logged_at, "receipt_sent_at": n.receipt_sent_at, "reviewed_at": n.reviewed_at,
           "content_hidden": not content}
    if content:
        out["summary"] = n.summary
    return out


@router.get("/patients/{patient_id}/consults")
def consults_list(request: HttpRequest, patient_id: int):
    act = require_perm(request, Perm.CARE_VIEW)
    access_patient(act, patient_id, Perm.CARE_VIEW, what="consult_notes")
    content = sees_patient_content(request.user, patient_id)
    notes = list(ConsultNote.objects.filter(patient_id=patient_id).select_related("responsible__discipline"))
    if content:
        for n in notes:
            record(act, AuditAction.READ, "care.consult_note", n.pk, patient_id=patient_id)
    return {"items": [_consult(n, content) for n in notes]}


@router.post("/patients/{patient_id}/consults", response={201: dict})
def consults_create(request: HttpRequest, patient_id: int, payload: ConsultIn):
    act = require_perm(request, Perm.CONSULT_LOG)
    patient = access_patient(act, patient_id, Perm.CONSULT_LOG, what="consult_notes")
    n = consults.consult_log(actor=act, patient=patient, kind=payload.kind, source_name=payload.source_name,
                             received_on=payload.received_on, responsible_id=payload.responsible_id,
                             summary=payload.summary, source_email=payload.source_email)
    n.refresh_from_db()
    return Status(201, _consult(n, sees_patient_content(request.user, patient_id)))


@router.post("/consults/{note_id}/review")
def consults_review(request: HttpRequest, note_id: int):
    act = require_perm(request, Perm.CARE_UPDATE)
    n = consults.consult_review(actor=act, note_id=note_id)
    return _consult(n, True)


# ----- check-ins --------------------------------------------------------------------------------


def _checkin(c: CheckIn) -> dict:
    return {"id": c.pk, "title": c.title, "location_id": c.location_id, "start": c.start, "end": c.end,
            "status": c.status, "members": [_prac(p) for p in c.members.select_related("discipline")],
            "patient_ids": list(c.patients.values_list("pk", flat=True)),
            "action_items": [{"id": a.pk, "text": a.text, "owner_id": a.owner_id, "patient_id": a.patient_id,
                              "due_on": a.due_on, "done_at": a.done_at} for a in c.action_items.all()]}


@router.post("/checkins/search")
def checkins_search(request: HttpRequest, payload: CheckInSearchIn):
    require_perm(request, Perm.CARE_TEAM_EDIT)
    options = checkins.find_times(member_ids=payload.member_ids, duration_minutes=payload.duration_minutes,
                                  start=payload.start, end=payload.end, now=timezone.now(),
                                  location_id=payload.location_id)
    return {"options": [{"start": o.start, "end": o.end, "location_id": o.location_id} for o in options]}


@router.post("/checkins", response={201: dict})
def checkins_create(request: HttpRequest, payload: CheckInIn):
    act = require_perm(request, Perm.CARE_TEAM_EDIT)
    c = checkins.checkin_schedule(actor=act, title=payload.title, member_ids=payload.member_ids, start=payload.start,
                                  duration_minutes=payload.duration_minutes, location_id=payload.location_id,
                                  patient_ids=payload.patient_ids)
    return Status(201, _checkin(c))


@router.get("/checkins")
def checkins_list(request: HttpRequest):
    require_perm(request, Perm.CARE_VIEW)
    return {"items": [_checkin(c) for c in CheckIn.objects.filter(start__gte=timezone.now()).order_by("start")[:100]]}


@router.get("/checkins/{checkin_id}")
def checkins_get(request: HttpRequest, checkin_id: int):
    act = require_perm(request, Perm.CARE_VIEW)
    c = CheckIn.objects.filter(pk=checkin_id).first()
    if c is None:
        raise ApplicationError(ErrorCode.NOT_FOUND, f"No check-in {checkin_id}.")
    out = _checkin(c)
    prac = practitioner_of(request.user)
    if prac is not None and c.members.filter(pk=prac.pk).exists() and user_has(request.user, Perm.CLINICAL_VIEW):
        out["minutes"] = c.minutes
        record(act, AuditAction.READ, "care.checkin", c.pk)
    else:
        out["content_hidden"] = True
    return out


@router.post("/checkins/{checkin_id}/cancel")
def checkins_cancel(request: HttpRequest, checkin_id: int):
    act = require_perm(request, Perm.CARE_TEAM_EDIT)
    return _checkin(checkins.checkin_cancel(actor=act, checkin_id=checkin_id))


@router.post("/checkins/{checkin_id}/minutes")
def checkins_minutes(request: HttpRequest, checkin_id: int, payload: MinutesIn):
    act = require_perm(request, Perm.CARE_UPDATE)
    c = checkins.minutes_save(actor=act, checkin_id=checkin_id, minutes=payload.minutes,
                              actions=[a.dict() for a in payload.actions])
    return _checkin(c)


# ----- measures and FHIR ------------------------------------------------------------------------


@router.get("/measures")
def measures_get(request: HttpRequest, days: int = 90):
    require_perm(request, Perm.CARE_VIEW)
    now = timezone.now()
    since, until = selectors.recent_window(now, max(1, min(days, 365)))
    m = selectors.coordination_measures(since=since, until=until)
    return {"since": since, "until": until, "acknowledged": m["acknowledged"], "within_sla": m["within_sla"],
            "share_within_sla": m["share_within_sla"], "median_hours": m["median_hours"], "pending": m["pending"],
            "overdue": len(selectors.overdue(now=now)),
            "by_discipline": [{"discipline": d.discipline, "acknowledged": d.acknowledged,
                               "median_hours": d.median_hours, "share_within_sla": d.share_within_sla}
                              for d in m["by_discipline"]]}


@router.get("/patients/{patient_id}/fhir")
def fhir_export(request: HttpRequest, patient_id: int):
    act = require_perm(request, Perm.CARE_UPDATE)
    patient = access_patient(act, patient_id, Perm.CARE_UPDATE, what="care_fhir")
    if not sees_patient_content(request.user, patient_id):
        raise ApplicationError(ErrorCode.FORBIDDEN, "Only clinicians on this patient's care team export its care record.")
    record(act, AuditAction.EXPORT, "care.fhir", patient_id, patient_id=patient_id)
    return fhir.care_bundle(patient)
