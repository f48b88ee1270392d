"""Service tests: routing, acknowledgement, edits and corrections, escalation, privacy."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine
from hypothesis import given, settings
from hypothesis import strategies as st

from plexus.care import sla, updates
from plexus.care.access import readable_update_ids, sees_patient_content
from plexus.care.models import ClinicalUpdate, EventType, RoutingRule, UpdateRecipient, Urgency
from plexus.care.selectors import coordination_measures, inbox
from plexus.care.tests.conftest import NOW, actor_for
from plexus.core.audit import Actor
from plexus.core.errors import ApplicationError
from plexus.core.models import AuditEvent

pytestmark = pytest.mark.django_db

PORTLAND = ZoneInfo("America/Los_Angeles")


def _med_change(care_team, patient, **kw):
    return updates.update_record(actor=actor_for(care_team["chen"]), patient=patient,
                                 event_type=kw.pop("event_type", EventType.MEDICATION_STARTED),
                                 summary=kw.pop("summary", "Started gabapentin 300 mg at night"),
                                 detail=kw.pop("detail", "For neuropathic back pain; watch for drowsiness."), **kw)


def test_medication_change_goes_to_acupuncture_and_massage_not_coach_or_author(care_team, patient):
    update = _med_change(care_team, patient)
    got = {r.practitioner.last_name: r.reason for r in update.recipients.select_related("practitioner")}
    assert got == {"Li": "licensed acupuncturist", "Ortiz": "massage therapist"}
    assert update.urgency == Urgency.ROUTINE
    # Routine: 2 business days in Portland, same local time (Wed 10:00 -> Fri 10:00).
    assert update.due_at.astimezone(PORTLAND) == datetime(2026, 11, 27, 10, 0, tzinfo=PORTLAND)


def test_adherence_barrier_goes_to_lead_physician(care_team, patient):
    update = updates.update_record(actor=actor_for(care_team["dunn"]), patient=patient,
                                   event_type=EventType.ADHERENCE_BARRIER, summary="Cannot afford supplements")
    assert [r.practitioner.last_name for r in update.recipients.all()] == ["Chen"]
    assert update.recipients.get().reason == "lead physician"


def test_red_flag_goes_to_everyone_urgent_even_if_author_says_routine(care_team, patient):
    update = updates.update_record(actor=actor_for(care_team["li"]), patient=patient, event_type=EventType.RED_FLAG,
                                   summary="New numbness in left foot", urgency=Urgency.ROUTINE)
    assert update.urgency == Urgency.URGENT
    assert sorted(r.practitioner.last_name for r in update.recipients.all()) == ["Chen", "Dunn", "Ortiz"]
    assert update.due_at == NOW + timedelta(hours=4)


def test_routing_to_someone_not_on_the_team_is_refused_and_saves_nothing(care_team, patient):
    feld = care_team["feld"]
    with pytest.raises(ApplicationError) as exc:
        _med_change(care_team, patient, recipients=[feld.pk])
    assert exc.value.status == 422 and exc.value.errors[0].field == "recipients[0]"
    assert "not on this patient's care team" in exc.value.errors[0].message
    assert not ClinicalUpdate.objects.exists() and not UpdateRecipient.objects.exists()


def test_naming_a_team_member_adds_them(care_team, patient):
    update = _med_change(care_team, patient, recipients=[care_team["dunn"].pk])
    assert {r.practitioner.last_name: r.reason for r in update.recipients.all()}["Dunn"] == "named by the author"


def test_author_not_on_team_is_refused(care_team, patient):
    with pytest.raises(ApplicationError) as exc:
        updates.update_record(actor=actor_for(care_team["feld"]), patient=patient,
                              event_type=EventType.ALLERGY, summary="Penicillin allergy")
    assert exc.value.status == 403
    assert not ClinicalUpdate.objects.exists()


def test_no_recipient_is_a_clear_error(care_team, patient):
    # Only the lead is told of adherence barriers; the lead reporting one tells no one.
    with pytest.raises(ApplicationError) as exc:
        updates.update_record(actor=actor_for(care_team["chen"]), patient=patient,
                              event_type=EventType.ADHERENCE_BARRIER, summary="Skipped doses")
    assert exc.value.errors[0].field == "event_type"
    assert not ClinicalUpdate.objects.exists()


@pytest.mark.parametrize("field,kwargs", [
    ("summary", {"summary": ""}),
    ("summary", {"summary": "x" * 201}),
    ("event_type", {"event_type": "gossip"}),
    ("urgency", {"urgency": "whenever"}),
])
def test_bad_input_names_the_field(care_team, patient, field, kwargs):
    with pytest.raises(ApplicationError) as exc:
        _med_change(care_team, patient, **kwargs)
    assert exc.value.errors[0].field == field
    assert not ClinicalUpdate.objects.exists()


def test_acknowledge_own_only_once_and_not_someone_elses(care_team, patient):
    update = _med_change(care_team, patient)
    with pytest.raises(ApplicationError) as exc:
        updates.acknowledge(actor=actor_for(care_team["dunn"]), update_id=update.pk)
    assert exc.value.status == 403
    rec = updates.acknowledge(actor=actor_for(care_team["li"]), update_id=update.pk, reply="Will adjust needling.")
    assert rec.acknowledged_at == NOW and rec.reply == "Will adjust needling."
    with pytest.raises(ApplicationError) as exc:
        updates.acknowledge(actor=actor_for(care_team["li"]), update_id=update.pk)
    assert exc.value.status == 409
    assert UpdateRecipient.objects.filter(acknowledged_at__isnull=False).count() == 1


def test_staff_user_cannot_acknowledge(care_team, patient, users):
    update = _med_change(care_team, patient)
    with pytest.raises(ApplicationError) as exc:
        updates.acknowledge(actor=Actor(user=users["admin"]), update_id=update.pk)
    assert exc.value.status == 403


def test_edit_before_acknowledgement_then_refused_after(care_team, patient):
    update = _med_change(care_team, patient)
    updates.update_edit(actor=actor_for(care_team["chen"]), update_id=update.pk, summary="Started gabapentin 100 mg")
    update.refresh_from_db()
    assert update.summary == "Started gabapentin 100 mg"
    with pytest.raises(ApplicationError) as exc:
        updates.update_edit(actor=actor_for(care_team["li"]), update_id=update.pk, summary="not mine")
    assert exc.value.status == 403
    updates.acknowledge(actor=actor_for(care_team["li"]), update_id=update.pk)
    with pytest.raises(ApplicationError) as exc:
        updates.update_edit(actor=actor_for(care_team["chen"]), update_id=update.pk, summary="changed again")
    assert exc.value.status == 409 and "correction" in exc.value.detail
    update.refresh_from_db()
    assert update.summary == "Started gabapentin 100 mg"


def test_correction_is_a_new_version_routed_again(care_team, patient):
    first = _med_change(care_team, patient)
    updates.acknowledge(actor=actor_for(care_team["li"]), update_id=first.pk)
    second = updates.update_correct(actor=actor_for(care_team["chen"]), update_id=first.pk,
                                    summary="Started gabapentin 100 mg (not 300)")
    first.refresh_from_db()
    assert second.version == 2 and second.supersedes == first and second.root == first
    assert first.superseded_at == NOW
    assert {r.practitioner.last_name for r in second.recipients.all()} == {"Li", "Ortiz"}
    assert not second.recipients.filter(acknowledged_at__isnull=False).exists()
    # The superseded version can be neither acknowledged nor corrected again.
    with pytest.raises(ApplicationError) as exc:
        updates.acknowledge(actor=actor_for(care_team["ortiz"]), update_id=first.pk)
    assert exc.value.status == 409
    with pytest.raises(ApplicationError):
        updates.update_correct(actor=actor_for(care_team["chen"]), update_id=first.pk, summary="again")
    third = updates.update_correct(actor=actor_for(care_team["li"]), update_id=second.pk, summary="Gabapentin 100 mg qhs")
    assert third.version == 3 and third.root == first


def test_escalation_staff_flag_then_lead(care_team, patient):
    update = _med_change(care_team, patient)
    updates.acknowledge(actor=actor_for(care_team["li"]), update_id=update.pk)
    assert updates.reconcile_escalations(now=NOW) == 0
    due = update.due_at
    assert updates.reconcile_escalations(now=due - timedelta(seconds=1)) == 0
    assert updates.reconcile_escalations(now=due) == 1
    ortiz = UpdateRecipient.objects.get(update=update, practitioner=care_team["ortiz"])
    assert ortiz.escalation_level == 1 and ortiz.escalated_at == due
    assert updates.reconcile_escalations(now=due + timedelta(hours=1)) == 0  # idempotent
    lead_at = sla.lead_escalation_at(due, update.urgency)
    assert lead_at.astimezone(PORTLAND) == datetime(2026, 11, 30, 10, 0, tzinfo=PORTLAND)  # Fri -> Mon
    assert updates.reconcile_escalations(now=lead_at) == 1
    ortiz.refresh_from_db()
    assert ortiz.escalation_level == 2
    with time_machine.travel(lead_at, tick=False):
        box = inbox(care_team["chen"].user)
    assert [v.update.pk for v in box.escalated_to_me] == [update.pk]
    # The acknowledged recipient was never escalated.
    assert UpdateRecipient.objects.get(update=update, practitioner=care_team["li"]).escalation_level == 0


def test_urgent_escalates_after_four_hours(care_team, patient):
    update = updates.update_record(actor=actor_for(care_team["li"]), patient=patient, event_type=EventType.RED_FLAG,
                                   summary="Chest pain during session")
    assert updates.reconcile_escalations(now=NOW + timedelta(hours=4)) == 3
    assert updates.reconcile_escalations(now=NOW + timedelta(hours=8)) == 3
    assert set(update.recipients.values_list("escalation_level", flat=True)) == {2}


def test_privacy_virtual_assistant_and_off_team_clinician_see_no_content(care_team, patient, users):
    update = _med_change(care_team, patient)
    assert readable_update_ids(care_team["li"].user, [update]) == {update.pk}
    assert readable_update_ids(care_team["feld"].user, [update]) == set()
    assert readable_update_ids(users["virtual_assistant"], [update]) == set()
    assert readable_update_ids(users["admin"], [update]) == set()
    assert sees_patient_content(care_team["dunn"].user, patient.pk)
    assert not sees_patient_content(users["front_desk"], patient.pk)


def test_rule_update_validates_and_routes_accordingly(care_team, patient, users):
    admin = Actor(user=users["admin"])
    with pytest.raises(ApplicationError) as exc:
        updates.rule_update(actor=admin, event_type=EventType.ALLERGY, disciplines=[], include_lead=False,
                            urgency=Urgency.ROUTINE)
    assert exc.value.errors[0].field == "disciplines" and "no one" in exc.value.errors[0].message
    with pytest.raises(ApplicationError) as exc:
        updates.rule_update(actor=admin, event_type=EventType.ALLERGY, disciplines=["astrology"], include_lead=False,
                            urgency=Urgency.ROUTINE)
    assert exc.value.errors[0].field == "disciplines"
    assert RoutingRule.objects.get(event_type=EventType.ALLERGY).disciplines == ["*"]
    updates.rule_update(actor=admin, event_type=EventType.ALLERGY, disciplines=["lmt"], include_lead=False,
                        urgency=Urgency.URGENT)
    update = updates.update_record(actor=actor_for(care_team["li"]), patient=patient, event_type=EventType.ALLERGY,
                                   summary="Allergic to arnica")
    assert [r.practitioner.last_name for r in update.recipients.all()] == ["Ortiz"]
    assert update.urgency == Urgency.URGENT


def test_measures_median_and_share_within_sla(care_team, patient):
    a = _med_change(care_team, patient)
    with time_machine.travel(NOW + timedelta(hours=2), tick=False):
        updates.acknowledge(actor=actor_for(care_team["li"]), update_id=a.pk)
    with time_machine.travel(NOW + timedelta(days=6), tick=False):
        updates.acknowledge(actor=actor_for(care_team["ortiz"]), update_id=a.pk)
    m = coordination_measures(since=NOW - timedelta(days=1), until=NOW + timedelta(days=7))
    by = {d.discipline: d for d in m["by_discipline"]}
    assert by["Licensed acupuncturist"].median_hours == 2.0 and by["Licensed acupuncturist"].within_sla == 1
    assert by["Massage therapist"].median_hours == 144.0 and by["Massage therapist"].within_sla == 0
    assert m["acknowledged"] == 2 and m["share_within_sla"] == 0.5 and m["pending"] == 0


def test_every_change_is_audited_without_content(care_team, patient):
    update = _med_change(care_team, patient)
    updates.acknowledge(actor=actor_for(care_team["li"]), update_id=update.pk, reply="ok")
    events = list(AuditEvent.objects.filter(object_type__startswith="care.").values_list("object_type", "detail"))
    assert ("care.update", "") in events and ("care.acknowledgement", "") in events
    assert not AuditEvent.objects.filter(detail__icontains="gabapentin").exists()


@settings(max_examples=60, deadline=None)
@given(start=st.datetimes(min_value=datetime(2026, 1, 1), max_value=datetime(2027, 12, 31)),
       days=st.integers(min_value=1, max_value=10))
def test_business_days_property(start, days):
    """Adding N business days lands on a weekday, keeps the local time, and spans N weekdays."""
    aware = start.replace(tzinfo=PORTLAND)
    aware = aware.astimezone(UTC).astimezone(PORTLAND)  # normalise nonexistent local times
    got = sla.add_business_days(aware.astimezone(UTC), days, PORTLAND).astimezone(PORTLAND)
    assert got.weekday() < 5
    assert (got.hour, got.minute) == (aware.hour, aware.minute) or aware.dst() != got.dst()
    between = [aware.date() + timedelta(days=i) for i in range(1, (got.date() - aware.date()).days + 1)]
    assert sum(1 for d in between if d.weekday() < 5) == days
