"""Intake packets, the patient portal and the review checklist (services and screens).

Clock: Monday 23 November 2026, 18:00 UTC (10:00 in Portland). Maria is a new patient booked on
Thursday 26 November with Dr. Chen (physician), Li Wei (acupuncture) and Sam Ortiz (massage)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.core import signing
from django.test import Client

from plexus.core.audit import Actor
from plexus.core.errors import ApplicationError
from plexus.core.models import AuditEvent, Practitioner, Room, Service
from plexus.messaging.models import Message
from plexus.records import intake, portal, review
from plexus.records.models import IntakePacket, PacketStatus, ReviewSignoff
from plexus.scheduling.models import Appointment, Status, VisitBlock

pytestmark = pytest.mark.django_db

MONDAY = datetime(2026, 11, 23, 18, 0, tzinfo=UTC)
THURSDAY = datetime(2026, 11, 26, 17, 0, tzinfo=UTC)  # 09:00 in Portland


@pytest.fixture(autouse=True)
def clock():
    with time_machine.travel(MONDAY, tick=False) as traveller:
        yield traveller


@pytest.fixture
def maria(patient, forms):
    patient.consent_email = patient.consent_sms = True
    patient.time_zone = "America/Los_Angeles"
    patient.preferred_channel = "sms"
    patient.save()
    return patient


@pytest.fixture
def thursday(maria):
    """Maria's three-part Thursday visit (booked)."""
    parts = [("99204", "Chen", "consult", 45), ("97810", "Li", "treatment_table", 60), ("97124", "Ortiz", "massage", 60)]
    loc = Room.objects.filter(room_type="consult").order_by("pk").first().location
    block = VisitBlock.objects.create(patient=maria, location=loc, start=THURSDAY,
                                      end=THURSDAY + timedelta(minutes=165))
    start = THURSDAY
    for pos, (code, last, room_type, minutes) in enumerate(parts):
        end = start + timedelta(minutes=minutes)
        Appointment.objects.create(
            block=block, position=pos, patient=maria, service=Service.objects.filter(procedure_code=code).first(),
            practitioner=Practitioner.objects.get(last_name=last), location=loc,
            room=Room.objects.filter(room_type=room_type, location=loc).first(), start=start, end=end,
            practitioner_until=end, room_until=end)
        start = end
    return block


def _portal(packet) -> tuple[Client, str]:
    c = Client()
    return c, intake.token_for(packet)


def _unlock(c: Client, token: str, dob: str = "1974-05-14"):
    return c.post(f"/records/portal/{token}/", {"date_of_birth": dob})


def test_packet_follows_the_booked_disciplines(thursday, maria):
    packet = intake.packet_prepare(patient=maria, now=MONDAY)
    slugs = [f.questionnaire.slug for f in packet.forms.order_by("position")]
    assert slugs[0] == "general-health-history"
    assert {"acupuncture-intake", "massage-screening", "lifestyle-assessment", "environmental-exposure",
            "symptom-inventory"} <= set(slugs)
    assert "chiropractic-intake" not in slugs and "nutrition-intake" not in slugs
    assert packet.first_visit_at == THURSDAY and packet.status == PacketStatus.NOT_SENT


def test_reconciler_sends_once_follows_up_and_flags(thursday, maria, clock):
    assert intake.reconcile_intake(now=MONDAY) == 1
    packet = IntakePacket.objects.get()
    assert packet.status == PacketStatus.SENT and packet.sent_at == MONDAY
    msg = Message.objects.get(kind="intake")
    assert msg.channel == "sms" and "/records/portal/" in msg.body and "Thu 26 Nov" in msg.body
    assert "back pain" not in msg.body.lower()
    assert intake.reconcile_intake(now=MONDAY + timedelta(hours=1)) == 0  # nothing new
    assert intake.reconcile_intake(now=MONDAY + timedelta(hours=24)) == 1  # the first follow-up
    packet.refresh_from_db()
    assert packet.followups_sent == 1 and Message.objects.filter(kind="intake").count() == 2
    # Wednesday 17:00 UTC is within 24 h of the visit: still incomplete, so it is flagged (once).
    wed = THURSDAY - timedelta(hours=23)
    assert intake.reconcile_intake(now=wed) >= 1
    packet.refresh_from_db()
    assert packet.flagged_at == wed
    assert IntakePacket.objects.filter(flagged_at__isnull=False).count() == 1


def test_established_patient_gets_no_packet(thursday, maria):
    Appointment.objects.filter(block=thursday).update(status=Status.COMPLETED)
    VisitBlock.objects.create(patient=maria, location=thursday.location, start=THURSDAY + timedelta(days=7),
                              end=THURSDAY + timedelta(days=7, hours=1))
    assert intake.reconcile_intake(now=MONDAY) == 0 and not IntakePacket.objects.exists()


def test_links_tampered_expired_and_replaced_are_refused(thursday, maria):
    intake.reconcile_intake(now=MONDAY)
    packet = IntakePacket.objects.get()
    c, token = _portal(packet)
    assert c.get(f"/records/portal/{token[:-3]}abc/").status_code == 404
    with time_machine.travel(MONDAY + timedelta(days=intake.LINK_DAYS + 1), tick=False):
        r = c.get(f"/records/portal/{token}/")
        assert r.status_code == 410 and b"expired" in r.content
    intake.packet_send(packet=packet, now=MONDAY, actor=Actor.system("cli"), new_link=True)
    r = c.get(f"/records/portal/{token}/")
    assert r.status_code == 410 and b"replaced" in r.content
    packet.refresh_from_db()
    assert c.get(f"/records/portal/{intake.token_for(packet)}/").status_code == 200


def test_wrong_date_of_birth_is_limited_and_audited(thursday, maria):
    intake.reconcile_intake(now=MONDAY)
    packet = IntakePacket.objects.get()
    c, token = _portal(packet)
    for left in (4, 3, 2, 1):
        r = _unlock(c, token, "1980-01-01")
        assert r.status_code == 422 and f"{left} tr".encode() in r.content
    r = _unlock(c, token, "1980-01-01")
    assert b"locked for 15 minutes" in r.content
    r = _unlock(c, token)  # even the right date waits out the lock
    assert r.status_code == 409 and b"Too many tries" in r.content
    assert AuditEvent.objects.filter(object_type="intake_portal", action="denied").count() == 5
    with time_machine.travel(MONDAY + timedelta(minutes=16), tick=False):
        assert _unlock(c, token).status_code == 302
    packet.refresh_from_db()
    assert packet.status == PacketStatus.OPENED and packet.failed_attempts == 0


def test_fill_halfway_come_back_finish(thursday, maria):
    intake.reconcile_intake(now=MONDAY)
    packet = IntakePacket.objects.get()
    c, token = _portal(packet)
    _unlock(c, token)
    phq = packet.forms.get(questionnaire__slug="massage-screening")
    page = c.get(f"/records/portal/{token}/forms/{phq.pk}/")
    assert page.status_code == 200 and b"Page 1 of" in page.content
    # A wrong answer type: the page is refused with the question named, nothing saved on it.
    from plexus.records.selectors import form_of

    form = form_of(phq.questionnaire)
    first = form.sections[0]
    bool_item = next(i for i in first.items if str(i.type) == "boolean")
    r = c.post(f"/records/portal/{token}/forms/{phq.pk}/{first.link_id}/", {f"a:{bool_item.link_id}": "maybe",
                                                                            "go": "next"})
    assert r.status_code == 422 and b"Please check the questions marked below" in r.content
    phq.refresh_from_db()
    assert phq.response.pages_saved == []
    # Stop halfway ("finish later"), come back with the same link in a new browser session.
    r = c.post(f"/records/portal/{token}/forms/{phq.pk}/{first.link_id}/", {f"a:{bool_item.link_id}": "no",
                                                                            "go": "later"})
    assert r.status_code == 302 and r["Location"].endswith("?sent=saved")
    packet.refresh_from_db()
    assert packet.status == PacketStatus.IN_PROGRESS
    again = Client()
    assert again.get(f"/records/portal/{token}/forms/{phq.pk}/").status_code == 302  # asks the DOB again
    _unlock(again, token)
    resumed = again.get(f"/records/portal/{token}/forms/{phq.pk}/{first.link_id}/")
    assert b'value="no" checked' in resumed.content


def test_completing_every_form_completes_the_packet_and_second_submission_changes_nothing(thursday, maria):
    from plexus.records import services
    from plexus.records.sample_answers import fill_all

    intake.reconcile_intake(now=MONDAY)
    packet = IntakePacket.objects.get()
    fill_all(packet)
    intake.refresh_status(packet, MONDAY)
    packet.refresh_from_db()
    assert packet.status == PacketStatus.COMPLETE
    c, token = _portal(packet)
    _unlock(c, token)
    home = c.get(f"/records/portal/{token}/")
    assert b"All done" in home.content
    pf = packet.forms.first()
    r = c.get(f"/records/portal/{token}/forms/{pf.pk}/")
    assert r.status_code == 302 and r["Location"].endswith("?sent=already")
    before = pf.response.answers
    with pytest.raises(ApplicationError) as exc:
        services.response_complete(actor=portal.PORTAL, response=pf.response)
    assert exc.value.status == 409
    pf.response.refresh_from_db()
    assert pf.response.answers == before


def test_review_checklist_sign_off_and_ready(thursday, maria, users):
    from plexus.records.sample_answers import fill_all

    intake.reconcile_intake(now=MONDAY)
    packet = IntakePacket.objects.get()
    fill_all(packet)
    li = Practitioner.objects.get(last_name="Li")
    li.user = users["practitioner"]
    li.save(update_fields=["user"])
    day = THURSDAY - timedelta(hours=10)
    visits = review.day_reviews(li, day, day + timedelta(days=1))
    assert len(visits) == 1 and not visits[0].ready
    titles = [i.title for i in visits[0].items]
    assert any("Acupuncture intake" in t for t in titles) and not any("Massage" in t for t in titles)
    actor = Actor(user=users["practitioner"])
    for item in visits[0].pending:
        review.sign_off(actor=actor, item_kind=item.kind, item_id=item.item_id)
    assert review.day_reviews(li, day, day + timedelta(days=1))[0].ready
    with pytest.raises(ApplicationError) as exc:
        review.sign_off(actor=actor, item_kind=visits[0].items[0].kind, item_id=visits[0].items[0].item_id)
    assert exc.value.status == 409
    with pytest.raises(ApplicationError) as exc:
        review.sign_off(actor=actor, item_kind="gossip", item_id=1)
    assert exc.value.errors[0].field == "item_kind"
    assert review.ready_blocks([thursday.pk]) == {thursday.pk: False}  # Chen and Ortiz have not read theirs
    feld = Practitioner.objects.get(last_name="Feld")
    feld.user = users["admin"]  # any login; Feld has no visit with Maria
    feld.save(update_fields=["user"])
    with pytest.raises(ApplicationError) as exc:
        review.sign_off(actor=Actor(user=users["admin"]), item_kind="response",
                        item_id=visits[0].items[0].item_id)
    assert exc.value.status == 403
    assert ReviewSignoff.objects.filter(practitioner=li).count() == len(visits[0].items)


def test_staff_screens_and_api(thursday, maria, client_for):
    desk = client_for("front_desk")
    r = desk.post(f"/api/records/patients/{maria.pk}/intake")
    assert r.status_code == 200 and r.json()["status"] == "sent"
    assert desk.get("/api/records/intake").json()["items"][0]["patient_id"] == maria.pk
    board = desk.get("/records/intake/")
    assert board.status_code == 200 and b"Maria Lopez" in board.content
    packet = IntakePacket.objects.get()
    r = desk.post(f"/api/records/intake/{packet.pk}/send", data='{"new_link": true}', content_type="application/json")
    assert r.status_code == 200
    packet.refresh_from_db()
    assert packet.link_version == 2
    assert desk.get(f"/records/patients/{maria.pk}/intake/").status_code == 200
    assert desk.get("/records/review/").status_code == 403  # clinical
    doc = client_for("practitioner")
    assert doc.get("/records/review/?date=2026-11-26").status_code == 200
    assert doc.get("/api/records/review?day=2026-11-26").status_code == 403  # no practitioner record linked
    assert signing.loads(intake.token_for(packet), salt=intake.SALT)["v"] == 2


def test_day_readiness_panel(thursday, maria, client_for, users):
    from plexus.records.sample_answers import fill_all

    intake.reconcile_intake(now=MONDAY)
    desk = client_for("front_desk")
    r = desk.get(f"/records/readiness/?date=2026-11-26&location={thursday.location_id}")
    assert r.status_code == 200 and b"Maria Lopez" in r.content and b"Sent" in r.content
    assert b"Ready" in r.content  # nothing to review yet
    fill_all(IntakePacket.objects.get())
    intake.refresh_status(IntakePacket.objects.get(), MONDAY)
    r = desk.get(f"/records/readiness/?date=2026-11-26&location={thursday.location_id}")
    assert b"Complete" in r.content and b"Reviews pending" in r.content and b"09:00" in r.content
    assert b"Acupuncture intake" not in r.content  # statuses only
    day = client_for("front_desk").get("/schedule/?date=2026-11-26")
    assert b"/records/readiness/" in day.content


def test_reminder_email_carries_the_intake_link_while_the_packet_is_open(thursday, maria):
    from plexus.scheduling.reminders import compose_context

    appts = list(thursday.appointments.select_related("service", "practitioner__discipline", "room", "location"))
    assert "intake forms" not in compose_context(thursday, appts, "en", None)["preparation"]
    intake.reconcile_intake(now=MONDAY)
    prep = compose_context(thursday, appts, "en", None)["preparation"]
    assert "Please complete your intake forms before the visit:" in prep and "/records/portal/" in prep
    assert "Complete sus formularios" in compose_context(thursday, appts, "es", None)["preparation"]


def test_portal_upload_is_checked_by_content_and_filed(thursday, maria, tmp_path, monkeypatch):
    from django.core.files.storage import FileSystemStorage

    from plexus.records.models import Document
    from plexus.records.tests.docs_helpers import EXE, PNG, upload

    monkeypatch.setattr(Document._meta.get_field("file"), "storage", FileSystemStorage(location=tmp_path))
    intake.reconcile_intake(now=MONDAY)
    packet = IntakePacket.objects.get()
    c, token = _portal(packet)
    assert c.post(f"/records/portal/{token}/upload/", {"doc_type": "insurance_card_front",
                                                       "file": upload("card.png", PNG, "image/png")}).status_code == 302
    _unlock(c, token)
    r = c.post(f"/records/portal/{token}/upload/", {"doc_type": "insurance_card_front",
                                                    "file": upload("card.png", EXE, "image/png")})
    assert r.status_code == 422 and not Document.objects.exists()  # bytes that lie: refused, nothing stored
    r = c.post(f"/records/portal/{token}/upload/", {"doc_type": "lab_result", "file": upload("card.png", PNG, "image/png")})
    assert r.status_code == 422 and not Document.objects.exists()  # only the portal's own types
    r = c.post(f"/records/portal/{token}/upload/", {"doc_type": "insurance_card_front",
                                                    "file": upload("card.png", PNG, "image/png")})
    assert r.status_code == 302 and r["Location"].endswith("?sent=upload")
    doc = Document.objects.get()
    assert doc.patient_id == maria.pk and doc.doc_type == "insurance_card_front" and doc.source == "patient portal"
    assert b"Insurance card, front" in c.get(f"/records/portal/{token}/").content
