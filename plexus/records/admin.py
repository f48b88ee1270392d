from django.contrib import admin

from plexus.records.models import Questionnaire, QuestionnaireResponse


@admin.register(Questionnaire)
class QuestionnaireAdmin(admin.ModelAdmin):
    """Read-only: versions change only through import, publish and retire (services)."""

    list_display = ("title", "slug", "version", "status", "scored", "source", "published_at")
    list_filter = ("status", "source", "scored")
    search_fields = ("title", "slug")

    def has_change_permission(self, request, obj=None):
        return False

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(QuestionnaireResponse)
class QuestionnaireResponseAdmin(admin.ModelAdmin):
    list_display = ("questionnaire", "patient", "status", "started_at", "completed_at")
    list_filter = ("status",)
    raw_id_fields = ("patient", "questionnaire", "started_by", "completed_by")

    def has_change_permission(self, request, obj=None):
        return False

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
