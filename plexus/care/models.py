"""Care-team communication: the care team and care plan of each patient, clinical updates routed
to team members who must acknowledge them, consultation notes, care-team check-ins and the
patient-reported care-coordination survey.

Clinical content (update summaries and details, consult-note content, care-plan goals, minutes)
is shown only to clinical roles on the patient's care team; see plexus/care/access.py.
"""

from __future__ import annotations

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q

from plexus.core.models import Location, Practitioner, Room
from plexus.patients.models import Patient


class TeamRole(models.TextChoices):
    LEAD_PHYSICIAN = "lead_physician", "Lead physician"
    MEMBER = "member", "Member"


class CareTeamMember(models.Model):
    """One practitioner on one patient's care team. At most one active lead physician per patient."""

    patient = models.ForeignKey(Patient, on_delete=models.CASCADE, related_name="care_team")
    practitioner = models.ForeignKey(Practitioner, on_delete=models.PROTECT, related_name="care_teams")
    role = models.CharField(max_length=16, choices=TeamRole.choices, default=TeamRole.MEMBER)
    is_active = models.BooleanField(default=True)
    added_at = models.DateTimeField()
    added_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")

    class Meta:
        ordering = ["patient_id", "role", "practitioner__last_name"]
        constraints = [
            models.UniqueConstraint(fields=["patient", "practitioner"], name="care_team_member_once"),
            models.UniqueConstraint(fields=["patient"], condition=Q(role="lead_physician", is_active=True),
                                    name="care_team_one_lead"),
        ]

    def __str__(self) -> str:
        return f"{self.practitioner} ({self.get_role_display()})"


class CarePlan(models.Model):
    """One version of a patient's care plan: goals with interventions per discipline. Versions are
    never changed; saving a plan writes the next version."""

    patient = models.ForeignKey(Patient, on_delete=models.CASCADE, related_name="care_plans")
    version = models.PositiveIntegerField()
    goals = models.JSONField(default=list, help_text='[{"discipline": "lac", "goal": "...", "interventions": ["..."]}]')
    note = models.CharField(max_length=300, blank=True)
    created_at = models.DateTimeField()
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")

    class Meta:
        ordering = ["patient_id", "-version"]
        constraints = [models.UniqueConstraint(fields=["patient", "version"], name="care_plan_version_once")]

    def __str__(self) -> str:
        return f"Care plan v{self.version}"


class EventType(models.TextChoices):
    MEDICATION_STARTED = "medication_started", "Medication started"
    MEDICATION_CHANGED = "medication_changed", "Medication changed"
    MEDICATION_STOPPED = "medication_stopped", "Medication stopped"
    NEW_DIAGNOSIS = "new_diagnosis", "New diagnosis"
    ALLERGY = "allergy", "Allergy"
    LAB_RESULT = "lab_result", "Notable lab result"
    CARE_PLAN_CHANGE = "care_plan_change", "Care-plan change"
    RED_FLAG = "red_flag", "Red flag"
    ADHERENCE_BARRIER = "adherence_barrier", "Adherence barrier"


class Urgency(models.TextChoices):
    ROUTINE = "routine", "Routine"
    URGENT = "urgent", "Urgent"


ALL_DISCIPLINES = "*"


class RoutingRule(models.Model):
    """Who on the care team must be told of one event type: members of the listed disciplines
    (``["*"]`` = everyone), and/or the lead physician. Admins edit these."""

    event_type = models.CharField(max_length=32, choices=EventType.choices, unique=True)
    disciplines = models.JSONField(default=list, blank=True)
    include_lead = models.BooleanField(default=False)
    urgency = models.CharField(max_length=8, choices=Urgency.choices, default=Urgency.ROUTINE)
    updated_at = models.DateTimeField(null=True, blank=True)
    updated_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                   related_name="+")

    class Meta:
        ordering = ["event_type"]

    def __str__(self) -> str:
        return self.get_event_type_display()


class CareSettings(models.Model):
    """Practice-wide acknowledgement SLAs (one row)."""

    urgent_ack_hours = models.PositiveSmallIntegerField(default=4, validators=[MinValueValidator(1)])
    routine_ack_business_days = models.PositiveSmallIntegerField(default=2, validators=[MinValueValidator(1)])
    survey_after_visits = models.PositiveSmallIntegerField(default=3, validators=[MinValueValidator(1)])

    def __str__(self) -> str:
        return f"Urgent {self.urgent_ack_hours} h, routine {self.routine_ack_business_days} business days"


class ClinicalUpdate(models.Model):
    """One version of a structured clinical event about a patient, routed to team members.

    Never edited once anyone has acknowledged it: a correction is a new version (``supersedes``)
    that is routed again; the old version is then marked superseded.
    """

    patient = models.ForeignKey(Patient, on_delete=models.PROTECT, related_name="clinical_updates")
    event_type = models.CharField(max_length=32, choices=EventType.choices)
    urgency = models.CharField(max_length=8, choices=Urgency.choices)
    summary = models.CharField(max_length=200)
    detail = models.TextField(blank=True)
    author = models.ForeignKey(Practitioner, on_delete=models.PROTECT, related_name="clinical_updates")
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(db_index=True)
    due_at = models.DateTimeField(help_text="Acknowledgement deadline from the practice SLA.")
    version = models.PositiveSmallIntegerField(default=1)
    root = models.ForeignKey("self", null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    supersedes = models.OneToOneField("self", null=True, blank=True, on_delete=models.PROTECT,
                                      related_name="superseded_by")
    superseded_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"{self.get_event_type_display()} v{self.version}"


class UpdateRecipient(models.Model):
    """One team member who must acknowledge one update version.

    Escalation: level 1 = flagged for staff (until the work queue exists), level 2 = the lead
    physician told as well.
    """

    update = models.ForeignKey(ClinicalUpdate, on_delete=models.CASCADE, related_name="recipients")
    practitioner = models.ForeignKey(Practitioner, on_delete=models.PROTECT, related_name="care_updates_received")
    reason = models.CharField(max_length=100)
    acknowledged_at = models.DateTimeField(null=True, blank=True)
    acknowledged_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                        related_name="+")
    reply = models.TextField(blank=True)
    escalation_level = models.PositiveSmallIntegerField(default=0)
    escalated_at = models.DateTimeField(null=True, blank=True)
    lead_escalated_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["update_id", "practitioner__last_name"]
        constraints = [models.UniqueConstraint(fields=["update", "practitioner"], name="update_recipient_once")]
        indexes = [models.Index(fields=["practitioner", "acknowledged_at"])]

    def __str__(self) -> str:
        return f"{self.practitioner_id} on update {self.update_id}"


class ConsultKind(models.TextChoices):
    INTERNAL = "internal", "Internal"
    EXTERNAL = "external", "External specialist"


class ConsultNote(models.Model):
    """A consultation note logged on receipt and routed to the responsible practitioner."""

    patient = models.ForeignKey(Patient, on_delete=models.PROTECT, related_name="consult_notes")
    kind = models.CharField(max_length=16, choices=ConsultKind.choices)
    source_name = models.CharField(max_length=200)
    source_email = models.EmailField(blank=True)
    received_on = models.DateField()
    responsible = models.ForeignKey(Practitioner, on_delete=models.PROTECT, related_name="consult_notes")
    summary = models.TextField()
    logged_at = models.DateTimeField()
    logged_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    receipt_sent_at = models.DateTimeField(null=True, blank=True)
    reviewed_at = models.DateTimeField(null=True, blank=True)
    reviewed_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                    related_name="+")

    class Meta:
        ordering = ["-received_on", "-id"]

    def __str__(self) -> str:
        return f"Consultation note from {self.source_name}"


class CheckInStatus(models.TextChoices):
    SCHEDULED = "scheduled", "Scheduled"
    HELD = "held", "Held"
    CANCELLED = "cancelled", "Cancelled"


class CheckIn(models.Model):
    """An internal case conference of team members at a time they are all free."""

    title = models.CharField(max_length=200)
    location = models.ForeignKey(Location, on_delete=models.PROTECT, related_name="+")
    room = models.ForeignKey(Room, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    start = models.DateTimeField(db_index=True)
    end = models.DateTimeField()
    status = models.CharField(max_length=16, choices=CheckInStatus.choices, default=CheckInStatus.SCHEDULED)
    members = models.ManyToManyField(Practitioner, related_name="care_checkins")
    patients = models.ManyToManyField(Patient, related_name="care_checkins", blank=True)
    minutes = models.TextField(blank=True)
    held_exception_ids = models.JSONField(default=list, blank=True,
                                          help_text="The members' time-off entries that hold this time on their calendars.")
    created_at = models.DateTimeField()
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")

    class Meta:
        ordering = ["start"]
        constraints = [models.CheckConstraint(condition=Q(start__lt=models.F("end")), name="checkin_start_before_end")]

    def __str__(self) -> str:
        return f"{self.title} {self.start:%Y-%m-%d %H:%M}"


class ActionItem(models.Model):
    """One action from a check-in's minutes (becomes a staff task once the work queue exists)."""

    checkin = models.ForeignKey(CheckIn, on_delete=models.CASCADE, related_name="action_items")
    patient = models.ForeignKey(Patient, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    text = models.CharField(max_length=300)
    owner = models.ForeignKey(Practitioner, on_delete=models.PROTECT, related_name="care_actions")
    due_on = models.DateField(null=True, blank=True)
    done_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["checkin_id", "id"]

    def __str__(self) -> str:
        return f"{self.text}"


class CoordinationSurvey(models.Model):
    """The patient-reported care-coordination survey, sent once after the patient's Nth completed visit.

    Answers are 1 (strongly disagree) to 5 (strongly agree) per item of ``plexus.care.survey.ITEMS``.
    """

    patient = models.OneToOneField(Patient, on_delete=models.PROTECT, related_name="coordination_survey")
    practitioners = models.ManyToManyField(Practitioner, related_name="coordination_surveys")
    sent_at = models.DateTimeField()
    answered_at = models.DateTimeField(null=True, blank=True)
    answers = models.JSONField(default=dict, blank=True)
    score = models.DecimalField(max_digits=3, decimal_places=2, null=True, blank=True,
                                validators=[MinValueValidator(1), MaxValueValidator(5)])

    class Meta:
        ordering = ["-sent_at"]

    def __str__(self) -> str:
        return f"Survey for patient {self.patient_id}"
