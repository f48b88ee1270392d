"""Demo data for forms: the shipped questionnaires, and Maria Lopez's (synthetic) PHQ-9 and GAD-7
completed plus a general health history in progress. Idempotent."""

from __future__ import annotations

from datetime import date

from django.db import transaction

from plexus.core.audit import Actor
from plexus.patients.models import Patient
from plexus.records import services
from plexus.records.models import Questionnaire, QuestionnaireResponse, QuestionnaireStatus
from plexus.records.shipped import load_shipped_forms

PHQ9 = {"phq9-1": "LA6569-3", "phq9-2": "LA6569-3", "phq9-3": "LA6570-1", "phq9-4": "LA6570-1",
        "phq9-5": "LA6568-5", "phq9-6": "LA6569-3", "phq9-7": "LA6568-5", "phq9-8": "LA6568-5",
        "phq9-9": "LA6568-5", "phq9-difficulty": "LA6573-5"}  # total 7: mild
GAD7 = {"gad7-1": "LA6570-1", "gad7-2": "LA6569-3", "gad7-3": "LA6570-1", "gad7-4": "LA6569-3",
        "gad7-5": "LA6568-5", "gad7-6": "LA6569-3", "gad7-7": "LA6568-5"}  # total 7: mild
HISTORY_PAGE = {"concern": "Low back pain and poor sleep since a move last spring", "general-health": "good",
                "energy": 4, "concern-since": "2026-03-15", "heard-about": "physician-referral"}


def _active(slug: str) -> Questionnaire:
    return Questionnaire.objects.filter(slug=slug, status=QuestionnaireStatus.ACTIVE).order_by("-published_at").first()


@transaction.atomic
def load_records_demo(anchor: date | None = None, scale: int = 1) -> dict[str, int]:
    """Load the shipped forms and the demo responses; return counts of what was created."""
    out = {"questionnaires": load_shipped_forms(), "questionnaire_responses": 0}
    if anchor is not None:
        out["intake packets"] = _intake_demo(anchor)
    maria = Patient.objects.filter(legal_first_name="Maria", legal_last_name="Lopez").order_by("pk").first()
    if maria is None or QuestionnaireResponse.objects.filter(patient=maria).exists():
        return out
    actor = Actor.system("cli")
    for slug, page, answers, complete in (("phq-9", "page-phq-9", PHQ9, True), ("gad-7", "page-gad-7", GAD7, True),
                                          ("general-health-history", "page-about", HISTORY_PAGE, False)):
        q = _active(slug)
        if q is None:
            continue
        r = services.response_start(actor=actor, patient=maria, questionnaire=q)
        r = services.response_save_page(actor=actor, response=r, page=page, answers=answers)
        if complete:
            services.response_complete(actor=actor, response=r)
        out["questionnaire_responses"] += 1
    return out


def _intake_demo(anchor: date) -> int:
    """Run the intake reconciler as of the demo's anchor (packets for new patients booked in the
    coming week), then have the first of them answer the first page of each form: in progress,
    like Maria on the Monday night of the scenario."""
    from datetime import UTC, datetime, time

    from plexus.records import intake, portal
    from plexus.records.models import IntakePacket

    if IntakePacket.objects.exists():
        return IntakePacket.objects.count()
    now = datetime.combine(anchor, time(17, 0), tzinfo=UTC)
    intake.reconcile_intake(now=now)
    first = IntakePacket.objects.order_by("first_visit_at").first()
    if first is not None:
        from plexus.records.sample_answers import answer_page

        for pf in first.forms.select_related("questionnaire")[:2]:
            pf = portal.ensure_response(pf)
            answer_page(pf, 0)
        intake.refresh_status(first, now)
    return IntakePacket.objects.count()
