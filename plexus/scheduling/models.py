"""Availability (weekly hours, exceptions, closures), visit blocks, appointments and their history.

Instants are stored in UTC; weekly hours are local wall-clock times at the location.
"""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models
from django.db.models import F, Q

from plexus.core.models import Discipline, Location, Practitioner, Room, Service
from plexus.patients.models import Patient


class WorkingHours(models.Model):
    """A practitioner's recurring local hours at one location on one weekday (0 = Monday)."""

    practitioner = models.ForeignKey(Practitioner, on_delete=models.CASCADE, related_name="working_hours")
    location = models.ForeignKey(Location, on_delete=models.CASCADE, related_name="working_hours")
    weekday = models.PositiveSmallIntegerField()
    start_time = models.TimeField()
    end_time = models.TimeField()

    class Meta:
        ordering = ["practitioner_id", "weekday", "start_time"]
        constraints = [
            models.CheckConstraint(condition=Q(start_time__lt=F("end_time")), name="hours_start_before_end"),
            models.CheckConstraint(condition=Q(weekday__lte=6), name="hours_weekday_0_6"),
        ]

    def __str__(self) -> str:
        return f"{self.practitioner} {self.weekday} {self.start_time}-{self.end_time} @ {self.location}"


class ExceptionKind(models.TextChoices):
    TIME_OFF = "time_off", "Time off"
    EXTRA = "extra", "Extra hours"


class AvailabilityException(models.Model):
    """Time off (applies at every location) or extra hours at one location, in UTC."""

    practitioner = models.ForeignKey(Practitioner, on_delete=models.CASCADE, related_name="availability_exceptions")
    location = models.ForeignKey(Location, null=True, blank=True, on_delete=models.CASCADE, related_name="+")
    kind = models.CharField(max_length=16, choices=ExceptionKind.choices)
    start = models.DateTimeField()
    end = models.DateTimeField()
    reason = models.CharField(max_length=200, blank=True)

    class Meta:
        ordering = ["start"]
        constraints = [models.CheckConstraint(condition=Q(start__lt=F("end")), name="exception_start_before_end")]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.practitioner_id} {self.start:%Y-%m-%d %H:%M}"


class Closure(models.Model):
    """A practice closure of whole local days (inclusive); no location means every location."""

    location = models.ForeignKey(Location, null=True, blank=True, on_delete=models.CASCADE, related_name="closures")
    start_date = models.DateField()
    end_date = models.DateField()
    reason = models.CharField(max_length=200, blank=True)

    class Meta:
        ordering = ["start_date"]
        constraints = [
            models.CheckConstraint(condition=Q(start_date__lte=F("end_date")), name="closure_start_before_end")
        ]

    def __str__(self) -> str:
        return f"Closed {self.start_date}–{self.end_date}"


class Status(models.TextChoices):
    BOOKED = "booked", "Booked"
    CONFIRMED = "confirmed", "Confirmed"
    ARRIVED = "arrived", "Arrived"
    IN_ROOM = "in_room", "In room"
    COMPLETED = "completed", "Completed"
    CANCELLED = "cancelled", "Cancelled"
    NO_SHOW = "no_show", "No-show"


# Statuses that hold the practitioner's and the room's time (the exclusion constraints use these).
ACTIVE = (Status.BOOKED, Status.CONFIRMED, Status.ARRIVED, Status.IN_ROOM, Status.COMPLETED)
ACTIVE_VALUES = tuple(s.value for s in ACTIVE)


class VisitBlock(models.Model):
    """One patient's visit: ordered component appointments at one location, booked as one thing."""

    uid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    patient = models.ForeignKey(Patient, on_delete=models.PROTECT, related_name="visit_blocks")
    location = models.ForeignKey(Location, on_delete=models.PROTECT, related_name="visit_blocks")
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.BOOKED)
    start = models.DateTimeField(db_index=True)
    end = models.DateTimeField()
    sequence = models.PositiveIntegerField(default=0, help_text="iCalendar SEQUENCE: bumped on every change.")
    cancel_reason = models.CharField(max_length=200, blank=True)
    late_cancel = models.BooleanField(default=False)
    note = models.CharField(max_length=300, blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    series = models.ForeignKey("VisitSeries", null=True, blank=True, on_delete=models.SET_NULL,
                               related_name="blocks")
    series_index = models.PositiveSmallIntegerField(null=True, blank=True, help_text="0-based occurrence number.")
    referral = models.ForeignKey("Referral", null=True, blank=True, on_delete=models.SET_NULL,
                                 related_name="blocks")

    class Meta:
        ordering = ["start", "id"]
        indexes = [models.Index(fields=["patient", "start"])]

    def __str__(self) -> str:
        return f"Visit block {self.pk} ({self.start:%Y-%m-%d %H:%M})"


class Appointment(models.Model):
    """One component of a visit block: service, practitioner, room, ``[start, end)`` in UTC.

    ``practitioner_until`` and ``room_until`` add the service's buffer and room turnover to ``end``:
    those are the ranges that may never overlap for active appointments.
    """

    block = models.ForeignKey(VisitBlock, on_delete=models.CASCADE, related_name="appointments")
    position = models.PositiveSmallIntegerField()
    patient = models.ForeignKey(Patient, on_delete=models.PROTECT, related_name="appointments")
    service = models.ForeignKey(Service, on_delete=models.PROTECT, related_name="+")
    practitioner = models.ForeignKey(Practitioner, on_delete=models.PROTECT, related_name="appointments")
    room = models.ForeignKey(Room, on_delete=models.PROTECT, related_name="appointments")
    location = models.ForeignKey(Location, on_delete=models.PROTECT, related_name="+")
    start = models.DateTimeField()
    end = models.DateTimeField()
    practitioner_until = models.DateTimeField()
    room_until = models.DateTimeField()
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.BOOKED)
    cancel_reason = models.CharField(max_length=200, blank=True)
    late_cancel = models.BooleanField(default=False)
    cancelled_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["start", "position"]
        indexes = [
            models.Index(fields=["practitioner", "start"]),
            models.Index(fields=["room", "start"]),
            models.Index(fields=["patient", "start"]),
            models.Index(fields=["start"]),
        ]
        constraints = [
            models.CheckConstraint(condition=Q(start__lt=F("end")), name="appointment_start_before_end"),
            models.UniqueConstraint(fields=["block", "position"], name="appointment_unique_position"),
        ]

    def __str__(self) -> str:
        return f"{self.service} with {self.practitioner} at {self.start:%Y-%m-%d %H:%M}"

    @property
    def is_active(self) -> bool:
        return self.status in ACTIVE_VALUES


class EventAction(models.TextChoices):
    BOOKED = "booked", "Booked"
    STATUS = "status", "Status changed"
    CANCELLED = "cancelled", "Cancelled"
    RESCHEDULED = "rescheduled", "Rescheduled"


class AppointmentEvent(models.Model):
    """History of a visit block: who did what, when (values kept to schedule facts, no clinical text)."""

    block = models.ForeignKey(VisitBlock, on_delete=models.CASCADE, related_name="events")
    appointment = models.ForeignKey(Appointment, null=True, blank=True, on_delete=models.CASCADE, related_name="+")
    at = models.DateTimeField()
    user = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    username = models.CharField(max_length=150)
    action = models.CharField(max_length=16, choices=EventAction.choices)
    detail = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["at", "id"]

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M} {self.username} {self.action}"


class CalendarFeed(models.Model):
    """A secret iCalendar feed URL for one practitioner; only a SHA-256 hash of the token is stored."""

    practitioner = models.ForeignKey(Practitioner, on_delete=models.CASCADE, related_name="calendar_feeds")
    token_hash = models.CharField(max_length=64, unique=True)
    prefix = models.CharField(max_length=12)
    created_at = models.DateTimeField(auto_now_add=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"Feed {self.prefix}… for {self.practitioner_id}"


class Priority(models.IntegerChoices):
    URGENT = 1, "Urgent"
    SOON = 2, "Soon"
    ROUTINE = 3, "Routine"


class ReferralStatus(models.TextChoices):
    OPEN = "open", "Open"
    SCHEDULED = "scheduled", "Scheduled"
    COMPLETED = "completed", "Completed"
    CANCELLED = "cancelled", "Cancelled"


class Referral(models.Model):
    """An internal referral (e.g. physician to acupuncture, 6 weekly sessions). Sessions booked and
    completed are derived from the linked visit blocks' appointments, never stored."""

    patient = models.ForeignKey(Patient, on_delete=models.PROTECT, related_name="referrals")
    from_practitioner = models.ForeignKey(Practitioner, on_delete=models.PROTECT, related_name="referrals_made")
    to_discipline = models.ForeignKey(Discipline, on_delete=models.PROTECT, related_name="+")
    to_practitioner = models.ForeignKey(Practitioner, null=True, blank=True, on_delete=models.PROTECT,
                                        related_name="referrals_received")
    services = models.ManyToManyField(Service, related_name="+")
    sessions_wanted = models.PositiveSmallIntegerField()
    cadence_weeks = models.PositiveSmallIntegerField(default=1, help_text="1 = weekly, 2 = every two weeks, ...")
    reason = models.CharField(max_length=500)
    icd10_codes = models.JSONField(default=list, blank=True)
    priority = models.PositiveSmallIntegerField(choices=Priority.choices, default=Priority.ROUTINE)
    status = models.CharField(max_length=16, choices=ReferralStatus.choices, default=ReferralStatus.OPEN)
    cancel_reason = models.CharField(max_length=200, blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField()

    class Meta:
        ordering = ["priority", "created_at", "id"]
        constraints = [
            models.CheckConstraint(condition=Q(sessions_wanted__gte=1), name="referral_sessions_positive"),
            models.CheckConstraint(condition=Q(cadence_weeks__gte=1), name="referral_cadence_positive"),
        ]

    def __str__(self) -> str:
        return f"Referral {self.pk} to {self.to_discipline_id} ({self.sessions_wanted} sessions)"


class SeriesStatus(models.TextChoices):
    ACTIVE = "active", "Active"
    CANCELLED = "cancelled", "Cancelled"


class VisitSeries(models.Model):
    """A recurring series: the same visit block every ``interval_weeks`` weeks, ``occurrences`` times.
    ``template`` keeps the requested components (service, practitioner, room, minutes after the first
    component's start); the booked blocks point here."""

    patient = models.ForeignKey(Patient, on_delete=models.PROTECT, related_name="visit_series")
    location = models.ForeignKey(Location, on_delete=models.PROTECT, related_name="+")
    first_start = models.DateTimeField()
    interval_weeks = models.PositiveSmallIntegerField()
    occurrences = models.PositiveSmallIntegerField()
    template = models.JSONField(default=list)
    referral = models.ForeignKey(Referral, null=True, blank=True, on_delete=models.SET_NULL, related_name="series")
    status = models.CharField(max_length=16, choices=SeriesStatus.choices, default=SeriesStatus.ACTIVE)
    cancel_reason = models.CharField(max_length=200, blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-first_start", "id"]
        verbose_name_plural = "visit series"

    def __str__(self) -> str:
        return f"Series {self.pk}: {self.occurrences} × every {self.interval_weeks} week(s)"


class TimeOfDay(models.TextChoices):
    ANY = "any", "Any time"
    MORNING = "morning", "Morning (before 12:00)"
    AFTERNOON = "afternoon", "Afternoon (12:00-17:00)"
    EVENING = "evening", "Evening (after 16:00)"


class WaitlistStatus(models.TextChoices):
    WAITING = "waiting", "Waiting"
    OFFERED = "offered", "Offered"
    BOOKED = "booked", "Booked"
    EXPIRED = "expired", "Expired"
    REMOVED = "removed", "Removed"


class WaitlistEntry(models.Model):
    """A patient waiting for an earlier visit: wanted components (services in order; allowed
    practitioners and/or disciplines, none = any qualified), a date window, preferences, priority."""

    patient = models.ForeignKey(Patient, on_delete=models.PROTECT, related_name="waitlist_entries")
    referral = models.ForeignKey(Referral, null=True, blank=True, on_delete=models.SET_NULL,
                                 related_name="waitlist_entries")
    service_ids = models.JSONField(default=list, help_text="Services in visit order (sequential).")
    practitioners = models.ManyToManyField(Practitioner, blank=True, related_name="+")
    disciplines = models.ManyToManyField(Discipline, blank=True, related_name="+")
    location = models.ForeignKey(Location, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    earliest_date = models.DateField()
    latest_date = models.DateField()
    weekdays = models.JSONField(default=list, blank=True, help_text="0 = Monday; empty = any day.")
    time_of_day = models.CharField(max_length=16, choices=TimeOfDay.choices, default=TimeOfDay.ANY)
    priority = models.PositiveSmallIntegerField(choices=Priority.choices, default=Priority.ROUTINE)
    status = models.CharField(max_length=16, choices=WaitlistStatus.choices, default=WaitlistStatus.WAITING)
    note = models.CharField(max_length=300, blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField()

    class Meta:
        ordering = ["priority", "created_at", "id"]
        verbose_name_plural = "waitlist entries"
        constraints = [
            models.CheckConstraint(condition=Q(earliest_date__lte=F("latest_date")), name="waitlist_window_order"),
        ]

    def __str__(self) -> str:
        return f"Waitlist {self.pk} ({self.get_status_display()})"


class OfferStatus(models.TextChoices):
    OPEN = "open", "Open"
    ACCEPTED = "accepted", "Accepted"
    DECLINED = "declined", "Declined"
    EXPIRED = "expired", "Expired"


class WaitlistOffer(models.Model):
    """A freed slot proposed to a waitlist entry and held for it until ``expires_at``: while the
    offer is open no other waitlist entry is offered an overlapping placement. ``placements`` are the
    components to book (service, practitioner, room, start, end in UTC ISO)."""

    entry = models.ForeignKey(WaitlistEntry, on_delete=models.CASCADE, related_name="offers")
    location = models.ForeignKey(Location, on_delete=models.PROTECT, related_name="+")
    start = models.DateTimeField()
    end = models.DateTimeField()
    placements = models.JSONField(default=list)
    status = models.CharField(max_length=16, choices=OfferStatus.choices, default=OfferStatus.OPEN)
    created_at = models.DateTimeField()
    expires_at = models.DateTimeField()
    block = models.ForeignKey(VisitBlock, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    freed_by = models.ForeignKey(Appointment, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")

    class Meta:
        ordering = ["expires_at", "id"]
        constraints = [
            # One open offer per entry at a time (the reconciler may run twice).
            models.UniqueConstraint(fields=["entry"], condition=Q(status="open"), name="waitlist_one_open_offer"),
            models.UniqueConstraint(fields=["entry", "start"], name="waitlist_offer_once_per_slot"),
        ]

    def __str__(self) -> str:
        return f"Offer {self.pk} for waitlist {self.entry_id} at {self.start:%Y-%m-%d %H:%M}"
