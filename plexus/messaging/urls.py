from django.urls import path

from plexus.messaging import views

app_name = "messaging"
urlpatterns = [
    path("", views.log, name="log"),
    path("<int:message_id>/", views.message_detail, name="detail"),
    path("patients/<int:patient_id>/", views.patient_log, name="patient_log"),
    path("patients/<int:patient_id>/preferences/", views.preferences_edit, name="preferences"),
    path("requests/", views.requests_list, name="requests"),
    path("requests/<int:reply_id>/handled/", views.request_handled, name="request_handled"),
    path("templates/", views.templates, name="templates"),
    path("templates/<int:template_id>/", views.template_edit, name="template_edit"),
    path("templates/<int:template_id>/preview/", views.template_preview, name="template_preview"),
    path("unsubscribe/<str:token>/", views.unsubscribe, name="unsubscribe"),
    path("sms/inbound/", views.sms_inbound, name="sms_inbound"),
    path("sms/status/", views.sms_status, name="sms_status"),
]
