"""The patient-reported care-coordination survey: five statements rated 1 (strongly disagree) to 5
(strongly agree), sent once through messaging after the patient's Nth completed visit (practice
setting, default 3) with a signed link that expires after 30 days; results by practitioner and
by month. The message carries no clinical content (minimum necessary)."""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime
from decimal import Decimal

from django.conf import settings
from django.core import signing
from django.db import IntegrityError, transaction
from django.db.models import Count
from django.urls import reverse

from plexus.care.models import CoordinationSurvey
from plexus.care.sla import care_settings
from plexus.core.audit import Actor, record
from plexus.core.errors import ApplicationError, ErrorCode, FieldError, validation_error
from plexus.core.models import AuditAction, Practice, Practitioner
from plexus.messaging import services as messaging
from plexus.messaging.models import Channel, Kind
from plexus.scheduling.models import Appointment, Status

SALT = "plexus.care.survey"
MAX_AGE = 30 * 24 * 3600

# Five items in the spirit of the published patient-reported coordination measures (e.g. the
# AHRQ Care Coordination Measures Atlas); the wording is ours.
ITEMS = [
    ("knew", {"en": "My practitioners here knew about the care I received from the others.",
              "es": "Mis profesionales sabían de la atención que recibí de los demás."}),
    ("repeat", {"en": "I did not have to repeat my health history to each practitioner.",
                "es": "No tuve que repetir mi historial de salud a cada profesional."}),
    ("consistent", {"en": "The advice I got from different practitioners was consistent.",
                    "es": "Los consejos de los distintos profesionales fueron coherentes."}),
    ("contact", {"en": "I knew whom to contact with questions about my care.",
                 "es": "Sabía a quién contactar con preguntas sobre mi atención."}),
    ("overall", {"en": "Overall, my care here felt well coordinated.",
                 "es": "En general, mi atención aquí estuvo bien coordinada."}),
]
SCALE = {"en": ["Strongly disagree", "Disagree", "Neutral", "Agree", "Strongly agree"],
         "es": ["Muy en desacuerdo", "En desacuerdo", "Neutral", "De acuerdo", "Muy de acuerdo"]}
TEXT = {
    "en": ("How well does your care team work together?",
           "{practice}: you have now had {n} visits with us. Please tell us in one minute how well your care "
           "team works together: {link}"),
    "es": ("¿Qué tan bien trabaja en equipo su equipo de atención?",
           "{practice}: ya tuvo {n} visitas con nosotros. Díganos en un minuto qué tan bien trabaja en equipo "
           "su equipo de atención: {link}"),
}


def token_for(survey: CoordinationSurvey) -> str:
    return signing.dumps({"s": survey.pk}, salt=SALT)


def survey_url(survey: CoordinationSurvey) -> str:
    return settings.PLEXUS_PUBLIC_URL.rstrip("/") + reverse("care:survey", args=[token_for(survey)])


def survey_from_token(token: str) -> CoordinationSurvey:
    """The survey a link points to. 404 for a tampered link, 410 (conflict) for an expired one."""
    try:
        data = signing.loads(token, salt=SALT, max_age=MAX_AGE)
    except signing.SignatureExpired:
        raise ApplicationError(ErrorCode.CONFLICT, "This survey link has expired. Thank you all the same.") from None
    except signing.BadSignature:
        raise ApplicationError(ErrorCode.NOT_FOUND, "This survey link is not valid.") from None
    survey = CoordinationSurvey.objects.filter(pk=data.get("s")).select_related("patient").first()
    if survey is None:
        raise ApplicationError(ErrorCode.NOT_FOUND, "This survey link is not valid.")
    return survey


def _eligible(threshold: int) -> dict[int, int]:
    """Patients without a survey whose completed visit blocks reach the threshold: {patient: visits}."""
    rows = (Appointment.objects.filter(status=Status.COMPLETED, patient__coordination_survey__isnull=True)
            .values("patient_id").annotate(n=Count("block_id", distinct=True)).filter(n__gte=threshold))
    return {r["patient_id"]: r["n"] for r in rows}


def reconcile_surveys(*, now: datetime) -> int:
    """Create and queue the survey for every newly eligible patient (once per patient). Returns
    how many were sent."""
    threshold = care_settings().survey_after_visits
    practice = Practice.objects.order_by("pk").first()
    name = practice.legal_name if practice else "Your clinic"
    sent = 0
    for patient_id, visits in _eligible(threshold).items():
        try:
            with transaction.atomic():
                survey = CoordinationSurvey.objects.create(patient_id=patient_id, sent_at=now)
        except IntegrityError:
            continue  # a racing pass created it
        survey.practitioners.set(Practitioner.objects.filter(
            appointments__patient_id=patient_id, appointments__status=Status.COMPLETED).distinct())
        sent += _queue(survey, visits, name, now)
    return sent


def _queue(survey: CoordinationSurvey, visits: int, practice_name: str, now: datetime) -> int:
    patient = survey.patient
    rec = messaging.recipient(patient)
    channel = rec.pick(Channel.EMAIL)
    if channel is None:
        record(Actor.system("worker"), AuditAction.CREATE, "care.survey", survey.pk, patient_id=patient.pk,
               detail="not sent: no usable channel")
        return 0
    lang = patient.preferred_language if patient.preferred_language in TEXT else "en"
    subject, body = TEXT[lang]
    text = body.format(practice=practice_name, n=visits, link=survey_url(survey))
    when = messaging.first_send_time(channel, rec.preference, settings.TIME_ZONE, now)
    messaging.messages_enqueue(actor=Actor.system("worker"), now=now, items=[messaging.Outgoing(
        patient_id=patient.pk, channel=channel, kind=Kind.SURVEY, language=lang, to=rec.addresses[channel],
        subject=subject if channel == Channel.EMAIL else "", body=text, dedupe_key=f"care-survey:{survey.pk}",
        next_attempt_at=when, ref=f"care_survey:{survey.pk}")])
    return 1


@transaction.atomic
def survey_answer(*, token: str, answers: dict[str, str], now: datetime) -> CoordinationSurvey:
    """Save the patient's answers once. 422 naming each unanswered or out-of-range item; 409 for a
    second submission; nothing changed in either case."""
    survey = survey_from_token(token)
    survey = CoordinationSurvey.objects.select_for_update().get(pk=survey.pk)
    if survey.answered_at is not None:
        raise ApplicationError(ErrorCode.CONFLICT, "This survey was already answered. Thank you!")
    clean, errors = {}, []
    for key, _ in ITEMS:
        raw = str(answers.get(key, "")).strip()
        if raw not in {"1", "2", "3", "4", "5"}:
            errors.append(FieldError(key, "Choose one answer from 1 to 5."))
        else:
            clean[key] = int(raw)
    if errors:
        raise validation_error(errors, "Please answer every statement.")
    survey.answers, survey.answered_at = clean, now
    survey.score = (Decimal(sum(clean.values())) / len(clean)).quantize(Decimal("0.01"))
    survey.save(update_fields=["answers", "answered_at", "score"])
    record(Actor.system("portal"), AuditAction.UPDATE, "care.survey", survey.pk, patient_id=survey.patient_id,
           changed_fields=["answers"])
    return survey


def results(*, since: datetime, until: datetime) -> dict:
    """Answered surveys in the window: mean score and count per practitioner the patient had seen,
    and per month (answer date); plus the response rate of surveys sent in the window."""
    sent = CoordinationSurvey.objects.filter(sent_at__gte=since, sent_at__lt=until)
    answered = list(CoordinationSurvey.objects.filter(answered_at__gte=since, answered_at__lt=until)
                    .prefetch_related("practitioners"))
    by_prac: dict[int, list[Decimal]] = defaultdict(list)
    names: dict[int, str] = {}
    by_month: dict[str, list[Decimal]] = defaultdict(list)
    for s in answered:
        by_month[s.answered_at.strftime("%Y-%m")].append(s.score)
        for p in s.practitioners.all():
            by_prac[p.pk].append(s.score)
            names[p.pk] = str(p)

    def mean(xs: list[Decimal]) -> Decimal:
        return (sum(xs) / len(xs)).quantize(Decimal("0.01"))

    n_sent = sent.count()
    return {"sent": n_sent, "answered": sum(1 for s in sent if s.answered_at is not None),
            "by_practitioner": sorted(({"name": names[k], "n": len(v), "mean": mean(v)} for k, v in by_prac.items()),
                                      key=lambda r: r["name"]),
            "by_month": [{"month": k, "n": len(v), "mean": mean(v)} for k, v in sorted(by_month.items())],
            "overall": mean([s.score for s in answered]) if answered else None}
