from django.contrib import admin
from django.urls import include, path

from config.api import api

urlpatterns = [
    path("api/", api.urls),
    path("django-admin/", admin.site.urls),
    path("patients/", include("plexus.patients.urls")),
    path("schedule/", include("plexus.scheduling.urls")),
    path("billing/", include("plexus.billing.urls")),
    path("messaging/", include("plexus.messaging.urls")),
    path("records/", include("plexus.records.urls")),
    path("care/", include("plexus.care.urls")),
    path("", include("plexus.core.urls")),
]
