"""HTTP tests for every care API endpoint and staff screen, with the privacy rules."""

from __future__ import annotations

import json
from datetime import date, timedelta

import pytest
from django.core import mail
from fhir.resources.R4B.bundle import Bundle

from plexus.care import updates
from plexus.care.models import CareTeamMember, CheckIn, ClinicalUpdate, ConsultNote, EventType, UpdateRecipient
from plexus.care.tests.conftest import NOW, actor_for
from plexus.core.models import AuditEvent, Location
from plexus.scheduling.models import AvailabilityException

pytestmark = pytest.mark.django_db


def post_json(client, url, body, method="post"):
    return getattr(client, method)(url, data=json.dumps(body), content_type="application/json")


@pytest.fixture
def gaba(care_team, patient):
    return updates.update_record(actor=actor_for(care_team["chen"]), patient=patient,
                                 event_type=EventType.MEDICATION_STARTED, summary="Started gabapentin 300 mg",
                                 detail="Drowsiness possible.")


def test_api_record_route_acknowledge_and_see_it(care_team, patient, prac_client):
    chen, li = prac_client("chen"), prac_client("li")
    r = post_json(chen, f"/api/care/patients/{patient.pk}/updates",
                  {"event_type": "medication_started", "summary": "Started gabapentin 300 mg"})
    assert r.status_code == 201, r.content
    body = r.json()
    assert {x["practitioner"]["name"].split(",")[0] for x in body["recipients"]} == {"Wei Li", "Sam Ortiz"}
    inbox = li.get("/api/care/inbox").json()
    assert [u["id"] for u in inbox["to_acknowledge"]] == [body["id"]]
    assert inbox["to_acknowledge"][0]["summary"] == "Started gabapentin 300 mg"
    r = post_json(li, f"/api/care/updates/{body['id']}/acknowledge", {"reply": "Noted"})
    assert r.status_code == 200 and r.json()["reply"] == "Noted"
    assert li.get("/api/care/inbox").json()["to_acknowledge"] == []
    seen = chen.get(f"/api/care/updates/{body['id']}").json()
    acks = {x["practitioner"]["name"].split(",")[0]: x["acknowledged_at"] for x in seen["recipients"]}
    assert acks["Wei Li"] is not None and acks["Sam Ortiz"] is None


def test_api_bad_input_and_conflicts(care_team, patient, prac_client, gaba):
    chen, li, dunn = prac_client("chen"), prac_client("li"), prac_client("dunn")
    r = post_json(chen, f"/api/care/patients/{patient.pk}/updates",
                  {"event_type": "allergy", "summary": "x", "recipients": [care_team["feld"].pk]})
    assert r.status_code == 422 and r.json()["errors"][0]["field"] == "recipients[0]"
    assert r["Content-Type"] == "application/problem+json"
    r = post_json(dunn, f"/api/care/updates/{gaba.pk}/acknowledge", {})
    assert r.status_code == 403
    post_json(li, f"/api/care/updates/{gaba.pk}/acknowledge", {})
    r = post_json(chen, f"/api/care/updates/{gaba.pk}", {"summary": "changed"}, method="patch")
    assert r.status_code == 409
    assert ClinicalUpdate.objects.get(pk=gaba.pk).summary == "Started gabapentin 300 mg"
    r = post_json(chen, f"/api/care/updates/{gaba.pk}/corrections", {"summary": "Started gabapentin 100 mg"})
    assert r.status_code == 201 and r.json()["version"] == 2
    r = post_json(chen, "/api/care/rules/allergy", {"disciplines": [], "include_lead": False}, method="put")
    assert r.status_code == 403  # only admins edit rules


def test_api_edit_before_ack(care_team, prac_client, gaba):
    r = post_json(prac_client("chen"), f"/api/care/updates/{gaba.pk}", {"summary": "Gabapentin 100 mg"}, method="patch")
    assert r.status_code == 200 and r.json()["summary"] == "Gabapentin 100 mg"


def test_virtual_assistant_sees_status_not_content_and_reads_are_audited(care_team, patient, client_for, gaba):
    va = client_for("virtual_assistant")
    items = va.get(f"/api/care/patients/{patient.pk}/updates").json()["items"]
    assert items[0]["content_hidden"] is True and "summary" not in items[0]
    assert items[0]["status"] == "open" and len(items[0]["recipients"]) == 2
    assert "reply" not in items[0]["recipients"][0]
    page = va.get(f"/care/patients/{patient.pk}/")
    assert page.status_code == 200 and b"gabapentin" not in page.content and b"Content visible to clinicians" in page.content
    before = AuditEvent.objects.filter(object_type="care.update", action="read").count()
    li = va  # reuse name for clarity below
    del li
    from django.test import Client

    c = Client()
    c.force_login(care_team["li"].user)
    assert b"gabapentin" in c.get(f"/care/patients/{patient.pk}/").content
    assert AuditEvent.objects.filter(object_type="care.update", action="read").count() == before + 1


def test_off_team_clinician_sees_no_content(care_team, patient, prac_client, gaba):
    r = prac_client("feld").get(f"/api/care/updates/{gaba.pk}")
    assert r.status_code == 200 and r.json()["content_hidden"] is True


def test_api_team_plan_rules_settings(care_team, patient, prac_client, client_for):
    fd, admin, chen = client_for("front_desk"), client_for("admin"), prac_client("chen")
    team = fd.get(f"/api/care/patients/{patient.pk}/team").json()
    assert next(m["role"] for m in team["members"]) == "lead_physician"
    r = post_json(fd, f"/api/care/patients/{patient.pk}/team", {"practitioner_id": care_team["feld"].pk})
    assert r.status_code == 201
    r = post_json(fd, f"/api/care/patients/{patient.pk}/team", {"practitioner_id": care_team["li"].pk,
                                                                 "role": "lead_physician"})
    assert r.status_code == 422 and r.json()["errors"][0]["field"] == "role"
    assert fd.delete(f"/api/care/patients/{patient.pk}/team/{care_team['feld'].pk}").status_code == 204
    assert not CareTeamMember.objects.get(practitioner=care_team["feld"]).is_active
    r = post_json(chen, f"/api/care/patients/{patient.pk}/plan",
                  {"goals": [{"discipline": "lac", "goal": "Pain below 3/10", "interventions": ["weekly"]}]})
    assert r.status_code == 201 and r.json()["version"] == 1
    r = post_json(chen, f"/api/care/patients/{patient.pk}/plan", {"goals": [{"discipline": "zz", "goal": ""}]})
    assert r.status_code == 422 and {e["field"] for e in r.json()["errors"]} == {"goals[0].discipline",
                                                                                "goals[0].goal"}
    assert fd.get(f"/api/care/patients/{patient.pk}/plan").json()["content_hidden"] is True
    assert chen.get(f"/api/care/patients/{patient.pk}/plan").json()["goals"][0]["goal"] == "Pain below 3/10"
    rules = admin.get("/api/care/rules").json()["items"]
    assert len(rules) == len(EventType.values)
    r = post_json(admin, "/api/care/rules/allergy", {"disciplines": [], "include_lead": False}, method="put")
    assert r.status_code == 422
    r = post_json(admin, "/api/care/rules/allergy", {"disciplines": ["lmt"], "urgency": "urgent"}, method="put")
    assert r.status_code == 200 and r.json()["disciplines"] == ["lmt"]
    r = post_json(admin, "/api/care/settings", {"urgent_ack_hours": 0, "routine_ack_business_days": 2}, method="put")
    assert r.status_code == 422 and r.json()["errors"][0]["field"] == "urgent_ack_hours"
    r = post_json(admin, "/api/care/settings", {"urgent_ack_hours": 2, "routine_ack_business_days": 1}, method="put")
    assert r.json()["urgent_ack_hours"] == 2
    assert fd.get("/api/care/settings").json()["routine_ack_business_days"] == 1


def test_api_consult_note_receipt_and_review(care_team, patient, client_for, prac_client, django_capture_on_commit_callbacks):
    fd = client_for("front_desk")
    body = {"kind": "external", "source_name": "Dr. Alvarez, Neurology", "received_on": "2026-11-24",
            "responsible_id": care_team["chen"].pk, "summary": "No radiculopathy.",
            "source_email": "neuro@example.com"}
    with django_capture_on_commit_callbacks(execute=True):
        r = post_json(fd, f"/api/care/patients/{patient.pk}/consults", body)
    assert r.status_code == 201, r.content
    note = r.json()
    assert note["content_hidden"] is True
    assert len(mail.outbox) == 1 and mail.outbox[0].to == ["neuro@example.com"]
    assert "Lopez" not in mail.outbox[0].body and "radiculopathy" not in mail.outbox[0].body
    assert ConsultNote.objects.get().receipt_sent_at == NOW
    bad = post_json(fd, f"/api/care/patients/{patient.pk}/consults",
                    {**body, "responsible_id": care_team["feld"].pk, "source_email": "nope", "received_on": "2026-12-30"})
    assert bad.status_code == 422
    assert {e["field"] for e in bad.json()["errors"]} == {"responsible_id", "source_email", "received_on"}
    assert post_json(prac_client("li"), f"/api/care/consults/{note['id']}/review", {}).status_code == 403
    r = post_json(prac_client("chen"), f"/api/care/consults/{note['id']}/review", {})
    assert r.status_code == 200 and r.json()["reviewed_at"] is not None
    assert prac_client("chen").get(f"/api/care/patients/{patient.pk}/consults").json()["items"][0]["summary"]


def test_checkin_find_book_minutes_cancel(care_team, prac_client, client_for, patient):
    fd, chen = client_for("front_desk"), prac_client("chen")
    ids = [care_team[k].pk for k in ("chen", "li", "ortiz")]
    r = post_json(fd, "/api/care/checkins/search", {"member_ids": ids, "duration_minutes": 30,
                                                    "start": "2026-11-30", "end": "2026-12-04"})
    assert r.status_code == 200, r.content
    options = r.json()["options"]
    assert options, "three Portland practitioners share some hours in a work week"
    first = options[0]
    r = post_json(fd, "/api/care/checkins", {"title": "Back pain", "member_ids": ids, "start": first["start"],
                                             "duration_minutes": 30, "location_id": first["location_id"],
                                             "patient_ids": [patient.pk]})
    assert r.status_code == 201, r.content
    cid = r.json()["id"]
    assert AvailabilityException.objects.filter(reason__startswith="Care-team check-in").count() == 3
    # The same time is no longer offered, and booking it again is a clean 409.
    again = post_json(fd, "/api/care/checkins/search", {"member_ids": ids, "duration_minutes": 30,
                                                        "start": "2026-11-30", "end": "2026-12-04"}).json()["options"]
    assert first["start"] not in [o["start"] for o in again]
    r = post_json(fd, "/api/care/checkins", {"title": "Dup", "member_ids": ids, "start": first["start"],
                                             "location_id": first["location_id"]})
    assert r.status_code == 409 and r.json()["errors"][0]["field"] == "member_ids"
    assert CheckIn.objects.count() == 1
    r = post_json(chen, f"/api/care/checkins/{cid}/minutes",
                  {"minutes": "Agreed plan.", "actions": [{"text": "Call Maria", "owner_id": care_team["feld"].pk}]})
    assert r.status_code == 422 and r.json()["errors"][0]["field"] == "actions[0].owner_id"
    r = post_json(chen, f"/api/care/checkins/{cid}/minutes",
                  {"minutes": "Agreed plan.", "actions": [{"text": "Call Maria", "owner_id": care_team["li"].pk,
                                                           "due_on": "2026-12-10"}]})
    assert r.status_code == 200 and r.json()["status"] == "held"
    assert chen.get(f"/api/care/checkins/{cid}").json()["minutes"] == "Agreed plan."
    assert fd.get(f"/api/care/checkins/{cid}").json()["content_hidden"] is True
    assert post_json(fd, f"/api/care/checkins/{cid}/cancel", {}).status_code == 409  # already held
    r = post_json(fd, "/api/care/checkins/search", {"member_ids": [ids[0]], "start": "2026-11-30",
                                                    "end": "2026-11-20"})
    assert r.status_code == 422


def test_checkin_cancel_frees_calendars(care_team, client_for):
    fd = client_for("front_desk")
    ids = [care_team[k].pk for k in ("chen", "li")]
    opt = post_json(fd, "/api/care/checkins/search", {"member_ids": ids, "start": "2026-11-30",
                                                      "end": "2026-12-02"}).json()["options"][0]
    cid = post_json(fd, "/api/care/checkins", {"title": "Sync", "member_ids": ids, "start": opt["start"],
                                               "location_id": opt["location_id"]}).json()["id"]
    assert post_json(fd, f"/api/care/checkins/{cid}/cancel", {}).json()["status"] == "cancelled"
    assert not AvailabilityException.objects.exists()
    assert fd.get("/api/care/checkins").status_code == 200


def test_escalations_measures_and_fhir(care_team, patient, prac_client, client_for, gaba):
    updates.acknowledge(actor=actor_for(care_team["li"]), update_id=gaba.pk, reply="ok")
    updates.reconcile_escalations(now=gaba.due_at)
    va = client_for("virtual_assistant")
    items = va.get("/api/care/escalations").json()["items"]
    assert [(i["update_id"], i["practitioner"]["name"].split(",")[0]) for i in items] == [(gaba.pk, "Sam Ortiz")]
    page = va.get("/care/escalations/")
    assert page.status_code == 200 and b"Sam Ortiz" in page.content and b"gabapentin" not in page.content
    m = va.get("/api/care/measures").json()
    assert m["acknowledged"] == 1 and m["by_discipline"][0]["discipline"] == "Licensed acupuncturist"
    assert va.get("/care/measures/").status_code == 200
    bundle = prac_client("chen").get(f"/api/care/patients/{patient.pk}/fhir").json()
    parsed = Bundle.model_validate(bundle)  # the independent FHIR R4B oracle
    kinds = [e.resource.get_resource_type() for e in parsed.entry]
    assert kinds.count("CareTeam") == 1 and kinds.count("Communication") == 2  # the update and Li's ack
    assert prac_client("feld").get(f"/api/care/patients/{patient.pk}/fhir").status_code == 403
    assert UpdateRecipient.objects.filter(escalation_level=1).count() == 1


def test_screens_render_and_act(care_team, patient, prac_client, client_for, gaba):
    chen, li, fd, admin = prac_client("chen"), prac_client("li"), client_for("front_desk"), client_for("admin")
    assert b"Started gabapentin" in li.get("/care/inbox/").content
    r = li.post(f"/care/updates/{gaba.pk}/acknowledge/", {"reply": "Thanks"}, HTTP_HX_REQUEST="true")
    assert r.status_code == 200 and b"Acknowledged" in r.content
    assert li.post(f"/care/updates/{gaba.pk}/acknowledge/", {}, HTTP_HX_REQUEST="true").status_code == 409
    assert li.get("/care/my-day/?date=2026-11-26").status_code == 200
    r = chen.post(f"/care/patients/{patient.pk}/updates/new/", {"event_type": "allergy", "summary": ""})
    assert r.status_code == 422 and b"summary" in r.content and b"Nothing was changed" in r.content
    r = chen.post(f"/care/patients/{patient.pk}/updates/new/", {"event_type": "allergy", "summary": "Latex allergy"})
    assert r.status_code == 200 and b"Update recorded and sent to" in r.content
    r = chen.post(f"/care/updates/{gaba.pk}/correct/", {"summary": "Gabapentin 100 mg"})
    assert r.status_code == 200 and b"version 2" in r.content
    r = chen.post(f"/care/patients/{patient.pk}/plan/", {"discipline": ["lac"], "goal": ["Sleep through"],
                                                         "interventions": ["acupuncture; sleep hygiene"]})
    assert r.status_code == 200 and b"version 1" in r.content
    r = fd.post(f"/care/patients/{patient.pk}/team/add/", {"practitioner_id": care_team["okafor"].pk})
    assert r.status_code == 200 and b"Okafor" in r.content
    r = fd.post(f"/care/patients/{patient.pk}/team/{care_team['okafor'].pk}/remove/")
    assert r.status_code == 200 and b"is off the care team" in r.content
    r = fd.post(f"/care/patients/{patient.pk}/consults/new/", {
        "kind": "internal", "source_name": "Dr. Webb", "received_on": "2026-11-25",
        "responsible_id": care_team["chen"].pk, "summary": "Agrees."})
    assert r.status_code == 200 and b"logged for" in r.content
    note = ConsultNote.objects.get()
    assert chen.post(f"/care/consults/{note.pk}/review/").status_code == 302  # from the inbox: back to it
    assert ConsultNote.objects.get().reviewed_at is not None
    assert admin.get("/care/rules/").status_code == 200
    r = admin.post("/care/rules/", {"event_type": "allergy", "urgency": "routine"})
    assert r.status_code == 422 and b"routes to no one" in r.content
    assert fd.post("/care/rules/", {"event_type": "allergy", "disciplines": ["*"], "urgency": "routine"}).status_code == 403
    r = admin.post("/care/rules/", {"action": "settings", "urgent_ack_hours": "0", "routine_ack_business_days": "x",
                                    "survey_after_visits": "3"})
    assert r.status_code == 422 and b"urgent_ack_hours" in r.content and b"routine_ack_business_days" in r.content
    r = admin.post("/care/rules/", {"action": "settings", "urgent_ack_hours": "6", "routine_ack_business_days": "3",
                                    "survey_after_visits": "4"})
    assert r.status_code == 200 and b"Settings saved" in r.content
    from plexus.care.sla import care_settings
    assert (care_settings().urgent_ack_hours, care_settings().survey_after_visits) == (6, 4)
    assert fd.get("/care/checkins/").status_code == 200
    ids = [str(care_team[k].pk) for k in ("chen", "li")]
    r = fd.post("/care/checkins/search/", {"member_ids": ids, "duration_minutes": "30", "start": "2026-11-30",
                                           "end": "2026-12-02", "title": "Sync"})
    assert r.status_code == 200 and b"Book" in r.content
    loc = Location.objects.order_by("pk").first()
    r = fd.post("/care/checkins/search/", {"member_ids": ids[:1], "start": "2026-11-30", "end": "2026-12-02"})
    assert r.status_code == 422 and b"member_ids" in r.content
    opt = post_json(fd, "/api/care/checkins/search", {"member_ids": [int(i) for i in ids], "start": "2026-11-30",
                                                      "end": "2026-12-02", "location_id": loc.pk}).json()["options"][0]
    r = fd.post("/care/checkins/book/", {"member_ids": ids, "start": opt["start"], "duration_minutes": "30",
                                         "location_id": str(loc.pk), "title": "Sync", "patient_ids": [str(patient.pk)]})
    assert r.status_code == 302
    c = CheckIn.objects.get()
    assert b"Sync" in fd.get(f"/care/checkins/{c.pk}/").content
    r = chen.post(f"/care/checkins/{c.pk}/", {"minutes": "Discussed.", "action_text": ["Call"],
                                              "action_owner": [str(care_team["li"].pk)], "action_due": [""]})
    assert r.status_code == 200 and b"Minutes saved" in r.content
    assert fd.get(f"/care/checkins/{c.pk + 99}/").status_code == 404


def test_chart_tab_and_nav(care_team, patient, client_for, prac_client):
    r = client_for("virtual_assistant").get(f"/patients/{patient.pk}/tab/care/")
    assert r.status_code == 200 and f"/care/patients/{patient.pk}/".encode() in r.content
    assert b"Loading care team" in r.content
    assert b"Care inbox" in prac_client("li").get("/care/inbox/").content
    assert b"Care inbox" not in client_for("front_desk").get("/care/escalations/").content


def test_survey_after_third_visit_link_answer_once(care_team, patient, client_for):
    from plexus.care import survey
    from plexus.care.models import CoordinationSurvey
    from plexus.care.tests.conftest import completed_blocks
    from plexus.messaging.models import Message
    from plexus.scheduling.models import Appointment, Status

    patient.consent_email = True
    patient.save(update_fields=["consent_email"])
    completed_blocks(patient, care_team, count=2)
    assert survey.reconcile_surveys(now=NOW) == 0
    completed_blocks(patient, care_team, count=1, offset_days=10)
    assert Appointment.objects.filter(status=Status.COMPLETED).values("block_id").distinct().count() == 3
    assert survey.reconcile_surveys(now=NOW) == 1
    assert survey.reconcile_surveys(now=NOW) == 0  # once per patient
    msg = Message.objects.get(kind="survey")
    assert "gabapentin" not in msg.body.lower() and "/care/survey/" in msg.body
    s = CoordinationSurvey.objects.get()
    token = survey.token_for(s)
    from django.test import Client

    c = Client()
    assert c.get(f"/care/survey/{token}/").status_code == 200
    r = c.post(f"/care/survey/{token}/", {"knew": "5", "repeat": "9"})
    assert r.status_code == 422 and b"Choose one answer" in r.content
    s.refresh_from_db()
    assert s.answered_at is None
    answers = {"knew": "5", "repeat": "4", "consistent": "4", "contact": "3", "overall": "5"}
    assert c.post(f"/care/survey/{token}/", answers).status_code == 200
    s.refresh_from_db()
    assert str(s.score) == "4.20" and set(s.practitioners.values_list("last_name", flat=True)) == {"Chen", "Li"}
    assert c.post(f"/care/survey/{token}/", answers).status_code == 200  # shows "already answered"
    assert c.get(f"/care/survey/{token[:-2]}xx/").status_code == 404
    res = survey.results(since=NOW - timedelta(days=1), until=NOW + timedelta(days=1))
    assert res["overall"] == s.score and {r["name"].split(",")[0] for r in res["by_practitioner"]} == {"Grace Chen",
                                                                                                      "Wei Li"}
    assert date(2026, 11, 25).strftime("%Y-%m") == res["by_month"][0]["month"]
