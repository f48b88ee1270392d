"""The patient's page behind a waitlist-offer message: see the offered time, book it or let it go.
GET only shows (mail scanners open links); the buttons POST."""

from __future__ import annotations

from django.shortcuts import render
from django.utils import timezone

from plexus.core.errors import ApplicationError
from plexus.scheduling import offers


def offer_link(request, token: str):
    now = timezone.now()
    try:
        offer = offers.offer_from_token(token)
    except ApplicationError as exc:
        return render(request, "scheduling/offer_link.html", {"error": exc}, status=404)
    lang = offer.entry.patient.preferred_language if offer.entry.patient.preferred_language in offers.TEXT else "en"
    context = {"offer": offer, "d": offers.describe(offer, lang), "token": token, "lang": lang}
    if request.method == "POST":
        try:
            offer, block = offers.answer(token=token, action=request.POST.get("action", ""), now=now)
        except ApplicationError as exc:
            offer.refresh_from_db()
            return render(request, "scheduling/offer_link.html", {**context, "error": exc, "offer": offer,
                                                                 "open": offers.is_open(offer, now)},
                          status=exc.status)
        return render(request, "scheduling/offer_link.html", {**context, "offer": offer, "block": block,
                                                             "answered": True})
    return render(request, "scheduling/offer_link.html", {**context, "open": offers.is_open(offer, now)})
