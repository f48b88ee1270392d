"""Billing: eligibility checks (270/271), their benefit lines, and 271s nobody asked for."""

from __future__ import annotations

from decimal import Decimal

from django.conf import settings
from django.core.validators import MinValueValidator
from django.db import models
from django.utils import timezone

from plexus.core.models import Payer, Practitioner
from plexus.core.validators import validate_place_of_service, validate_procedure_code
from plexus.patients.models import Coverage, Patient
from plexus.scheduling.models import Appointment


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


# ---------------------------------------------------------------------------------------------
# Fee schedules, authorisations, waivers
# ---------------------------------------------------------------------------------------------


class FeeSchedule(models.Model):
    """Prices per procedure code: the practice default (no payer) or one payer's contracted fees."""

    name = models.CharField(max_length=100, unique=True)
    payer = models.OneToOneField(Payer, null=True, blank=True, on_delete=models.CASCADE, related_name="fee_schedule")

    class Meta:
        ordering = ["payer_id", "name"]

    def __str__(self) -> str:
        return self.name


class FeeScheduleEntry(models.Model):
    schedule = models.ForeignKey(FeeSchedule, on_delete=models.CASCADE, related_name="entries")
    procedure_code = models.CharField(max_length=5, validators=[validate_procedure_code])
    modifier = models.CharField(max_length=2, blank=True)
    amount = models.DecimalField(max_digits=10, decimal_places=2, validators=[MinValueValidator(Decimal("0.01"))])

    class Meta:
        ordering = ["schedule_id", "procedure_code", "modifier"]
        constraints = [models.UniqueConstraint(fields=["schedule", "procedure_code", "modifier"],
                                               name="fee_entry_unique_code")]

    def __str__(self) -> str:
        return f"{self.procedure_code}{'-' + self.modifier if self.modifier else ''} {self.amount}"


class Authorization(models.Model):
    """A payer's prior authorisation or visit allowance for a patient's coverage.

    ``visits_approved`` / ``units_approved`` may be blank (unlimited on that axis); usage is derived
    from the claims that carry this authorisation (see selectors.authorization_usage).
    """

    patient = models.ForeignKey(Patient, on_delete=models.PROTECT, related_name="authorizations")
    coverage = models.ForeignKey(Coverage, on_delete=models.PROTECT, related_name="authorizations")
    number = models.CharField(max_length=50, blank=True, help_text="Payer's authorisation number (REF*G1).")
    procedure_codes = models.JSONField(default=list, help_text="Codes it covers, e.g. 97810, 97811.")
    visits_approved = models.PositiveIntegerField(null=True, blank=True)
    units_approved = models.PositiveIntegerField(null=True, blank=True)
    start_date = models.DateField()
    end_date = models.DateField()
    note = models.CharField(max_length=300, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-end_date", "-id"]
        constraints = [models.CheckConstraint(condition=models.Q(start_date__lte=models.F("end_date")),
                                              name="authorization_start_before_end")]

    def __str__(self) -> str:
        return f"Authorisation {self.number or '(visit limit)'} {self.start_date}..{self.end_date}"


class WaiverKind(models.TextChoices):
    ABN = "abn", "Medicare ABN (CMS-R-131)"
    DIRECT_PAY = "direct_pay", "Direct-pay agreement"


class Waiver(models.Model):
    """The patient's signed agreement to pay for a service the payer will likely not cover."""

    patient = models.ForeignKey(Patient, on_delete=models.PROTECT, related_name="waivers")
    appointment = models.ForeignKey(Appointment, on_delete=models.PROTECT, related_name="waivers")
    kind = models.CharField(max_length=16, choices=WaiverKind.choices)
    reason = models.CharField(max_length=300)
    estimated_cost = models.DecimalField(max_digits=10, decimal_places=2)
    signed_name = models.CharField(max_length=200)
    signed_at = models.DateTimeField()
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")

    class Meta:
        ordering = ["-signed_at"]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} signed by {self.signed_name}"


# ---------------------------------------------------------------------------------------------
# Encounters and charges
# ---------------------------------------------------------------------------------------------


class Stream(models.TextChoices):
    INSURANCE = "insurance", "Insurance"
    DIRECT = "direct", "Direct pay"


class Encounter(models.Model):
    """What was done at one completed appointment: diagnoses, minutes, place of service, who bills."""

    appointment = models.OneToOneField(Appointment, on_delete=models.PROTECT, related_name="encounter")
    patient = models.ForeignKey(Patient, on_delete=models.PROTECT, related_name="encounters")
    practitioner = models.ForeignKey(Practitioner, on_delete=models.PROTECT, related_name="encounters")
    coverage = models.ForeignKey(Coverage, null=True, blank=True, on_delete=models.PROTECT, related_name="encounters",
                                 help_text="Blank: the patient pays directly.")
    service_date = models.DateField()
    diagnoses = models.JSONField(default=list, help_text="ICD-10-CM codes without dots, principal first.")
    minutes = models.PositiveSmallIntegerField()
    place_of_service = models.CharField(max_length=2, validators=[validate_place_of_service])
    improving = models.BooleanField(null=True, blank=True, help_text="Documented response (Medicare acupuncture).")
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-service_date", "-id"]

    def __str__(self) -> str:
        return f"Encounter {self.pk} on {self.service_date}"


class ChargeStatus(models.TextChoices):
    REVIEW = "review", "Waiting for review"
    APPROVED = "approved", "Approved"
    VOID = "void", "Void"


class Charge(models.Model):
    """One priced line of an encounter. Insurance lines go on a claim once approved."""

    encounter = models.ForeignKey(Encounter, on_delete=models.PROTECT, related_name="charges")
    patient = models.ForeignKey(Patient, on_delete=models.PROTECT, related_name="charges")
    position = models.PositiveSmallIntegerField()
    procedure_code = models.CharField(max_length=5)
    modifiers = models.JSONField(default=list, blank=True)
    units = models.DecimalField(max_digits=6, decimal_places=2)
    unit_fee = models.DecimalField(max_digits=10, decimal_places=2)
    amount = models.DecimalField(max_digits=10, decimal_places=2)
    diagnosis_pointers = models.JSONField(default=list)
    stream = models.CharField(max_length=16, choices=Stream.choices)
    fee_source = models.CharField(max_length=100, help_text="Which fee schedule priced it.")
    status = models.CharField(max_length=16, choices=ChargeStatus.choices, default=ChargeStatus.REVIEW, db_index=True)
    reviewed_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                    related_name="+")
    reviewed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["encounter_id", "position"]
        constraints = [models.UniqueConstraint(fields=["encounter", "position"], name="charge_unique_position")]

    def __str__(self) -> str:
        return f"{self.procedure_code} x{self.units} {self.amount}"


# ---------------------------------------------------------------------------------------------
# Claims
# ---------------------------------------------------------------------------------------------


class ClaimStatus(models.TextChoices):
    DRAFT = "draft", "Draft (scrub errors)"
    READY = "ready", "Ready"
    SUBMITTED = "submitted", "Submitted"
    ACCEPTED = "accepted", "Accepted"
    REJECTED = "rejected", "Rejected"
    PAID = "paid", "Paid"
    PARTIAL = "partial", "Partially paid"
    DENIED = "denied", "Denied"
    APPEALED = "appealed", "Appealed"
    CLOSED = "closed", "Closed"


# Which moves a person may make by hand; the system also moves claims on 999/277CA/835 import.
MANUAL_TRANSITIONS: dict[str, tuple[str, ...]] = {
    ClaimStatus.REJECTED: (ClaimStatus.DRAFT,),
    ClaimStatus.DENIED: (ClaimStatus.APPEALED, ClaimStatus.CLOSED),
    ClaimStatus.PARTIAL: (ClaimStatus.APPEALED, ClaimStatus.CLOSED),
    ClaimStatus.PAID: (ClaimStatus.CLOSED,),
    ClaimStatus.APPEALED: (ClaimStatus.CLOSED,),
}


class ClaimBatch(models.Model):
    """One 837P interchange. Its claims are fixed once built, so rebuilding yields the same file."""

    control_number = models.PositiveIntegerField(unique=True, help_text="ISA13/GS06/ST02 base.")
    created_at = models.DateTimeField(default=timezone.now)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    claim_count = models.PositiveIntegerField(default=0)
    total_charge = models.DecimalField(max_digits=12, decimal_places=2, default=Decimal(0))
    x12 = models.TextField(blank=True)
    exported_at = models.DateTimeField(null=True, blank=True)
    ack_status = models.CharField(max_length=2, blank=True, help_text="999 AK9: A, E, P or R.")

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"Batch {self.control_number}"


class Claim(models.Model):
    patient = models.ForeignKey(Patient, on_delete=models.PROTECT, related_name="claims")
    coverage = models.ForeignKey(Coverage, on_delete=models.PROTECT, related_name="claims")
    payer = models.ForeignKey(Payer, on_delete=models.PROTECT, related_name="claims")
    encounter = models.ForeignKey(Encounter, on_delete=models.PROTECT, related_name="claims")
    primary_claim = models.ForeignKey("self", null=True, blank=True, on_delete=models.PROTECT,
                                      related_name="secondary_claims")
    patient_control_number = models.CharField(max_length=20, unique=True, help_text="CLM01; the 835 echoes it.")
    status = models.CharField(max_length=16, choices=ClaimStatus.choices, default=ClaimStatus.DRAFT, db_index=True)
    rendering = models.ForeignKey(Practitioner, on_delete=models.PROTECT, related_name="rendered_claims")
    supervising = models.ForeignKey(Practitioner, null=True, blank=True, on_delete=models.PROTECT,
                                    related_name="supervised_claims")
    authorization = models.ForeignKey(Authorization, null=True, blank=True, on_delete=models.PROTECT,
                                      related_name="claims")
    service_date = models.DateField(db_index=True)
    place_of_service = models.CharField(max_length=2)
    diagnoses = models.JSONField(default=list)
    total_charge = models.DecimalField(max_digits=10, decimal_places=2)
    problems = models.JSONField(default=list, blank=True, help_text="Scrubber findings at the last scrub.")
    scrubbed_at = models.DateTimeField(null=True, blank=True)
    batch = models.ForeignKey(ClaimBatch, null=True, blank=True, on_delete=models.PROTECT, related_name="claims")
    transaction_set = models.CharField(max_length=9, blank=True, help_text="ST02 of the batch's 837 carrying it.")
    frequency_code = models.CharField(max_length=1, default="1", help_text="CLM05-3: 1 original, 7 replacement.")
    payer_claim_number = models.CharField(max_length=50, blank=True)
    paid_amount = models.DecimalField(max_digits=10, decimal_places=2, default=Decimal(0))
    patient_responsibility = models.DecimalField(max_digits=10, decimal_places=2, default=Decimal(0))
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-service_date", "-id"]
        indexes = [models.Index(fields=["patient", "-service_date"])]

    def __str__(self) -> str:
        return f"Claim {self.patient_control_number} ({self.status})"

    @property
    def errors(self) -> list[dict]:
        return [p for p in self.problems if p.get("severity") == "error"]


class ClaimLine(models.Model):
    claim = models.ForeignKey(Claim, on_delete=models.CASCADE, related_name="lines")
    charge = models.ForeignKey(Charge, on_delete=models.PROTECT, related_name="claim_lines")
    position = models.PositiveSmallIntegerField()
    procedure_code = models.CharField(max_length=5)
    modifiers = models.JSONField(default=list, blank=True)
    units = models.DecimalField(max_digits=6, decimal_places=2)
    amount = models.DecimalField(max_digits=10, decimal_places=2)
    diagnosis_pointers = models.JSONField(default=list)
    service_date = models.DateField()

    class Meta:
        ordering = ["claim_id", "position"]
        constraints = [models.UniqueConstraint(fields=["claim", "position"], name="claim_line_unique_position")]

    def __str__(self) -> str:
        return f"{self.procedure_code} x{self.units} {self.amount}"


class ClaimEvent(models.Model):
    """Every status change of a claim: who (or which file), when, from and to, and why."""

    claim = models.ForeignKey(Claim, on_delete=models.CASCADE, related_name="events")
    at = models.DateTimeField()
    username = models.CharField(max_length=150)
    from_status = models.CharField(max_length=16, blank=True)
    to_status = models.CharField(max_length=16)
    note = models.CharField(max_length=500, blank=True)

    class Meta:
        ordering = ["at", "id"]

    def __str__(self) -> str:
        return f"{self.from_status or 'new'} -> {self.to_status}"


class AckFile(models.Model):
    """An imported 999 or 277CA file (kept whole; importing the same bytes twice is a no-op)."""

    kind = models.CharField(max_length=8)
    sha256 = models.CharField(max_length=64, unique=True)
    source_name = models.CharField(max_length=300, blank=True)
    x12 = models.TextField()
    summary = models.CharField(max_length=300)
    received_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-received_at", "-id"]

    def __str__(self) -> str:
        return f"{self.kind}: {self.summary}"


# ---------------------------------------------------------------------------------------------
# Remittance and the ledger
# ---------------------------------------------------------------------------------------------


class Remittance(models.Model):
    """One imported 835 transaction (a payment or EFT and its claims)."""

    sha256 = models.CharField(max_length=64, db_index=True, help_text="Of the whole file it came in.")
    trace_number = models.CharField(max_length=50, help_text="TRN02: check or EFT number.")
    payer_name = models.CharField(max_length=200)
    payer_identifier = models.CharField(max_length=80, blank=True)
    payment_amount = models.DecimalField(max_digits=12, decimal_places=2)
    payment_date = models.DateField(null=True, blank=True)
    source_name = models.CharField(max_length=300, blank=True)
    x12 = models.TextField()
    received_at = models.DateTimeField(default=timezone.now)
    posted_by = models.CharField(max_length=150)

    class Meta:
        ordering = ["-received_at", "-id"]
        constraints = [models.UniqueConstraint(fields=["payer_identifier", "trace_number", "payment_amount"],
                                               name="remittance_unique_payment")]

    def __str__(self) -> str:
        return f"835 {self.trace_number} {self.payment_amount}"


class RemittanceClaim(models.Model):
    """One CLP of an 835: matched to our claim by patient control number, or left unmatched for staff."""

    remittance = models.ForeignKey(Remittance, on_delete=models.CASCADE, related_name="claims")
    claim = models.ForeignKey(Claim, null=True, blank=True, on_delete=models.PROTECT, related_name="remittances")
    position = models.PositiveSmallIntegerField()
    patient_control_number = models.CharField(max_length=38)
    status_code = models.CharField(max_length=2)
    charge = models.DecimalField(max_digits=10, decimal_places=2)
    paid = models.DecimalField(max_digits=10, decimal_places=2)
    patient_responsibility = models.DecimalField(max_digits=10, decimal_places=2)
    payer_claim_number = models.CharField(max_length=50, blank=True)
    patient_name = models.CharField(max_length=200, blank=True)
    adjustments = models.JSONField(default=list, help_text="[{group, reason, amount, line}] from CAS.")
    remark_codes = models.JSONField(default=list, blank=True)
    denied = models.BooleanField(default=False)
    resolved_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["remittance_id", "position"]

    def __str__(self) -> str:
        return f"CLP {self.patient_control_number} paid {self.paid}"


class Account(models.TextChoices):
    INSURANCE = "insurance", "Insurance pending"
    PATIENT = "patient", "Patient responsibility"


class EntryKind(models.TextChoices):
    CHARGE = "charge", "Charge"
    INSURANCE_PAYMENT = "insurance_payment", "Insurance payment"
    ADJUSTMENT = "adjustment", "Insurance adjustment"
    TRANSFER = "transfer", "Moved to patient responsibility"
    PATIENT_PAYMENT = "patient_payment", "Patient payment"
    REFUND = "refund", "Refund"
    WRITE_OFF = "write_off", "Write-off"
    CREDIT = "credit", "Credit"


class LedgerQuerySet(models.QuerySet):
    def update(self, **kwargs):  # type: ignore[override]
        raise TypeError("ledger entries are append-only")

    def delete(self):  # type: ignore[override]
        raise TypeError("ledger entries are append-only")


class LedgerEntry(models.Model):
    """An append-only entry on a patient's account (DESIGN.md §6 Ledger).

    ``amount`` is signed: positive raises the ``account``'s balance (a charge, a transfer in, a
    refund), negative lowers it (payments, adjustments, write-offs). Balances are sums, never stored.
    ``key`` makes posting idempotent: the same 835 line or charge can only ever post once.
    """

    patient = models.ForeignKey(Patient, on_delete=models.PROTECT, related_name="ledger_entries")
    account = models.CharField(max_length=16, choices=Account.choices)
    kind = models.CharField(max_length=20, choices=EntryKind.choices)
    amount = models.DecimalField(max_digits=12, decimal_places=2)
    posted_at = models.DateTimeField(db_index=True)
    service_date = models.DateField(null=True, blank=True)
    claim = models.ForeignKey(Claim, null=True, blank=True, on_delete=models.PROTECT, related_name="ledger_entries")
    charge = models.ForeignKey(Charge, null=True, blank=True, on_delete=models.PROTECT, related_name="ledger_entries")
    remittance = models.ForeignKey(Remittance, null=True, blank=True, on_delete=models.PROTECT,
                                   related_name="ledger_entries")
    invoice = models.ForeignKey("Invoice", null=True, blank=True, on_delete=models.PROTECT, related_name="ledger_entries")
    group_code = models.CharField(max_length=2, blank=True, help_text="CAS01: CO, PR, OA, PI.")
    reason_code = models.CharField(max_length=5, blank=True, help_text="CARC.")
    remark_codes = models.JSONField(default=list, blank=True, help_text="RARC.")
    method = models.CharField(max_length=20, blank=True, help_text="For patient payments: card, cash, check, hsa.")
    memo = models.CharField(max_length=300, blank=True)
    key = models.CharField(max_length=120, unique=True)
    username = models.CharField(max_length=150)

    objects = LedgerQuerySet.as_manager()

    class Meta:
        ordering = ["posted_at", "id"]
        indexes = [models.Index(fields=["patient", "account"])]

    def __str__(self) -> str:
        return f"{self.kind} {self.amount} ({self.account})"

    def save(self, *args, **kwargs):
        if self.pk is not None:
            raise TypeError("ledger entries are append-only")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise TypeError("ledger entries are append-only")


# ---------------------------------------------------------------------------------------------
# Direct pay: invoices, HSA/FSA letters of medical necessity
# ---------------------------------------------------------------------------------------------


class InvoiceStatus(models.TextChoices):
    DRAFT = "draft", "Draft"
    ISSUED = "issued", "Issued"
    PARTIAL = "partial", "Partially paid"
    PAID = "paid", "Paid"
    VOID = "void", "Void"


class Invoice(models.Model):
    """A bill to the patient for direct-pay services and products. Amounts paid are derived from the
    ledger (payment entries that name the invoice); the status is updated from them."""

    patient = models.ForeignKey(Patient, on_delete=models.PROTECT, related_name="invoices")
    number = models.CharField(max_length=20, unique=True)
    status = models.CharField(max_length=16, choices=InvoiceStatus.choices, default=InvoiceStatus.DRAFT,
                              db_index=True)
    issued_at = models.DateTimeField(null=True, blank=True)
    due_date = models.DateField(null=True, blank=True)
    void_reason = models.CharField(max_length=300, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"Invoice {self.number} ({self.status})"


class InvoiceLine(models.Model):
    """One line: a direct-pay charge from a visit, or a product/service added by hand (with tax)."""

    invoice = models.ForeignKey(Invoice, on_delete=models.CASCADE, related_name="lines")
    position = models.PositiveSmallIntegerField()
    charge = models.OneToOneField(Charge, null=True, blank=True, on_delete=models.PROTECT, related_name="invoice_line")
    description = models.CharField(max_length=200)
    procedure_code = models.CharField(max_length=5, blank=True)
    service_date = models.DateField()
    quantity = models.DecimalField(max_digits=8, decimal_places=2, default=Decimal(1))
    unit_price = models.DecimalField(max_digits=10, decimal_places=2)
    tax_rate = models.DecimalField(max_digits=5, decimal_places=4, default=Decimal(0),
                                   help_text="e.g. 0.0825 for 8.25% sales tax on products.")
    tax = models.DecimalField(max_digits=10, decimal_places=2, default=Decimal(0))
    amount = models.DecimalField(max_digits=10, decimal_places=2, help_text="Quantity x price + tax.")
    hsa_eligibility = models.CharField(max_length=16, help_text="eligible, needs_lmn or not_eligible (at sale).")

    class Meta:
        ordering = ["invoice_id", "position"]
        constraints = [models.UniqueConstraint(fields=["invoice", "position"], name="invoice_line_unique_position")]

    def __str__(self) -> str:
        return f"{self.description} {self.amount}"


class MedicalNecessityLetter(models.Model):
    """A practitioner's letter of medical necessity: makes 'needs LMN' services (e.g. massage)
    HSA/FSA-eligible for the patient while valid (IRS Pub. 502; plan practice, STANDARDS.md §4)."""

    patient = models.ForeignKey(Patient, on_delete=models.PROTECT, related_name="medical_necessity_letters")
    practitioner = models.ForeignKey(Practitioner, on_delete=models.PROTECT, related_name="+")
    diagnoses = models.JSONField(default=list)
    procedure_codes = models.JSONField(default=list, help_text="Services it covers, e.g. 97124.")
    frequency = models.CharField(max_length=100, help_text="e.g. weekly for 12 weeks")
    valid_from = models.DateField()
    valid_to = models.DateField()
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-valid_to", "-id"]
        constraints = [models.CheckConstraint(condition=models.Q(valid_from__lte=models.F("valid_to")),
                                              name="lmn_from_before_to")]

    def __str__(self) -> str:
        return f"LMN {self.valid_from}..{self.valid_to} for {', '.join(self.procedure_codes)}"


# ---------------------------------------------------------------------------------------------
# Packages and memberships
# ---------------------------------------------------------------------------------------------


class PlanKind(models.TextChoices):
    PACKAGE = "package", "Package (prepaid sessions)"
    MEMBERSHIP = "membership", "Membership (billed monthly)"


class PackagePlan(models.Model):
    """What the practice sells: '10 massages' (package) or 'monthly wellness: 1 acupuncture and 10% off'."""

    name = models.CharField(max_length=100, unique=True)
    kind = models.CharField(max_length=16, choices=PlanKind.choices)
    price = models.DecimalField(max_digits=10, decimal_places=2, validators=[MinValueValidator(Decimal("0.01"))],
                                help_text="Package: the whole price. Membership: per month.")
    procedure_codes = models.JSONField(default=list, help_text="Services the sessions (and discount) cover.")
    sessions = models.PositiveSmallIntegerField(help_text="Package: sessions in all. Membership: per month.")
    validity_days = models.PositiveSmallIntegerField(default=365, help_text="Package: days until unused sessions expire.")
    discount_percent = models.DecimalField(max_digits=5, decimal_places=2, default=Decimal(0),
                                           help_text="Membership: off other direct-pay services it covers.")
    is_active = models.BooleanField(default=True)

    class Meta:
        ordering = ["kind", "name"]

    def __str__(self) -> str:
        return self.name


class PurchaseStatus(models.TextChoices):
    ACTIVE = "active", "Active"
    PAUSED = "paused", "Paused"
    EXPIRED = "expired", "Expired"
    REFUNDED = "refunded", "Refunded"
    CANCELLED = "cancelled", "Cancelled"


class PackagePurchase(models.Model):
    """A patient's package or membership. Sessions used are derived from its uses."""

    patient = models.ForeignKey(Patient, on_delete=models.PROTECT, related_name="package_purchases")
    plan = models.ForeignKey(PackagePlan, on_delete=models.PROTECT, related_name="purchases")
    status = models.CharField(max_length=16, choices=PurchaseStatus.choices, default=PurchaseStatus.ACTIVE)
    purchased_at = models.DateTimeField()
    expires_on = models.DateField(null=True, blank=True, help_text="Package only.")
    price_paid = models.DecimalField(max_digits=10, decimal_places=2)
    sessions_total = models.PositiveSmallIntegerField()
    next_billing_date = models.DateField(null=True, blank=True, help_text="Membership only.")
    paused_until = models.DateField(null=True, blank=True)
    invoice = models.ForeignKey(Invoice, null=True, blank=True, on_delete=models.PROTECT, related_name="+")

    class Meta:
        ordering = ["-purchased_at", "-id"]

    def __str__(self) -> str:
        return f"{self.plan.name} ({self.status})"


class PackageUse(models.Model):
    """One session drawn from a package or membership for a direct-pay visit charge."""

    purchase = models.ForeignKey(PackagePurchase, on_delete=models.PROTECT, related_name="uses")
    charge = models.OneToOneField(Charge, on_delete=models.PROTECT, related_name="package_use")
    used_on = models.DateField()
    used_at = models.DateTimeField()

    class Meta:
        ordering = ["used_at", "id"]

    def __str__(self) -> str:
        return f"{self.charge.procedure_code} on {self.used_on}"


class MembershipBill(models.Model):
    """One monthly bill of a membership: unique per period, so the billing reconciler never bills twice."""

    purchase = models.ForeignKey(PackagePurchase, on_delete=models.PROTECT, related_name="bills")
    period_start = models.DateField()
    invoice = models.OneToOneField(Invoice, on_delete=models.PROTECT, related_name="membership_bill")

    class Meta:
        ordering = ["period_start"]
        constraints = [models.UniqueConstraint(fields=["purchase", "period_start"], name="membership_bill_once")]

    def __str__(self) -> str:
        return f"{self.purchase} {self.period_start}"


class Statement(models.Model):
    """A monthly statement sent to a patient who owes a balance; follow-ups at 30/60/90 days."""

    patient = models.ForeignKey(Patient, on_delete=models.PROTECT, related_name="statements")
    period_end = models.DateField()
    patient_due = models.DecimalField(max_digits=12, decimal_places=2)
    insurance_pending = models.DecimalField(max_digits=12, decimal_places=2)
    created_at = models.DateTimeField()
    emailed_to = models.CharField(max_length=254, blank=True)
    follow_ups = models.JSONField(default=list, blank=True, help_text="Days (30, 60, 90) a reminder went out.")

    class Meta:
        ordering = ["-period_end", "-id"]
        constraints = [models.UniqueConstraint(fields=["patient", "period_end"], name="statement_once_per_month")]

    def __str__(self) -> str:
        return f"Statement {self.period_end} {self.patient_due}"
