"""Practice setup: the practice, locations, rooms, disciplines, practitioners, staff users, payers,
the service catalog, API tokens and the append-only audit log."""

from __future__ import annotations

from decimal import Decimal

from django.contrib.auth.models import AbstractUser
from django.core.validators import MinValueValidator
from django.db import models

from plexus.core import validators as v


class Role(models.TextChoices):
    ADMIN = "admin", "Admin"
    PRACTITIONER = "practitioner", "Practitioner"
    FRONT_DESK = "front_desk", "Front desk"
    BILLING = "billing", "Billing"
    VIRTUAL_ASSISTANT = "virtual_assistant", "Virtual assistant"


class User(AbstractUser):
    """A staff user. Every user has exactly one role; access follows plexus.core.permissions."""

    role = models.CharField(max_length=32, choices=Role.choices)

    class Meta:
        ordering = ["username"]

    def __str__(self) -> str:
        return self.get_full_name() or self.username


class Practice(models.Model):
    legal_name = models.CharField(max_length=200)
    tax_id = models.CharField("tax ID (EIN)", max_length=10, validators=[v.validate_tax_id])
    group_npi = models.CharField("group NPI", max_length=10, validators=[v.validate_npi])
    address_line1 = models.CharField("address line 1", max_length=200)
    address_line2 = models.CharField("address line 2", max_length=200, blank=True)
    city = models.CharField(max_length=100)
    state = models.CharField(max_length=2)
    postal_code = models.CharField(max_length=10)
    phone = models.CharField(max_length=20, validators=[v.validate_phone])
    late_cancel_hours = models.PositiveIntegerField(default=24)

    def __str__(self) -> str:
        return self.legal_name


class Location(models.Model):
    practice = models.ForeignKey(Practice, on_delete=models.PROTECT, related_name="locations")
    name = models.CharField(max_length=100, unique=True)
    address_line1 = models.CharField("address line 1", max_length=200)
    address_line2 = models.CharField("address line 2", max_length=200, blank=True)
    city = models.CharField(max_length=100)
    state = models.CharField(max_length=2)
    postal_code = models.CharField(max_length=10)
    phone = models.CharField(max_length=20, blank=True, validators=[v.validate_phone])
    time_zone = models.CharField(max_length=64, validators=[v.validate_time_zone])
    place_of_service = models.CharField(max_length=2, default="11", validators=[v.validate_place_of_service])
    is_active = models.BooleanField(default=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class RoomType(models.TextChoices):
    CONSULT = "consult", "Consult"
    TREATMENT_TABLE = "treatment_table", "Treatment table"
    MASSAGE = "massage", "Massage"
    INFUSION = "infusion", "Infusion"
    GROUP = "group", "Group"


class Room(models.Model):
    location = models.ForeignKey(Location, on_delete=models.PROTECT, related_name="rooms")
    name = models.CharField(max_length=100)
    room_type = models.CharField(max_length=32, choices=RoomType.choices)
    capacity = models.PositiveSmallIntegerField(default=1, validators=[MinValueValidator(1)])
    is_active = models.BooleanField(default=True)

    class Meta:
        ordering = ["location__name", "name"]
        constraints = [models.UniqueConstraint(fields=["location", "name"], name="room_unique_name_per_location")]

    def __str__(self) -> str:
        return f"{self.name} ({self.location})"


class Discipline(models.Model):
    code = models.SlugField(max_length=32, unique=True)
    name = models.CharField(max_length=100)
    is_clinical = models.BooleanField(default=True)
    can_supervise = models.BooleanField(
        default=False, help_text="May act as supervising provider on claims (physician, NP, PA)."
    )
    requires_supervisor = models.BooleanField(
        default=False, help_text="Practitioners of this discipline need a supervising provider on file."
    )
    colour = models.CharField(max_length=7, default="#6c757d")

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class PayerType(models.TextChoices):
    MEDICARE = "medicare", "Medicare"
    MEDICARE_ADVANTAGE = "medicare_advantage", "Medicare Advantage"
    MEDICAID = "medicaid", "Medicaid"
    COMMERCIAL = "commercial", "Commercial"
    WORKERS_COMP = "workers_comp", "Workers' compensation"
    AUTO = "auto", "Auto"


# X12 SBR09 claim filing indicator for each payer type (005010X222A1 2000B SBR09).
CLAIM_FILING_INDICATOR = {
    PayerType.MEDICARE: "MB",
    PayerType.MEDICARE_ADVANTAGE: "16",
    PayerType.MEDICAID: "MC",
    PayerType.COMMERCIAL: "CI",
    PayerType.WORKERS_COMP: "WC",
    PayerType.AUTO: "AM",
}


class Payer(models.Model):
    """A payer in the practice's directory. Lives in core (not patients) because practitioners'
    credentialing refers to it and core may not import patients."""

    name = models.CharField(max_length=200)
    payer_id = models.CharField("payer ID", max_length=80, unique=True)
    payer_type = models.CharField(max_length=32, choices=PayerType.choices)
    phone = models.CharField(max_length=20, blank=True, validators=[v.validate_phone])
    is_active = models.BooleanField(default=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return f"{self.name} ({self.payer_id})"


class Practitioner(models.Model):
    user = models.OneToOneField(
        User, null=True, blank=True, on_delete=models.SET_NULL, related_name="practitioner"
    )
    first_name = models.CharField(max_length=100)
    last_name = models.CharField(max_length=100)
    discipline = models.ForeignKey(Discipline, on_delete=models.PROTECT, related_name="practitioners")
    credentials = models.CharField(max_length=50, help_text="e.g. MD, LAc, DC, LMT, RD")
    npi = models.CharField("individual NPI", max_length=10, blank=True, validators=[v.validate_npi])
    taxonomy_code = models.CharField(max_length=10, validators=[v.validate_taxonomy])
    license_number = models.CharField(max_length=50, blank=True)
    supervising_physician = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="supervisees"
    )
    payers = models.ManyToManyField(Payer, blank=True, related_name="credentialed_practitioners")
    locations = models.ManyToManyField(Location, related_name="practitioners")
    is_active = models.BooleanField(default=True)

    class Meta:
        ordering = ["last_name", "first_name"]

    def __str__(self) -> str:
        return f"{self.first_name} {self.last_name}, {self.credentials}"


class CoverageCategory(models.TextChoices):
    INSURANCE = "insurance", "Insurance"
    DIRECT_PAY = "direct_pay", "Direct pay"
    EITHER = "either", "Either"


class HsaEligibility(models.TextChoices):
    ELIGIBLE = "eligible", "Eligible"
    NEEDS_LMN = "needs_lmn", "Needs letter of medical necessity"
    NOT_ELIGIBLE = "not_eligible", "Not eligible"


class Service(models.Model):
    name = models.CharField(max_length=200, unique=True)
    duration_minutes = models.PositiveSmallIntegerField(validators=[MinValueValidator(5)])
    disciplines = models.ManyToManyField(Discipline, related_name="services")
    room_type = models.CharField(max_length=32, choices=RoomType.choices)
    procedure_code = models.CharField("CPT/HCPCS code", max_length=5, validators=[v.validate_procedure_code])
    modifiers = models.JSONField(default=list, blank=True, validators=[v.validate_modifiers])
    unit_minutes = models.PositiveSmallIntegerField(
        null=True, blank=True, help_text="Timed code: minutes per unit (8-minute rule applies). Empty = 1 unit."
    )
    max_units = models.PositiveSmallIntegerField(default=1, validators=[MinValueValidator(1)])
    default_fee = models.DecimalField(max_digits=10, decimal_places=2, validators=[MinValueValidator(Decimal(0))])
    coverage_category = models.CharField(max_length=16, choices=CoverageCategory.choices)
    hsa_eligibility = models.CharField(max_length=16, choices=HsaEligibility.choices)
    buffer_minutes = models.PositiveSmallIntegerField(default=0)
    room_turnover_minutes = models.PositiveSmallIntegerField(default=0)
    is_active = models.BooleanField(default=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return f"{self.name} ({self.procedure_code})"


class ApiToken(models.Model):
    """A bearer token for integrations. Only a SHA-256 hash of the secret is stored."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="api_tokens")
    name = models.CharField(max_length=100)
    prefix = models.CharField(max_length=12, db_index=True)
    key_hash = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField(auto_now_add=True)
    created_by = models.ForeignKey(User, null=True, on_delete=models.SET_NULL, related_name="+")
    last_used_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.name} ({self.prefix}…)"


class AuditAction(models.TextChoices):
    READ = "read", "Read"
    CREATE = "create", "Create"
    UPDATE = "update", "Update"
    DELETE = "delete", "Delete"
    EXPORT = "export", "Export"
    IMPORT = "import", "Import"
    LOGIN = "login", "Log in"
    LOGIN_FAILED = "login_failed", "Failed log in"
    LOGOUT = "logout", "Log out"
    PERMISSION = "permission", "Permission change"
    DENIED = "denied", "Access denied"


class AuditQuerySet(models.QuerySet):
    """Refuse bulk changes: the audit log is append-only (HIPAA 45 CFR 164.312(b))."""

    def update(self, **kwargs):  # type: ignore[override]
        raise PermissionError("The audit log is append-only.")

    def delete(self):  # type: ignore[override]
        raise PermissionError("The audit log is append-only.")


class AuditEvent(models.Model):
    """One read or write of patient data (or a security event). Append-only: the app refuses
    updates and deletes, and database triggers (migration 0002) refuse them too."""

    at = models.DateTimeField(db_index=True)
    user_id_snapshot = models.BigIntegerField(null=True, db_index=True)
    username = models.CharField(max_length=150, db_index=True)
    role = models.CharField(max_length=32)
    action = models.CharField(max_length=16, choices=AuditAction.choices)
    object_type = models.CharField(max_length=64)
    object_id = models.CharField(max_length=64, blank=True)
    patient_id = models.BigIntegerField(null=True, db_index=True)
    changed_fields = models.JSONField(default=list, blank=True)
    detail = models.CharField(max_length=300, blank=True)
    ip = models.GenericIPAddressField(null=True, blank=True)
    via = models.CharField(max_length=8, default="ui")

    objects = AuditQuerySet.as_manager()

    class Meta:
        ordering = ["-at", "-id"]
        indexes = [models.Index(fields=["patient_id", "at"]), models.Index(fields=["username", "at"])]

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M} {self.username} {self.action} {self.object_type} {self.object_id}"

    def save(self, *args, **kwargs):
        if self.pk is not None:
            raise PermissionError("The audit log is append-only.")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise PermissionError("The audit log is append-only.")
