"""Waitlist offers sent to the patient: a message with a signed link to a page where they accept
(the visit is booked at once, if still free) or decline. The offer stays held for the configured
time (PLEXUS_WAITLIST_HOLD_MINUTES); after that the link says so and changes nothing.

Messages say who, when and where (like reminders): no clinical content.
"""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from django.conf import settings
from django.core import signing
from django.urls import reverse

from plexus.core.audit import Actor
from plexus.core.errors import ApplicationError, ErrorCode
from plexus.core.models import Practice, Practitioner
from plexus.messaging import services as messaging
from plexus.messaging.models import Channel, Kind, ReplyAction
from plexus.scheduling.models import OfferStatus, VisitBlock, WaitlistOffer
from plexus.scheduling.waitlist import waitlist_offer_accept, waitlist_offer_decline

SALT = "plexus.scheduling.offer"
PATIENT = Actor(user=None, via="portal")

TEXT = {
    "en": ("A visit opened up for you",
           "{practice}: a visit opened up on {when} at {location} ({who}). It is held for you until {until}. "
           "Book it or let it go: {link}"),
    "es": ("Se abrió una cita para usted",
           "{practice}: se abrió una cita el {when} en {location} ({who}). Se la guardamos hasta las {until}. "
           "Resérvela o libérela: {link}"),
}


def token_for(offer: WaitlistOffer) -> str:
    return signing.dumps({"o": offer.pk, "p": offer.entry.patient_id}, salt=SALT)


def offer_url(offer: WaitlistOffer) -> str:
    return settings.PLEXUS_PUBLIC_URL.rstrip("/") + reverse("scheduling:offer_link", args=[token_for(offer)])


def offer_from_token(token: str) -> WaitlistOffer:
    """404 for a tampered link (the offer's own status and hold decide the rest)."""
    try:
        data = signing.loads(token, salt=SALT, max_age=14 * 86400)
    except signing.BadSignature:
        raise ApplicationError(ErrorCode.NOT_FOUND, "This link is not valid.") from None
    offer = WaitlistOffer.objects.select_related("entry__patient", "location").filter(pk=data.get("o")).first()
    if offer is None or offer.entry.patient_id != data.get("p"):
        raise ApplicationError(ErrorCode.NOT_FOUND, "This link is not valid.")
    return offer


def describe(offer: WaitlistOffer, lang: str) -> dict:
    tz = ZoneInfo(offer.location.time_zone)
    names = {p.pk: f"{p.first_name} {p.last_name}, {p.credentials}" for p in Practitioner.objects.filter(
        pk__in=[c["practitioner_id"] for c in offer.placements])}
    start = offer.start.astimezone(tz)
    fmt = "%d/%m %H:%M" if lang == "es" else "%a %d %b %H:%M"
    return {"when": start.strftime(fmt), "location": offer.location.name,
            "who": "; ".join(dict.fromkeys(names[c["practitioner_id"]] for c in offer.placements)),
            "until": offer.expires_at.astimezone(tz).strftime("%H:%M"),
            "lines": [f"{datetime.fromisoformat(c['start']).astimezone(tz):%H:%M}–"
                      f"{datetime.fromisoformat(c['end']).astimezone(tz):%H:%M} {names[c['practitioner_id']]}"
                      for c in offer.placements]}


def offer_notify(offer: WaitlistOffer, *, now: datetime) -> bool:
    """Queue the offer message to the patient (once per offer). False when no channel is usable
    (staff still see the offer on the waitlist board)."""
    patient = offer.entry.patient
    rec = messaging.recipient(patient)
    channel = rec.pick(Channel.SMS if patient.preferred_channel == "sms" else Channel.EMAIL)
    if channel is None:
        return False
    lang = patient.preferred_language if patient.preferred_language in TEXT else "en"
    subject, body = TEXT[lang]
    practice = Practice.objects.order_by("pk").first()
    d = describe(offer, lang)
    text = body.format(practice=practice.legal_name if practice else "Your clinic", when=d["when"],
                       location=d["location"], who=d["who"], until=d["until"], link=offer_url(offer))
    keys = messaging.messages_enqueue(actor=Actor.system("worker"), now=now, items=[messaging.Outgoing(
        patient_id=patient.pk, channel=channel, kind=Kind.WAITLIST_OFFER, language=lang, to=rec.addresses[channel],
        subject=subject if channel == Channel.EMAIL else "", body=text, dedupe_key=f"waitlist-offer:{offer.pk}",
        next_attempt_at=messaging.first_send_time(channel, rec.preference, patient.time_zone, now),
        ref=f"waitlist_offer:{offer.pk}")])
    return bool(keys)


def answer(*, token: str, action: str, now: datetime) -> tuple[WaitlistOffer, VisitBlock | None]:
    """The patient's answer from the link: accept (book now; 409 when taken or expired, nothing
    booked) or decline. Every answer is recorded with the patient's other replies."""
    offer = offer_from_token(token)
    if action not in ("accept", "decline"):
        raise ApplicationError(ErrorCode.VALIDATION, "Choose book or let it go.")
    ref = f"waitlist_offer:{offer.pk}"
    try:
        if action == "accept":
            block = waitlist_offer_accept(actor=PATIENT, offer=offer, now=now)
            result = f"Booked visit block {block.pk}."
        else:
            block = None
            waitlist_offer_decline(actor=PATIENT, offer=offer)
            result = "Let the offered time go."
    except ApplicationError as exc:
        messaging.reply_record(channel="web", action=ReplyAction.CONFIRM if action == "accept" else ReplyAction.CANCEL,
                               patient_id=offer.entry.patient_id, ref=ref, ok=False, result=exc.detail[:300], now=now)
        raise
    messaging.reply_record(channel="web", action=ReplyAction.CONFIRM if action == "accept" else ReplyAction.CANCEL,
                           patient_id=offer.entry.patient_id, ref=ref, ok=True, result=result, now=now)
    offer.refresh_from_db()
    return offer, block


def is_open(offer: WaitlistOffer, now: datetime) -> bool:
    return offer.status == OfferStatus.OPEN and offer.expires_at > now
