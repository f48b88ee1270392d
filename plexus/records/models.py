"""Forms as data: questionnaire versions (a definition JSON checked by plexus.engines.forms) and
patients' responses to them. A version is immutable once published (status leaves draft)."""

from __future__ import annotations

from django.conf import settings
from django.db import models


class QuestionnaireStatus(models.TextChoices):
    DRAFT = "draft", "Draft"
    ACTIVE = "active", "Active"
    RETIRED = "retired", "Retired"


class QuestionnaireSource(models.TextChoices):
    SHIPPED = "shipped", "Shipped with Plexus"
    IMPORTED = "imported", "Imported (FHIR)"


class Questionnaire(models.Model):
    slug = models.SlugField(max_length=64)
    version = models.CharField(max_length=20)
    title = models.CharField(max_length=200)
    description = models.TextField(blank=True)
    status = models.CharField(max_length=10, choices=QuestionnaireStatus.choices, default=QuestionnaireStatus.DRAFT)
    disciplines = models.JSONField(default=list, blank=True, help_text="Discipline codes the form applies to.")
    definition = models.JSONField(help_text="The definition (plexus.engines.forms.definition format).")
    scored = models.BooleanField(default=False)
    source = models.CharField(max_length=10, choices=QuestionnaireSource.choices, default=QuestionnaireSource.IMPORTED)
    created_at = models.DateTimeField()
    published_at = models.DateTimeField(null=True, blank=True)
    retired_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["title", "slug", "-created_at"]
        constraints = [
            models.UniqueConstraint(fields=["slug", "version"], name="records_questionnaire_slug_version"),
            models.CheckConstraint(condition=models.Q(status__in=["draft", "active", "retired"]),
                                   name="records_questionnaire_status"),
        ]

    def __str__(self) -> str:
        return f"{self.title} (v{self.version})"


class ResponseStatus(models.TextChoices):
    IN_PROGRESS = "in-progress", "In progress"
    COMPLETED = "completed", "Completed"


class QuestionnaireResponse(models.Model):
    questionnaire = models.ForeignKey(Questionnaire, on_delete=models.PROTECT, related_name="responses")
    patient = models.ForeignKey("patients.Patient", on_delete=models.PROTECT, related_name="questionnaire_responses")
    status = models.CharField(max_length=12, choices=ResponseStatus.choices, default=ResponseStatus.IN_PROGRESS)
    answers = models.JSONField(default=dict, blank=True)
    pages_saved = models.JSONField(default=list, blank=True, help_text="linkIds of the pages saved at least once.")
    scores = models.JSONField(null=True, blank=True)
    started_at = models.DateTimeField()
    updated_at = models.DateTimeField()
    completed_at = models.DateTimeField(null=True, blank=True)
    started_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True,
                                   related_name="+")
    completed_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True,
                                     related_name="+")

    class Meta:
        ordering = ["-started_at", "-pk"]
        indexes = [models.Index(fields=["patient", "-started_at"])]
        constraints = [
            models.CheckConstraint(
                condition=(models.Q(status="in-progress", completed_at__isnull=True)
                           | models.Q(status="completed", completed_at__isnull=False)),
                name="records_response_completed_at",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.questionnaire} for patient {self.patient_id} ({self.status})"


# ----- intake packets and the patient portal ----------------------------------------------------


class PacketStatus(models.TextChoices):
    NOT_SENT = "not_sent", "Not sent"
    SENT = "sent", "Sent"
    OPENED = "opened", "Opened"
    IN_PROGRESS = "in_progress", "In progress"
    COMPLETE = "complete", "Complete"


class IntakePacket(models.Model):
    """The forms a new patient fills before the first visit, chosen from the disciplines of their
    booked visit blocks; reached through an expiring portal link (identity confirmed with the date
    of birth, attempts limited). One open packet per patient; forms are added when new disciplines
    are booked before it is complete."""

    patient = models.ForeignKey("patients.Patient", on_delete=models.PROTECT, related_name="intake_packets")
    status = models.CharField(max_length=12, choices=PacketStatus.choices, default=PacketStatus.NOT_SENT)
    first_visit_at = models.DateTimeField(help_text="Start of the first booked visit block the packet prepares.")
    first_block_id = models.BigIntegerField(null=True, blank=True)
    created_at = models.DateTimeField()
    sent_at = models.DateTimeField(null=True, blank=True)
    opened_at = models.DateTimeField(null=True, blank=True)
    completed_at = models.DateTimeField(null=True, blank=True)
    followups_sent = models.PositiveSmallIntegerField(default=0)
    last_contact_at = models.DateTimeField(null=True, blank=True)
    flagged_at = models.DateTimeField(null=True, blank=True, help_text="Still incomplete 24 h before the visit.")
    link_version = models.PositiveSmallIntegerField(default=1, help_text="Bumped to revoke every earlier link.")
    failed_attempts = models.PositiveSmallIntegerField(default=0)
    locked_until = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["first_visit_at", "id"]
        constraints = [models.UniqueConstraint(fields=["patient"], condition=~models.Q(status="complete"),
                                               name="intake_one_open_packet")]

    def __str__(self) -> str:
        return f"Intake packet {self.pk} ({self.get_status_display()})"


class PacketForm(models.Model):
    """One questionnaire in a packet, with the response the patient is filling."""

    packet = models.ForeignKey(IntakePacket, on_delete=models.CASCADE, related_name="forms")
    questionnaire = models.ForeignKey(Questionnaire, on_delete=models.PROTECT, related_name="+")
    response = models.OneToOneField(QuestionnaireResponse, null=True, blank=True, on_delete=models.PROTECT,
                                    related_name="packet_form")
    position = models.PositiveSmallIntegerField()
    reason = models.CharField(max_length=100, help_text="Why it is in the packet, e.g. 'every new patient', 'acupuncture'.")

    class Meta:
        ordering = ["packet_id", "position"]
        constraints = [models.UniqueConstraint(fields=["packet", "questionnaire"], name="packet_form_once")]

    def __str__(self) -> str:
        return f"{self.questionnaire.title} in packet {self.packet_id}"


class ReviewSignoff(models.Model):
    """A practitioner signed off one item (a completed questionnaire, or a document) as reviewed
    before seeing the patient."""

    practitioner = models.ForeignKey("core.Practitioner", on_delete=models.PROTECT, related_name="review_signoffs")
    patient = models.ForeignKey("patients.Patient", on_delete=models.PROTECT, related_name="review_signoffs")
    item_kind = models.CharField(max_length=16)  # response | document
    item_id = models.BigIntegerField()
    signed_at = models.DateTimeField()
    signed_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")

    class Meta:
        ordering = ["-signed_at"]
        constraints = [models.UniqueConstraint(fields=["practitioner", "item_kind", "item_id"],
                                               name="review_signoff_once")]

    def __str__(self) -> str:
        return f"{self.item_kind} {self.item_id} reviewed by {self.practitioner_id}"
