from django.urls import path

from plexus.billing import views

app_name = "billing"
urlpatterns = [
    path("eligibility/", views.eligibility, name="eligibility"),
    path("eligibility/<int:check_id>/", views.check_detail, name="check_detail"),
    path("eligibility/patients/<int:patient_id>/", views.patient_panel, name="patient_panel"),
    path("x12/import/", views.x12_upload, name="x12_import"),
]
