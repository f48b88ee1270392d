"""iCalendar (RFC 5545) for visit blocks and practitioners' feeds, built with the icalendar library.

UIDs are stable (one per appointment); SEQUENCE is the block's change counter; cancelled
appointments are STATUS:CANCELLED. Events carry the chart number, never the patient's name.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime

from django.utils import timezone
from icalendar import Calendar, Event

from plexus.scheduling.models import Appointment, Status, VisitBlock

PRODID = "-//Plexus//Scheduling//EN"


def _calendar(name: str) -> Calendar:
    cal = Calendar()
    cal.add("prodid", PRODID)
    cal.add("version", "2.0")
    cal.add("calscale", "GREGORIAN")
    cal.add("x-wr-calname", name)
    return cal


def appointment_uid(appt: Appointment) -> str:
    return f"appointment-{appt.pk}-{appt.block.uid}@plexus"


def _event(appt: Appointment, stamp: datetime) -> Event:
    block = appt.block
    ev = Event()
    ev.add("uid", appointment_uid(appt))
    ev.add("dtstamp", stamp)
    ev.add("dtstart", appt.start.astimezone(UTC))
    ev.add("dtend", appt.end.astimezone(UTC))
    ev.add("sequence", block.sequence)
    ev.add("summary", f"{appt.service.name} ({block.patient.chart_number})")
    ev.add("location", f"{appt.location.name}, {appt.room.name}")
    ev.add("description", f"Visit block {block.pk}, component {appt.position + 1} with {appt.practitioner}")
    ev.add("status", "CANCELLED" if appt.status == Status.CANCELLED else "CONFIRMED")
    ev.add("last-modified", block.updated_at.astimezone(UTC))
    return ev


def _render(cal: Calendar, appts: Iterable[Appointment]) -> bytes:
    stamp = timezone.now().astimezone(UTC).replace(microsecond=0)
    for appt in appts:
        cal.add_component(_event(appt, stamp))
    return cal.to_ical()


def _related(qs):
    return qs.select_related("block__patient", "service", "location", "room", "practitioner").order_by("start", "pk")


def block_ics(block: VisitBlock) -> bytes:
    """Return one VCALENDAR with a VEVENT per component of the block."""
    return _render(_calendar(f"Visit block {block.pk}"), _related(block.appointments.all()))


def practitioner_feed(practitioner, *, since: datetime) -> bytes:
    """Return the practitioner's appointments from ``since`` (cancelled ones included as CANCELLED)."""
    appts = _related(Appointment.objects.filter(practitioner=practitioner, end__gte=since))
    return _render(_calendar(f"Plexus: {practitioner}"), appts)
