"""FHIR R4B export of a patient's care coordination: a collection Bundle of the CareTeam, the
current CarePlan, one Communication per clinical-update version, and one Communication per
acknowledgement (``inResponseTo`` the update). Checked with ``fhir.resources.R4B`` in tests.

Reference: https://hl7.org/fhir/R4B/careteam.html, careplan.html, communication.html.
"""

from __future__ import annotations

from plexus.care import team
from plexus.care.models import ClinicalUpdate, Urgency
from plexus.patients.models import Patient


def _ref(kind: str, pk: int, display: str = "") -> dict:
    out = {"reference": f"{kind}/{pk}"}
    if display:
        out["display"] = display
    return out


def _instant(dt) -> str:
    return dt.isoformat()


def care_team_resource(patient: Patient) -> dict:
    members = team.members(patient.pk)
    return {"resourceType": "CareTeam", "id": f"careteam-{patient.pk}", "status": "active",
            "subject": _ref("Patient", patient.pk, patient.display_name),
            "participant": [{"role": [{"text": m.get_role_display()}, {"text": m.practitioner.discipline.name}],
                             "member": _ref("Practitioner", m.practitioner_id, str(m.practitioner))}
                            for m in members]}


def care_plan_resource(patient: Patient) -> dict | None:
    plan = team.current_plan(patient.pk)
    if plan is None:
        return None
    return {"resourceType": "CarePlan", "id": f"careplan-{plan.pk}", "status": "active", "intent": "plan",
            "subject": _ref("Patient", patient.pk), "created": _instant(plan.created_at),
            "title": f"Integrative care plan, version {plan.version}",
            "careTeam": [{"reference": f"CareTeam/careteam-{patient.pk}"}],
            "activity": [{"detail": {"status": "in-progress",
                                     "description": f"[{g['discipline']}] {g['goal']}"
                                                    + (f": {'; '.join(g['interventions'])}" if g["interventions"] else "")}}
                         for g in plan.goals]}


def communications(patient: Patient) -> list[dict]:
    out: list[dict] = []
    rows = ClinicalUpdate.objects.filter(patient=patient).select_related("author").prefetch_related(
        "recipients__practitioner").order_by("created_at", "pk")
    for u in rows:
        comm_id = f"update-{u.pk}"
        comm = {"resourceType": "Communication", "id": comm_id, "status": "completed",
                "category": [{"text": u.get_event_type_display()}],
                "priority": "urgent" if u.urgency == Urgency.URGENT else "routine",
                "subject": _ref("Patient", patient.pk), "sent": _instant(u.created_at),
                "sender": _ref("Practitioner", u.author_id, str(u.author)),
                "recipient": [_ref("Practitioner", r.practitioner_id, str(r.practitioner)) for r in u.recipients.all()],
                "payload": [{"contentString": u.summary}] + ([{"contentString": u.detail}] if u.detail else [])}
        if u.supersedes_id:
            comm["note"] = [{"text": f"Correction (version {u.version}) of update {u.supersedes_id}."}]
        out.append(comm)
        for r in u.recipients.all():
            if r.acknowledged_at is None:
                continue
            out.append({"resourceType": "Communication", "id": f"ack-{r.pk}", "status": "completed",
                        "inResponseTo": [{"reference": f"Communication/{comm_id}"}],
                        "subject": _ref("Patient", patient.pk), "sent": _instant(r.acknowledged_at),
                        "sender": _ref("Practitioner", r.practitioner_id, str(r.practitioner)),
                        "recipient": [_ref("Practitioner", u.author_id)],
                        "payload": [{"contentString": f"Acknowledged{': ' + r.reply if r.reply else '.'}"}]})
    return out


def care_bundle(patient: Patient) -> dict:
    """The collection Bundle for one patient (precondition: the caller may read its content)."""
    resources = [care_team_resource(patient)]
    plan = care_plan_resource(patient)
    if plan:
        resources.append(plan)
    resources.extend(communications(patient))
    return {"resourceType": "Bundle", "type": "collection",
            "entry": [{"fullUrl": f"urn:plexus:{r['resourceType']}:{r['id']}", "resource": r} for r in resources]}
