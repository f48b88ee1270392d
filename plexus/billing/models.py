"""Billing: eligibility checks (270/271), their benefit lines, and 271s nobody asked for."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone

from plexus.patients.models import Coverage, Patient


class CheckStatus(models.TextChoices):
    QUEUED = "queued", "Queued"
    SENT = "sent", "Sent, waiting for the answer"
    ANSWERED = "answered", "Answered"
    REJECTED = "rejected", "Rejected by the payer"
    ERROR = "error", "Error"


class Transport(models.TextChoices):
    FILE = "file", "File exchange"
    HTTP = "http", "Real-time HTTP"


class EligibilityCheck(models.Model):
    """One 270 inquiry for a patient's coverage and a list of service types, and its 271 answer."""

    patient = models.ForeignKey(Patient, on_delete=models.PROTECT, related_name="eligibility_checks")
    coverage = models.ForeignKey(Coverage, on_delete=models.PROTECT, related_name="eligibility_checks")
    service_types = models.JSONField(default=list, help_text="EQ01 service type codes asked for.")
    service_date = models.DateField()
    status = models.CharField(max_length=16, choices=CheckStatus.choices, default=CheckStatus.QUEUED, db_index=True)
    transport = models.CharField(max_length=8, choices=Transport.choices, default=Transport.FILE)
    trace_number = models.CharField(max_length=50, unique=True, help_text="TRN02: the 271 echoes it back.")
    request_x12 = models.TextField(blank=True)
    response_x12 = models.TextField(blank=True)
    outbox_file = models.CharField(max_length=300, blank=True)
    plan_name = models.CharField(max_length=100, blank=True)
    plan_active = models.BooleanField(null=True, blank=True)
    rejections = models.JSONField(default=list, blank=True)
    error = models.CharField(max_length=500, blank=True)
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now, db_index=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    answered_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["patient", "-created_at"])]

    def __str__(self) -> str:
        return f"Eligibility {self.trace_number} ({self.status})"


class Light(models.TextChoices):
    GREEN = "green", "Green"
    AMBER = "amber", "Amber"
    RED = "red", "Red"


class BenefitLine(models.Model):
    """The parsed answer for one service type of one check (see plexus.billing.benefits)."""

    eligibility_check = models.ForeignKey(EligibilityCheck, on_delete=models.CASCADE, related_name="benefit_lines")
    position = models.PositiveSmallIntegerField(default=0)
    service_type = models.CharField(max_length=2)
    label = models.CharField(max_length=60)
    specific = models.BooleanField(help_text="False: the payer answered only for general coverage (30).")
    active = models.BooleanField(null=True, blank=True)
    covered = models.BooleanField(null=True, blank=True)
    in_network = models.CharField(max_length=1, blank=True)
    copay = models.DecimalField(max_digits=10, decimal_places=2, null=True, blank=True)
    coinsurance_percent = models.DecimalField(max_digits=5, decimal_places=2, null=True, blank=True)
    deductible_total = models.DecimalField(max_digits=10, decimal_places=2, null=True, blank=True)
    deductible_remaining = models.DecimalField(max_digits=10, decimal_places=2, null=True, blank=True)
    out_of_pocket_remaining = models.DecimalField(max_digits=10, decimal_places=2, null=True, blank=True)
    visits_total = models.PositiveIntegerField(null=True, blank=True)
    visits_used = models.IntegerField(null=True, blank=True)
    visits_remaining = models.IntegerField(null=True, blank=True)
    visit_period = models.CharField(max_length=40, blank=True)
    auth_required = models.BooleanField(null=True, blank=True)
    status = models.CharField(max_length=8, choices=Light.choices)
    headline = models.CharField(max_length=300)
    reasons = models.JSONField(default=list, blank=True)
    messages = models.JSONField(default=list, blank=True)

    class Meta:
        ordering = ["eligibility_check_id", "position"]
        constraints = [
            models.UniqueConstraint(fields=["eligibility_check", "service_type"], name="benefit_line_unique_service_type"),
        ]

    def __str__(self) -> str:
        return self.headline


class UnmatchedResponse(models.Model):
    """A 271 answer that matches no check we sent (unknown trace number): kept for staff to resolve."""

    trace_number = models.CharField(max_length=50, blank=True, db_index=True)
    payer_name = models.CharField(max_length=200, blank=True)
    payer_identifier = models.CharField(max_length=80, blank=True)
    member_id = models.CharField(max_length=80, blank=True)
    last_name = models.CharField(max_length=100, blank=True)
    first_name = models.CharField(max_length=100, blank=True)
    reason = models.CharField(max_length=200)
    source_name = models.CharField(max_length=300, blank=True)
    x12 = models.TextField()
    received_at = models.DateTimeField(default=timezone.now)
    resolved_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-received_at", "-id"]

    def __str__(self) -> str:
        return f"Unmatched 271 {self.trace_number or '(no trace)'}"
