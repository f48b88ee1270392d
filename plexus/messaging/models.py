"""Patient communications: templates, the delivery log (one row per outbound message), contact
preferences (consent, opt-outs, quiet hours) and inbound replies.

A message is written (status ``queued``) before anything is sent and marked ``sent`` after the
provider accepts it, so a worker that dies in between loses nothing (see services.messages_send_due).
``dedupe_key`` is unique: the same reminder can never be queued twice.
"""

from __future__ import annotations

from datetime import time

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.utils import timezone

from plexus.patients.models import Patient


class Channel(models.TextChoices):
    EMAIL = "email", "Email"
    SMS = "sms", "Text message"


class Kind(models.TextChoices):
    REMINDER = "reminder", "Reminder"
    UPDATED = "updated", "Visit changed"
    CANCELLED = "cancelled", "Visit cancelled"
    CONFIRMATION = "confirmation", "Confirmation received"
    SURVEY = "survey", "Care-coordination survey"
    INTAKE = "intake", "Intake forms link"
    WAITLIST_OFFER = "waitlist_offer", "Waitlist offer"


class Language(models.TextChoices):
    EN = "en", "English"
    ES = "es", "Spanish"


class MessageTemplate(models.Model):
    """The wording of one kind of message on one channel in one language. Placeholders such as
    ``{date}`` are checked against a whitelist when the template is saved (templating.py)."""

    kind = models.CharField(max_length=16, choices=Kind.choices)
    channel = models.CharField(max_length=8, choices=Channel.choices)
    language = models.CharField(max_length=2, choices=Language.choices)
    subject = models.CharField(max_length=200, blank=True, help_text="Email only. No clinical detail.")
    body = models.TextField()
    updated_at = models.DateTimeField(default=timezone.now)
    updated_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                   related_name="+")

    class Meta:
        ordering = ["kind", "channel", "language"]
        constraints = [models.UniqueConstraint(fields=["kind", "channel", "language"], name="template_unique_kind")]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} · {self.get_channel_display()} · {self.get_language_display()}"

    def clean(self) -> None:
        from plexus.messaging.templating import template_errors

        errors = template_errors(channel=self.channel, subject=self.subject, body=self.body)
        if errors:
            raise ValidationError({e.field: e.message for e in errors})


class Status(models.TextChoices):
    QUEUED = "queued", "Queued"
    SENDING = "sending", "Sending"
    SENT = "sent", "Sent"
    DELIVERED = "delivered", "Delivered"
    FAILED = "failed", "Failed"
    BOUNCED = "bounced", "Bounced"
    WITHDRAWN = "withdrawn", "Withdrawn"  # no longer applies (visit changed, patient opted out)


OPEN = (Status.QUEUED, Status.SENDING)
INFORMED = (Status.SENDING, Status.SENT, Status.DELIVERED)  # the patient (may) have received it


class Message(models.Model):
    """One outbound email or text message and what happened to it."""

    patient = models.ForeignKey(Patient, on_delete=models.PROTECT, related_name="messages")
    channel = models.CharField(max_length=8, choices=Channel.choices)
    kind = models.CharField(max_length=16, choices=Kind.choices)
    language = models.CharField(max_length=2, choices=Language.choices, default=Language.EN)
    to = models.CharField(max_length=254)
    subject = models.CharField(max_length=200, blank=True)
    body = models.TextField()
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.QUEUED, db_index=True)
    provider_id = models.CharField(max_length=200, blank=True, db_index=True)
    error = models.CharField(max_length=500, blank=True)
    attempts = models.PositiveSmallIntegerField(default=0)
    next_attempt_at = models.DateTimeField(db_index=True)
    claimed_at = models.DateTimeField(null=True, blank=True)
    dedupe_key = models.CharField(max_length=200, unique=True)
    ref = models.CharField(max_length=80, blank=True, db_index=True,
                           help_text="What the message is about, e.g. visit_block:42 (owned by a higher layer).")
    version = models.CharField(max_length=40, blank=True, help_text="Fingerprint of the subject when composed.")
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                   related_name="+")
    created_at = models.DateTimeField(default=timezone.now, db_index=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    delivered_at = models.DateTimeField(null=True, blank=True)
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["status", "next_attempt_at"]), models.Index(fields=["patient", "created_at"])]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.get_channel_display()} to {self.to} ({self.status})"


class ContactPreference(models.Model):
    """How a patient may be contacted. Created from the patient's own fields the first time it is
    needed (services.preference_for); opt-outs are recorded with their time."""

    patient = models.OneToOneField(Patient, on_delete=models.CASCADE, related_name="contact_preference")
    email_enabled = models.BooleanField("reminders by email", default=True)
    sms_enabled = models.BooleanField("reminders by text", default=True)
    email_consent = models.BooleanField("consents to email", default=False)
    sms_consent = models.BooleanField("consents to text messages", default=False)
    email_opted_out_at = models.DateTimeField("unsubscribed from email", null=True, blank=True)
    sms_opted_out_at = models.DateTimeField("replied STOP", null=True, blank=True)
    language = models.CharField(max_length=2, choices=Language.choices, default=Language.EN)
    quiet_start = models.TimeField(default=time(21), help_text="No texts from this local time…")
    quiet_end = models.TimeField(default=time(8), help_text="…until this local time (patient's time zone).")
    updated_at = models.DateTimeField(default=timezone.now)

    def __str__(self) -> str:
        return f"Contact preferences of {self.patient_id}"


class ReplyAction(models.TextChoices):
    OPT_OUT = "opt_out", "Opt out (STOP)"
    OPT_IN = "opt_in", "Opt in (START)"
    CONFIRM = "confirm", "Confirm"
    CANCEL = "cancel", "Cancel"
    RESCHEDULE = "reschedule", "Asked to reschedule"
    UNSUBSCRIBE = "unsubscribe", "Email unsubscribe"
    UNKNOWN = "unknown", "Not understood"


class PatientReply(models.Model):
    """Something a patient (or an unknown sender) told us: an SMS reply, a link clicked. Kept even
    when nothing could be done with it (unknown number, expired link), with the reason."""

    channel = models.CharField(max_length=8)  # sms | web | email
    patient = models.ForeignKey(Patient, null=True, blank=True, on_delete=models.PROTECT, related_name="replies")
    sender = models.CharField(max_length=254, blank=True)
    body = models.CharField(max_length=500, blank=True)
    action = models.CharField(max_length=16, choices=ReplyAction.choices)
    ref = models.CharField(max_length=80, blank=True, db_index=True)
    ok = models.BooleanField(default=False)
    result = models.CharField(max_length=300, blank=True)
    provider_id = models.CharField(max_length=200, blank=True)
    received_at = models.DateTimeField(default=timezone.now, db_index=True)
    handled_at = models.DateTimeField(null=True, blank=True, help_text="When staff acted on a request "
                                                                        "(e.g. rebooked an asked-for reschedule).")
    handled_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                   related_name="+")
    handled_note = models.CharField(max_length=200, blank=True)

    class Meta:
        ordering = ["-received_at", "-id"]

    def __str__(self) -> str:
        return f"{self.get_action_display()} from {self.sender or self.patient_id}"
