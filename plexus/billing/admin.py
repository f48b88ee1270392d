from django.contrib import admin

from plexus.billing.models import BenefitLine, EligibilityCheck, UnmatchedResponse


class BenefitLineInline(admin.TabularInline):
    model = BenefitLine
    extra = 0


@admin.register(EligibilityCheck)
class EligibilityCheckAdmin(admin.ModelAdmin):
    list_display = ("trace_number", "patient", "status", "transport", "created_at")
    list_filter = ("status", "transport")
    raw_id_fields = ("patient", "coverage", "requested_by")
    inlines = [BenefitLineInline]


@admin.register(UnmatchedResponse)
class UnmatchedResponseAdmin(admin.ModelAdmin):
    list_display = ("trace_number", "payer_name", "member_id", "received_at", "resolved_at")
