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


# ----- documents, records requests and external sharing ------------------------------------------


class DocumentType(models.TextChoices):
    INTAKE = "intake", "Intake"
    LAB_RESULT = "lab_result", "Lab result"
    IMAGING = "imaging", "Imaging"
    EXTERNAL_CONSULT_NOTE = "external_consult_note", "External consult note"
    CONSENT = "consent", "Consent"
    INSURANCE_CARD_FRONT = "insurance_card_front", "Insurance card (front)"
    INSURANCE_CARD_BACK = "insurance_card_back", "Insurance card (back)"
    PHOTO_ID = "photo_id", "Photo ID"
    PRIOR_RECORDS = "prior_records", "Prior records"
    RECORDS_RELEASE = "records_release", "Records release (authorisation)"
    LETTER = "letter", "Letter"


# Administrative types: any role with documents.view may open them; every other type is clinical
# content and needs clinical.view (minimum necessary, 164.502(b)).
ADMINISTRATIVE_TYPES = frozenset({
    DocumentType.CONSENT, DocumentType.INSURANCE_CARD_FRONT, DocumentType.INSURANCE_CARD_BACK,
    DocumentType.PHOTO_ID, DocumentType.RECORDS_RELEASE,
})


def _document_storage():
    from plexus.records.storage import documents_storage

    return documents_storage()


class Document(models.Model):
    """A file in a patient's record, stored through Django's storage API (plexus.records.storage),
    filed by type and discipline. The bytes were checked by content when stored (files.py)."""

    patient = models.ForeignKey("patients.Patient", on_delete=models.PROTECT, related_name="documents")
    doc_type = models.CharField(max_length=24, choices=DocumentType.choices)
    title = models.CharField(max_length=200, blank=True)
    source = models.CharField(max_length=200, help_text="Where it came from, e.g. 'patient portal', 'Quest Diagnostics'.")
    service_date = models.DateField(null=True, blank=True, help_text="Date of service the document concerns.")
    disciplines = models.JSONField(default=list, blank=True, help_text="Discipline codes it concerns.")
    file = models.FileField(storage=_document_storage, max_length=300)
    original_name = models.CharField(max_length=255, blank=True)
    content_type = models.CharField(max_length=100)
    size = models.PositiveBigIntegerField()
    sha256 = models.CharField(max_length=64)
    is_psychotherapy_note = models.BooleanField(
        default=False, help_text="Psychotherapy notes (164.501) are never released under the right of access.")
    uploaded_at = models.DateTimeField()
    uploaded_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                    related_name="+")

    class Meta:
        ordering = ["-uploaded_at", "-id"]
        indexes = [models.Index(fields=["patient", "doc_type"])]

    def __str__(self) -> str:
        return f"{self.get_doc_type_display()} for patient {self.patient_id}"

    @property
    def is_clinical(self) -> bool:
        return self.doc_type not in ADMINISTRATIVE_TYPES


class RequesterKind(models.TextChoices):
    PATIENT = "patient", "Patient"
    THIRD_PARTY = "third_party", "Third party (authorisation on file)"


class RequestStatus(models.TextChoices):
    OPEN = "open", "Open"
    EXTENDED = "extended", "Extended"
    FULFILLED = "fulfilled", "Fulfilled"
    DENIED = "denied", "Denied"


class DeliveryMethod(models.TextChoices):
    PORTAL = "portal", "Portal"
    EMAIL = "email", "Email"
    MAIL = "mail", "Mail"
    PICKUP = "pickup", "Pickup"


class RecordsRequest(models.Model):
    """A request for a copy of a patient's records (HIPAA right of access, 45 CFR 164.524): due 30
    days after receipt; one extension of up to 30 days with a written reason and a notice."""

    patient = models.ForeignKey("patients.Patient", on_delete=models.PROTECT, related_name="records_requests")
    requester_kind = models.CharField(max_length=12, choices=RequesterKind.choices)
    requester_name = models.CharField(max_length=200)
    requester_email = models.EmailField(blank=True)
    requester_address = models.TextField(blank=True)
    authorisation = models.ForeignKey(Document, null=True, blank=True, on_delete=models.PROTECT, related_name="+",
                                      help_text="The records_release document authorising a third party.")
    authorisation_reference = models.CharField(max_length=200, blank=True)
    scope = models.TextField(blank=True, help_text="What was asked for.")
    received_on = models.DateField()
    due_on = models.DateField()
    status = models.CharField(max_length=10, choices=RequestStatus.choices, default=RequestStatus.OPEN)
    extended_at = models.DateTimeField(null=True, blank=True)
    extension_reason = models.TextField(blank=True)
    extension_notice_sent_at = models.DateTimeField(null=True, blank=True)
    extension_notice_method = models.CharField(max_length=10, blank=True)
    documents_sent = models.ManyToManyField(Document, blank=True, related_name="released_in")
    delivery_method = models.CharField(max_length=8, choices=DeliveryMethod.choices, blank=True)
    fulfilled_at = models.DateTimeField(null=True, blank=True)
    denied_at = models.DateTimeField(null=True, blank=True)
    denial_reason = models.TextField(blank=True)
    created_at = models.DateTimeField()
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                   related_name="+")

    class Meta:
        ordering = ["due_on", "id"]
        constraints = [
            models.CheckConstraint(condition=models.Q(status__in=["open", "extended", "fulfilled", "denied"]),
                                   name="records_request_status"),
        ]

    def __str__(self) -> str:
        return f"Records request {self.pk} ({self.get_status_display()})"


class DocumentShare(models.Model):
    """Selected documents of one patient shared with an outside specialist for one purpose through
    an expiring signed link; optional passcode (hashed), attempts limited; revocable."""

    patient = models.ForeignKey("patients.Patient", on_delete=models.PROTECT, related_name="document_shares")
    documents = models.ManyToManyField(Document, related_name="shares")
    recipient_name = models.CharField(max_length=200)
    recipient_email = models.EmailField(blank=True)
    purpose = models.CharField(max_length=200)
    expires_at = models.DateTimeField()
    passcode_hash = models.CharField(max_length=200, blank=True)
    failed_attempts = models.PositiveSmallIntegerField(default=0)
    locked = models.BooleanField(default=False)
    revoked_at = models.DateTimeField(null=True, blank=True)
    revoked_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                   related_name="+")
    created_at = models.DateTimeField()
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                   related_name="+")

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"Share {self.pk} with {self.recipient_name}"


class ShareAccess(models.Model):
    """One attempt to use a share link: when, from where, and what happened."""

    share = models.ForeignKey(DocumentShare, null=True, on_delete=models.PROTECT, related_name="accesses")
    at = models.DateTimeField()
    ip = models.GenericIPAddressField(null=True, blank=True)
    user_agent = models.CharField(max_length=300, blank=True)
    outcome = models.CharField(max_length=16)  # opened | file | passcode_wrong | locked | expired | revoked | tampered
    document = models.ForeignKey(Document, null=True, blank=True, on_delete=models.PROTECT, related_name="+")

    class Meta:
        ordering = ["-at", "-id"]

    def __str__(self) -> str:
        return f"{self.outcome} at {self.at:%Y-%m-%d %H:%M}"
