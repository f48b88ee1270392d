"""Patients and their insurance coverage."""

from __future__ import annotations

from datetime import date

from django.db import models

from plexus.core import validators as v
from plexus.core.models import Payer


class SexForClaims(models.TextChoices):
    # X12 DMG03 administrative gender code values.
    FEMALE = "F", "Female"
    MALE = "M", "Male"
    UNKNOWN = "U", "Unknown"


class Channel(models.TextChoices):
    EMAIL = "email", "Email"
    SMS = "sms", "Text message"
    PHONE = "phone", "Phone call"
    NONE = "none", "No reminders"


class Patient(models.Model):
    chart_number = models.CharField(max_length=20, unique=True)
    legal_first_name = models.CharField(max_length=100)
    legal_middle_name = models.CharField(max_length=100, blank=True)
    legal_last_name = models.CharField(max_length=100, db_index=True)
    preferred_name = models.CharField(max_length=100, blank=True)
    pronouns = models.CharField(max_length=40, blank=True)
    date_of_birth = models.DateField(db_index=True)
    sex_for_claims = models.CharField(max_length=1, choices=SexForClaims.choices)
    address_line1 = models.CharField("address line 1", max_length=200, blank=True)
    address_line2 = models.CharField("address line 2", max_length=200, blank=True)
    city = models.CharField(max_length=100, blank=True)
    state = models.CharField(max_length=2, blank=True)
    postal_code = models.CharField(max_length=10, blank=True)
    phone_mobile = models.CharField("mobile phone", max_length=20, blank=True, db_index=True, validators=[v.validate_phone])
    phone_home = models.CharField("home phone", max_length=20, blank=True, db_index=True, validators=[v.validate_phone])
    email = models.EmailField(blank=True)
    preferred_language = models.CharField(max_length=8, default="en")
    time_zone = models.CharField(max_length=64, default="America/Los_Angeles", validators=[v.validate_time_zone])
    preferred_channel = models.CharField("reminders by", max_length=8, choices=Channel.choices, default=Channel.EMAIL)
    consent_sms = models.BooleanField("consents to text messages", default=False)
    consent_email = models.BooleanField("consents to email", default=False)
    has_hsa_fsa = models.BooleanField("HSA/FSA card on file", default=False)
    guarantor = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="dependants",
        help_text="Who pays the balance; empty means the patient is their own guarantor.",
    )
    guarantor_relationship = models.CharField(max_length=20, blank=True)
    is_active = models.BooleanField(default=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["legal_last_name", "legal_first_name"]
        indexes = [models.Index(fields=["legal_last_name", "legal_first_name"])]

    def __str__(self) -> str:
        return self.display_name

    @property
    def display_name(self) -> str:
        first = self.preferred_name or self.legal_first_name
        return f"{first} {self.legal_last_name}"

    def age_on(self, day: date) -> int:
        years = day.year - self.date_of_birth.year
        return years - ((day.month, day.day) < (self.date_of_birth.month, self.date_of_birth.day))


class Relationship(models.TextChoices):
    # X12 individual relationship codes (SBR02 / PAT01).
    SELF = "18", "Self"
    SPOUSE = "01", "Spouse"
    CHILD = "19", "Child"
    OTHER = "G8", "Other"


class Priority(models.IntegerChoices):
    PRIMARY = 1, "Primary"
    SECONDARY = 2, "Secondary"
    TERTIARY = 3, "Tertiary"


class Coverage(models.Model):
    patient = models.ForeignKey(Patient, on_delete=models.CASCADE, related_name="coverages")
    payer = models.ForeignKey(Payer, on_delete=models.PROTECT, related_name="coverages")
    member_id = models.CharField(max_length=80, db_index=True)
    group_number = models.CharField(max_length=50, blank=True)
    plan_name = models.CharField(max_length=100, blank=True)
    relationship = models.CharField(max_length=2, choices=Relationship.choices, default=Relationship.SELF)
    subscriber_first_name = models.CharField(max_length=100, blank=True)
    subscriber_last_name = models.CharField(max_length=100, blank=True)
    subscriber_date_of_birth = models.DateField(null=True, blank=True)
    priority = models.PositiveSmallIntegerField(choices=Priority.choices, default=Priority.PRIMARY)
    effective_date = models.DateField()
    end_date = models.DateField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["patient_id", "priority", "-effective_date"]

    def __str__(self) -> str:
        return f"{self.payer.name} {self.get_priority_display().lower()}"

    def is_active_on(self, day: date) -> bool:
        return self.effective_date <= day and (self.end_date is None or day <= self.end_date)
