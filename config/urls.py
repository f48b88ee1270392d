from django.contrib import admin
from django.urls import include, path

from config.api import api

urlpatterns = [
    path("api/", api.urls),
    path("django-admin/", admin.site.urls),
    path("patients/", include("plexus.patients.urls")),
    path("", include("plexus.core.urls")),
]
