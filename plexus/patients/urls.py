from django.urls import path

from plexus.patients import views

app_name = "patients"
urlpatterns = [
    path("", views.search, name="search"),
    path("new/", views.patient_new, name="new"),
    path("import/", views.import_csv, name="import"),
    path("<int:patient_id>/", views.chart, name="chart"),
    path("<int:patient_id>/tab/<slug:tab>/", views.chart, name="chart_tab"),
    path("<int:patient_id>/edit/", views.patient_edit, name="edit"),
    path("<int:patient_id>/coverages/new/", views.coverage_new, name="coverage_new"),
]
