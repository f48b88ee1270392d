from django.contrib import admin

from plexus.messaging.models import ContactPreference, Message, MessageTemplate, PatientReply


@admin.register(MessageTemplate)
class MessageTemplateAdmin(admin.ModelAdmin):
    list_display = ("kind", "channel", "language", "subject", "updated_at")
    list_filter = ("kind", "channel", "language")


@admin.register(Message)
class MessageAdmin(admin.ModelAdmin):
    list_display = ("created_at", "patient", "kind", "channel", "to", "status", "attempts")
    list_filter = ("status", "channel", "kind")
    raw_id_fields = ("patient", "created_by")
    readonly_fields = ("dedupe_key", "provider_id")


@admin.register(ContactPreference)
class ContactPreferenceAdmin(admin.ModelAdmin):
    list_display = ("patient", "email_consent", "sms_consent", "email_opted_out_at", "sms_opted_out_at", "language")
    raw_id_fields = ("patient",)


@admin.register(PatientReply)
class PatientReplyAdmin(admin.ModelAdmin):
    list_display = ("received_at", "channel", "sender", "action", "ok", "result")
    list_filter = ("channel", "action", "ok")
    raw_id_fields = ("patient",)
