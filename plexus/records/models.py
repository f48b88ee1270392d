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
