from django.urls import path

from plexus.records import views

app_name = "records"
urlpatterns = [
    path("forms/", views.form_list, name="forms"),
    path("forms/import/", views.form_import, name="form_import"),
    path("forms/<int:questionnaire_id>/", views.form_preview, name="form_preview"),
    path("forms/<int:questionnaire_id>/fhir/", views.form_fhir, name="form_fhir"),
    path("forms/<int:questionnaire_id>/publish/", views.form_publish, name="form_publish"),
    path("forms/<int:questionnaire_id>/retire/", views.form_retire, name="form_retire"),
    path("patients/<int:patient_id>/forms/", views.patient_forms, name="patient_forms"),
    path("responses/<int:response_id>/", views.response_detail, name="response"),
    path("responses/<int:response_id>/pdf/", views.response_pdf, name="response_pdf"),
]
