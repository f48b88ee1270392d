"""Referrals (create, validate, derived progress) and the waitlist (offers of freed time, ranking,
hold, accept, decline, expiry by the reconciler)."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
import time_machine

from plexus.core.audit import Actor
from plexus.core.errors import ApplicationError
from plexus.core.models import Discipline
from plexus.patients.models import Patient
from plexus.scheduling import referrals, services, waitlist
from plexus.scheduling.models import (
    OfferStatus,
    Priority,
    Referral,
    Status,
    VisitBlock,
    WaitlistEntry,
    WaitlistOffer,
    WaitlistStatus,
)
from plexus.scheduling.referrals import normalise_icd10, referral_create
from plexus.scheduling.series import visit_series_book
from plexus.scheduling.services import Placement

from .conftest import NOW, pdx


@pytest.fixture
def lac(clinic):
    return Discipline.objects.get(code="lac")


@pytest.fixture
def other(clinic):
    return Patient.objects.create(chart_number="P900002", legal_first_name="Ann", legal_last_name="Bell",
                                  date_of_birth="1980-01-01", sex_for_claims="F")


def _referral(actor, patient, prac, svc, lac, **kw):
    args = {"to_discipline_id": lac.pk, "service_ids": [svc["acu"].pk], "sessions_wanted": 2,
            "reason": "Chronic low back pain", "from_practitioner_id": prac["chen"].pk, "icd10_codes": ["m54.50"],
            **kw}
    return referral_create(actor=actor, patient=patient, **args)


@pytest.mark.parametrize(("raw", "norm"), [("M54.50", "M54.50"), ("m5450", "M54.50"), ("Z00", "Z00"),
                                           ("S72.001A", "S72.001A"), ("M54.", None), ("5M4", None),
                                           ("M54.50123", None), ("", None), ("MM4.1", None)])
def test_icd10_shape(raw, norm):
    assert normalise_icd10(raw) == norm


def test_create_referral_and_progress_from_linked_visits(admin_actor, patient, prac, svc, room, lac):
    ref = _referral(admin_actor, patient, prac, svc, lac, to_practitioner_id=prac["li"].pk)
    assert ref.status == "open" and ref.icd10_codes == ["M54.50"]
    assert referrals.progress(ref.pk) == (0, 0)
    comps = [Placement(svc["acu"].pk, prac["li"].pk, pdx(1, 10), room["Treatment 1"].pk)]
    made, _ = visit_series_book(actor=admin_actor, patient=patient, components=comps, interval_weeks=1,
                                occurrences=2, referral=ref)
    assert referrals.progress(ref.pk) == (2, 0)
    assert Referral.objects.get(pk=ref.pk).status == "scheduled"
    first = made.blocks.get(series_index=0).appointments.get()
    with time_machine.travel(pdx(1, 10, 5), tick=False):
        services.appointment_set_status(actor=admin_actor, appointment=first, status="arrived")
        services.appointment_set_status(actor=admin_actor, appointment=first, status="completed")
    assert referrals.progress(ref.pk) == (2, 1)
    second = made.blocks.get(series_index=1)
    services.visit_block_cancel(actor=admin_actor, block=second, reason="Away")
    assert referrals.progress(ref.pk) == (1, 1)
    assert Referral.objects.get(pk=ref.pk).status == "open"  # a session must be booked again


def test_practitioner_user_is_the_default_sender(users, patient, prac, svc, lac):
    chen = prac["chen"]
    chen.user = users["practitioner"]
    chen.save()
    ref = referral_create(actor=Actor(users["practitioner"]), patient=patient, to_discipline_id=lac.pk,
                          service_ids=[svc["acu"].pk], sessions_wanted=6, reason="Back pain")
    assert ref.from_practitioner_id == chen.pk


@pytest.mark.parametrize(("kwargs", "field"), [
    ({"to_discipline_id": 999_999}, "to_discipline_id"),
    ({"service_ids": []}, "service_ids"),
    ({"service_ids": [999_999]}, "service_ids[0]"),
    ({"sessions_wanted": 0}, "sessions_wanted"),
    ({"cadence_weeks": 13}, "cadence_weeks"),
    ({"reason": "  "}, "reason"),
    ({"icd10_codes": ["M54.50", "back"]}, "icd10_codes[1]"),
    ({"priority": 7}, "priority"),
    ({"from_practitioner_id": None}, "from_practitioner_id"),
])
def test_bad_referral_is_422_and_saves_nothing(admin_actor, patient, prac, svc, lac, kwargs, field):
    with pytest.raises(ApplicationError) as exc:
        _referral(admin_actor, patient, prac, svc, lac, **kwargs)
    assert exc.value.status == 422 and field in [e.field for e in exc.value.errors]
    assert not Referral.objects.exists()


def test_service_and_practitioner_must_fit_the_discipline(admin_actor, patient, prac, svc, lac):
    with pytest.raises(ApplicationError) as exc:
        _referral(admin_actor, patient, prac, svc, lac, service_ids=[svc["massage"].pk],
                  to_practitioner_id=prac["ortiz"].pk)
    assert {e.field for e in exc.value.errors} == {"service_ids[0]", "to_practitioner_id"}


def test_cancel_referral(admin_actor, patient, prac, svc, lac):
    ref = _referral(admin_actor, patient, prac, svc, lac)
    with pytest.raises(ApplicationError):
        referrals.referral_cancel(actor=admin_actor, referral=ref, reason="")
    ref = referrals.referral_cancel(actor=admin_actor, referral=ref, reason="Patient declined")
    assert ref.status == "cancelled"
    with pytest.raises(ApplicationError) as exc:
        referrals.referral_cancel(actor=admin_actor, referral=ref, reason="again")
    assert exc.value.status == 409


# -- waitlist ----------------------------------------------------------------------------------

@pytest.fixture
def taken(admin_actor, other, svc, prac, room):
    """Ann Bell holds Li's 10:00 acupuncture on Tuesday 1 December."""
    return services.visit_block_book(actor=admin_actor, patient=other, components=[
        Placement(svc["acu"].pk, prac["li"].pk, pdx(1, 10), room["Treatment 1"].pk)])


def _entry(actor, patient, svc, prac, **kw):
    args = {"service_ids": [svc["acu"].pk], "earliest_date": date(2026, 12, 1), "latest_date": date(2026, 12, 1),
            "practitioner_ids": [prac["li"].pk], "time_of_day": "morning", **kw}
    return waitlist.waitlist_entry_create(actor=actor, patient=patient, **args)


@pytest.fixture
def third(clinic):
    return Patient.objects.create(chart_number="P900003", legal_first_name="Cy", legal_last_name="Dee",
                                  date_of_birth="1990-01-01", sex_for_claims="M")


def test_cancellation_offers_freed_slot_by_priority_then_waiting(admin_actor, patient, third, svc, prac, taken,
                                                                  django_capture_on_commit_callbacks):
    routine = _entry(admin_actor, third, svc, prac, priority=Priority.ROUTINE, now=NOW - timedelta(days=3))
    urgent = _entry(admin_actor, patient, svc, prac, priority=Priority.URGENT, now=NOW)
    with django_capture_on_commit_callbacks(execute=True):
        services.visit_block_cancel(actor=admin_actor, block=taken, reason="Sick")
    offer = WaitlistOffer.objects.get()
    assert offer.entry_id == urgent.pk and offer.start == pdx(1, 10) and offer.status == OfferStatus.OPEN
    assert offer.expires_at == NOW + timedelta(minutes=120)
    assert WaitlistEntry.objects.get(pk=urgent.pk).status == WaitlistStatus.OFFERED
    assert WaitlistEntry.objects.get(pk=routine.pk).status == WaitlistStatus.WAITING
    assert waitlist.reconcile_waitlist(now=NOW) == 0  # idempotent: nothing more to offer

    block = waitlist.waitlist_offer_accept(actor=admin_actor, offer=offer)
    assert block.patient_id == patient.pk and block.start == pdx(1, 10)
    assert WaitlistEntry.objects.get(pk=urgent.pk).status == WaitlistStatus.BOOKED
    with pytest.raises(ApplicationError) as exc:
        waitlist.waitlist_offer_accept(actor=admin_actor, offer=offer)
    assert exc.value.status == 409


def test_hold_expires_and_the_next_entry_is_offered(admin_actor, patient, third, svc, prac, taken,
                                                    django_capture_on_commit_callbacks, monkeypatch):
    monkeypatch.setenv("PLEXUS_WAITLIST_HOLD_MINUTES", "30")
    first = _entry(admin_actor, patient, svc, prac, priority=Priority.URGENT)
    second = _entry(admin_actor, third, svc, prac)
    with django_capture_on_commit_callbacks(execute=True):
        services.visit_block_cancel(actor=admin_actor, block=taken, reason="Sick")
    offer = WaitlistOffer.objects.get()
    assert offer.entry_id == first.pk and offer.expires_at == NOW + timedelta(minutes=30)
    later = NOW + timedelta(minutes=31)
    with pytest.raises(ApplicationError) as exc:
        waitlist.waitlist_offer_accept(actor=admin_actor, offer=offer, now=later)
    assert exc.value.status == 409 and VisitBlock.objects.filter(patient=patient).count() == 0
    assert waitlist.reconcile_waitlist(now=later) == 1
    offer.refresh_from_db()
    assert offer.status == OfferStatus.EXPIRED
    assert WaitlistEntry.objects.get(pk=first.pk).status == WaitlistStatus.WAITING
    nxt = WaitlistOffer.objects.get(status=OfferStatus.OPEN)
    assert nxt.entry_id == second.pk and nxt.start == pdx(1, 10)
    assert waitlist.reconcile_waitlist(now=later) == 0


def test_accept_after_slot_taken_is_409_and_offer_stays_open(admin_actor, patient, other, third, svc, prac, room,
                                                             taken, django_capture_on_commit_callbacks):
    _entry(admin_actor, patient, svc, prac)
    with django_capture_on_commit_callbacks(execute=True):
        services.visit_block_cancel(actor=admin_actor, block=taken, reason="Sick")
    offer = WaitlistOffer.objects.get()
    services.visit_block_book(actor=admin_actor, patient=third, components=[
        Placement(svc["acu"].pk, prac["li"].pk, pdx(1, 10), room["Treatment 2"].pk)])
    with pytest.raises(ApplicationError) as exc:
        waitlist.waitlist_offer_accept(actor=admin_actor, offer=offer)
    assert exc.value.status == 409
    assert WaitlistOffer.objects.get(pk=offer.pk).status == OfferStatus.OPEN
    waitlist.waitlist_offer_decline(actor=admin_actor, offer=offer)
    assert WaitlistEntry.objects.get().status == WaitlistStatus.WAITING


def test_entries_outside_preferences_are_not_offered(admin_actor, patient, svc, prac, taken,
                                                     django_capture_on_commit_callbacks):
    _entry(admin_actor, patient, svc, prac, time_of_day="afternoon")
    _entry(admin_actor, patient, svc, prac, weekdays=[4])
    _entry(admin_actor, patient, svc, prac, earliest_date=date(2026, 12, 2), latest_date=date(2026, 12, 9))
    with django_capture_on_commit_callbacks(execute=True):
        services.appointment_cancel(actor=admin_actor, appointment=taken.appointments.get(), reason="Sick")
    assert not WaitlistOffer.objects.exists()


def test_window_over_expires_entry_and_remove(admin_actor, patient, svc, prac):
    entry = _entry(admin_actor, patient, svc, prac)
    waitlist.reconcile_waitlist(now=pdx(2, 12))
    assert WaitlistEntry.objects.get(pk=entry.pk).status == WaitlistStatus.EXPIRED
    again = _entry(admin_actor, patient, svc, prac, latest_date=date(2026, 12, 20))
    assert waitlist.waitlist_entry_remove(actor=admin_actor, entry=again).status == WaitlistStatus.REMOVED
    with pytest.raises(ApplicationError) as exc:
        waitlist.waitlist_entry_remove(actor=admin_actor, entry=again)
    assert exc.value.status == 409


@pytest.mark.parametrize(("kwargs", "field"), [
    ({"service_ids": []}, "service_ids"),
    ({"service_ids": [999_999]}, "service_ids[0]"),
    ({"practitioner_ids": [999_999]}, "practitioner_ids[0]"),
    ({"discipline_ids": [999_999]}, "discipline_ids[0]"),
    ({"location_id": 999_999}, "location_id"),
    ({"latest_date": date(2026, 11, 1)}, "latest_date"),
    ({"weekdays": [7]}, "weekdays[0]"),
    ({"time_of_day": "night"}, "time_of_day"),
    ({"priority": 0}, "priority"),
])
def test_bad_waitlist_entry_is_422_and_saves_nothing(admin_actor, patient, svc, prac, kwargs, field):
    with pytest.raises(ApplicationError) as exc:
        _entry(admin_actor, patient, svc, prac, **kwargs)
    assert exc.value.status == 422 and field in [e.field for e in exc.value.errors]
    assert not WaitlistEntry.objects.exists()


# --- offers sent to the patient ---------------------------------------------------------------------


def _offered(admin_actor, patient, svc, prac, taken, capture):
    from plexus.messaging.models import Message

    patient.consent_sms, patient.preferred_channel = True, "sms"
    patient.save()
    _entry(admin_actor, patient, svc, prac, priority=Priority.URGENT, now=NOW)
    with capture(execute=True):
        services.visit_block_cancel(actor=admin_actor, block=taken, reason="Sick")
    offer = WaitlistOffer.objects.get()
    msg = Message.objects.get(kind="waitlist_offer")
    return offer, msg


def test_offer_is_messaged_and_booked_from_the_link(admin_actor, patient, svc, prac, taken, client,
                                                   django_capture_on_commit_callbacks):
    from plexus.messaging.models import PatientReply
    from plexus.scheduling import offers

    offer, msg = _offered(admin_actor, patient, svc, prac, taken, django_capture_on_commit_callbacks)
    assert msg.channel == "sms" and "/schedule/offer/" in msg.body and "Wei Li" in msg.body
    assert "held for you until" in msg.body
    path = "/schedule/offer/" + offers.token_for(offer) + "/"
    page = client.get(path)
    assert page.status_code == 200 and b"Book this visit" in page.content
    assert WaitlistOffer.objects.get().status == OfferStatus.OPEN  # GET changes nothing (mail scanners)
    r = client.post(path, {"action": "accept"})
    assert r.status_code == 200 and b"Booked" in r.content
    assert VisitBlock.objects.filter(patient=patient, status=Status.BOOKED).count() == 1
    again = client.post(path, {"action": "accept"})
    assert again.status_code == 409 and b"no longer open" in again.content
    assert VisitBlock.objects.filter(patient=patient).count() == 1
    assert list(PatientReply.objects.values_list("ok", flat=True).order_by("pk")) == [True, False]
    assert client.get(path[:-4] + "xx/").status_code == 404


def test_offer_declined_or_expired_from_the_link_books_nothing(admin_actor, patient, svc, prac, taken, client,
                                                               django_capture_on_commit_callbacks):
    from plexus.scheduling import offers

    offer, _ = _offered(admin_actor, patient, svc, prac, taken, django_capture_on_commit_callbacks)
    path = "/schedule/offer/" + offers.token_for(offer) + "/"
    with time_machine.travel(offer.expires_at + timedelta(minutes=1), tick=False):
        page = client.get(path)
        assert b"no longer available" in page.content
        assert client.post(path, {"action": "accept"}).status_code == 409
    assert not VisitBlock.objects.filter(patient=patient).exists()
    r = client.post(path, {"action": "decline"})
    assert r.status_code == 200 and b"you stay on the waitlist" in r.content
    assert WaitlistEntry.objects.get(patient=patient).status == WaitlistStatus.WAITING
