"""Django admin (at /django-admin/, superusers only). The audit log is read-only here too."""

from django.contrib import admin
from django.contrib.auth.admin import UserAdmin

from plexus.core.models import (
    ApiToken,
    AuditEvent,
    Discipline,
    Location,
    Payer,
    Practice,
    Practitioner,
    Room,
    Service,
    User,
)


@admin.register(User)
class PlexusUserAdmin(UserAdmin):
    fieldsets = (*UserAdmin.fieldsets, ("Plexus", {"fields": ("role",)}))
    list_display = ("username", "first_name", "last_name", "role", "is_active")


for model in (Practice, Location, Room, Discipline, Payer, Practitioner, Service):
    admin.site.register(model)


@admin.register(ApiToken)
class ApiTokenAdmin(admin.ModelAdmin):
    list_display = ("name", "prefix", "user", "created_at", "revoked_at")
    readonly_fields = ("prefix", "key_hash", "created_at", "last_used_at")


@admin.register(AuditEvent)
class AuditEventAdmin(admin.ModelAdmin):
    list_display = ("at", "username", "role", "action", "object_type", "object_id", "patient_id", "ip")
    list_filter = ("action", "role", "via")
    search_fields = ("username", "object_type", "object_id")

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
