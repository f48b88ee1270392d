from django.contrib import admin

from plexus.patients.models import Coverage, Patient

admin.site.register(Patient)
admin.site.register(Coverage)
