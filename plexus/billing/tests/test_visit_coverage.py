"""Coverage lights per visit block, limit warnings at booking, and signed waivers."""

from __future__ import annotations

import json
from datetime import date, datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest

from plexus.billing.charges import EncounterInput, encounter_record
from plexus.billing.models import Authorization, Light, Waiver, WaiverKind
from plexus.billing.services import eligibility_check_run, x12_import
from plexus.billing.tests.conftest import standards_answer
from plexus.billing.visit_coverage import block_coverage, day_coverage, waiver_record
from plexus.core.errors import ApplicationError
from plexus.core.models import Location, Payer, Practitioner, Room, Service
from plexus.patients.models import Coverage
from plexus.scheduling.models import Appointment, Status, VisitBlock

PDX = ZoneInfo("America/Los_Angeles")
DAY = date(2026, 11, 30)
ACU = "Acupuncture, initial 15 min (97810)"
MASSAGE = "Therapeutic massage 60 min (97124)"
JSON = "application/json"


def _block(patient, *services: tuple[str, str], day: date = DAY) -> VisitBlock:
    start = datetime(day.year, day.month, day.day, 9, tzinfo=PDX)
    location = Location.objects.get(name="Portland Downtown")
    block = VisitBlock.objects.create(patient=patient, location=location, start=start, end=start)
    for i, (name, prac) in enumerate(services):
        svc = Service.objects.get(name=name)
        room = Room.objects.filter(room_type=svc.room_type, location=location).first()
        end = start + timedelta(minutes=svc.duration_minutes)
        Appointment.objects.create(block=block, position=i + 1, patient=patient, service=svc,
                                   practitioner=Practitioner.objects.get(last_name=prac), room=room,
                                   location=location, start=start, end=end, practitioner_until=end, room_until=end)
        start = end
    block.end = start
    block.save()
    return block


def _answer(admin_actor, patient):
    check = eligibility_check_run(actor=admin_actor, patient=patient, coverage_id=patient.coverages.get().pk,
                                  service_types=["30", "64", "BE", "98"], service_date=DAY)
    x12_import(actor=admin_actor, text=standards_answer(check.request_x12), source_name="a.271")


def test_block_is_amber_because_massage_is_direct_pay(patient, admin_actor):
    _answer(admin_actor, patient)
    bc = block_coverage(_block(patient, (ACU, "Li"), (MASSAGE, "Ortiz")))
    acu, massage = bc.components
    assert acu.light == Light.GREEN and acu.stream == "insurance" and "Acupuncture" in acu.reasons[0]
    assert massage.light == Light.AMBER and massage.reasons == ("therapeutic massage 60 min is direct-pay",)
    assert bc.light == Light.AMBER and bc.reasons == ["therapeutic massage 60 min is direct-pay"]
    assert bc.waiver_kind == WaiverKind.DIRECT_PAY


def test_no_answer_yet_and_no_coverage_are_amber(patient, clinic):
    bc = block_coverage(_block(patient, (ACU, "Li")))
    assert bc.light == Light.AMBER and "no eligibility answer yet" in bc.reasons[0]
    patient.coverages.update(end_date=date(2026, 11, 1))
    bc = block_coverage(_block(patient, (ACU, "Li"), day=date(2026, 12, 1)))
    assert bc.coverage is None and bc.components[0].stream == "direct"


def test_used_up_authorisation_is_red_and_offers_a_waiver(patient, admin_actor, users, completed_visit):
    _answer(admin_actor, patient)
    Authorization.objects.create(patient=patient, coverage=patient.coverages.get(), number="A-7",
                                 procedure_codes=["97810"], visits_approved=1, start_date=date(2026, 11, 1),
                                 end_date=date(2026, 12, 31))
    from plexus.billing.charges import encounter_approve

    enc = encounter_record(actor=admin_actor, data=EncounterInput(completed_visit(ACU, "Li").pk, ("M54.50",),
                                                                 patient.coverages.get().pk))
    encounter_approve(actor=admin_actor, encounter=enc)
    bc = block_coverage(_block(patient, (ACU, "Li")))
    (acu,) = bc.components
    assert acu.light == Light.RED and acu.needs_waiver and "no visits left" in " ".join(acu.reasons)
    waiver = waiver_record(actor=admin_actor, appointment=acu.appointment, reason="Authorisation used up",
                           estimated_cost=Decimal("125.00"), signed_name="Maria Lopez")
    assert waiver.kind == WaiverKind.DIRECT_PAY
    after = block_coverage(bc.block)
    assert after.light == Light.GREEN and after.components[0].stream == "direct" and not after.components[0].needs_waiver
    with pytest.raises(ApplicationError) as exc:
        waiver_record(actor=admin_actor, appointment=acu.appointment, reason="again", estimated_cost=Decimal(1),
                      signed_name="x")
    assert exc.value.status == 409


def test_medicare_waiver_is_an_abn_and_makes_the_charge_direct_pay(patient, admin_actor, completed_visit):
    patient.coverages.update(payer=Payer.objects.get(payer_id="02402"))
    appt = completed_visit(ACU, "Li")
    waiver = waiver_record(actor=admin_actor, appointment=appt, reason="Not chronic low back pain",
                           estimated_cost=Decimal("75.00"), signed_name="Maria Lopez")
    assert waiver.kind == WaiverKind.ABN
    enc = encounter_record(actor=admin_actor, data=EncounterInput(appt.pk, ("M54.2",), patient.coverages.get().pk))
    assert {c.stream for c in enc.charges.all()} == {"direct"}


@pytest.mark.parametrize(("kw", "field"), [({"reason": " "}, "reason"), ({"signed_name": ""}, "signed_name"),
                                           ({"estimated_cost": Decimal("-1")}, "estimated_cost")])
def test_bad_waiver_names_the_field_and_saves_nothing(patient, admin_actor, kw, field):
    appt = _block(patient, (ACU, "Li")).appointments.get()
    base = {"reason": "limit", "estimated_cost": Decimal("10.00"), "signed_name": "Maria Lopez"}
    with pytest.raises(ApplicationError) as exc:
        waiver_record(actor=admin_actor, appointment=appt, **{**base, **kw})
    assert field in [e.field for e in exc.value.errors] and not Waiver.objects.exists()


def test_cancelled_appointment_takes_no_waiver(patient, admin_actor):
    appt = _block(patient, (ACU, "Li")).appointments.get()
    appt.status = Status.CANCELLED
    appt.save()
    with pytest.raises(ApplicationError) as exc:
        waiver_record(actor=admin_actor, appointment=appt, reason="r", estimated_cost=Decimal(1), signed_name="n")
    assert exc.value.status == 409


def test_day_coverage_lists_the_locations_blocks(patient, admin_actor):
    _answer(admin_actor, patient)
    block = _block(patient, (ACU, "Li"), (MASSAGE, "Ortiz"))
    rows = day_coverage(DAY, Location.objects.get(name="Portland Downtown"))
    assert [r.block.pk for r in rows] == [block.pk]
    assert day_coverage(DAY, Location.objects.get(name="Boulder")) == []


def test_screens_and_api(patient, admin_actor, client_for):
    _answer(admin_actor, patient)
    block = _block(patient, (ACU, "Li"), (MASSAGE, "Ortiz"))
    loc = block.location_id
    front = client_for("front_desk")
    page = front.get(f"/billing/eligibility/day/?date=2026-11-30&location={loc}")
    assert page.status_code == 200 and b"massage 60 min is direct-pay" in page.content and b"Amber" in page.content
    panel = front.get(f"/billing/blocks/{block.pk}/coverage/")
    assert panel.status_code == 200 and b"Coverage" in panel.content
    data = front.get(f"/api/billing/blocks/{block.pk}/coverage").json()
    assert data["light"] == "amber" and [c["stream"] for c in data["components"]] == ["insurance", "direct"]
    day = front.get(f"/api/billing/eligibility/day?location_id={loc}&day=2026-11-30").json()
    assert day[0]["block_id"] == block.pk
    assert front.get("/api/billing/eligibility/day?location_id=999").status_code == 422
    acu = block.appointments.get(position=1)
    bad = front.post(f"/billing/blocks/{block.pk}/coverage/", {"appointment_id": acu.pk, "reason": "x",
                                                                "estimated_cost": "10", "signed_name": ""})
    assert bad.status_code == 422 and not Waiver.objects.exists()
    resp = front.post("/api/billing/waivers", json.dumps({"appointment_id": acu.pk, "reason": "limit",
                                                          "estimated_cost": "75.00", "signed_name": "Maria Lopez"}),
                      content_type=JSON)
    assert resp.status_code == 201 and resp.json()["kind"] == "direct_pay"
    assert client_for("practitioner").get(f"/billing/blocks/{block.pk}/coverage/").status_code == 403
    assert Coverage.objects.count() == 1
