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

# Intake packets, the patient portal and the review checklist (plexus/records/views_portal.py, views_intake.py).
from plexus.records import views_intake, views_portal  # noqa: E402

urlpatterns += [
    path("portal/<str:token>/", views_portal.portal_home, name="portal"),
    path("portal/<str:token>/upload/", views_portal.portal_upload, name="portal_upload"),
    path("portal/<str:token>/forms/<int:form_id>/", views_portal.portal_form, name="portal_form"),
    path("portal/<str:token>/forms/<int:form_id>/<slug:page>/", views_portal.portal_form, name="portal_page"),
    path("intake/", views_intake.intake_board, name="intake_board"),
    path("intake/<int:packet_id>/send/", views_intake.packet_send, name="packet_send"),
    path("patients/<int:patient_id>/intake/", views_intake.patient_intake, name="patient_intake"),
    path("review/", views_intake.review_list, name="review"),
    path("review/sign/", views_intake.review_sign, name="review_sign"),
    path("readiness/", views_intake.day_readiness, name="day_readiness"),
]

# Documents, records requests and external shares (views_documents.py).
from plexus.records import views_documents as vd  # noqa: E402

urlpatterns += [
    path("patients/<int:patient_id>/documents/", vd.patient_documents, name="patient_documents"),
    path("patients/<int:patient_id>/documents/upload/", vd.document_upload, name="document_upload"),
    path("patients/<int:patient_id>/documents/fhir/", vd.patient_documents_fhir, name="patient_documents_fhir"),
    path("documents/<int:document_id>/", vd.document_content, name="document"),
    path("documents/<int:document_id>/fhir/", vd.document_fhir, name="document_fhir"),
    path("patients/<int:patient_id>/shares/", vd.patient_shares, name="patient_shares"),
    path("patients/<int:patient_id>/referral-letter/", vd.referral_letter, name="referral_letter"),
    path("shares/<int:share_id>/", vd.share_detail, name="share_detail"),
    path("shares/<int:share_id>/revoke/", vd.share_revoke, name="share_revoke"),
    path("shared/<str:token>/", vd.shared_link, name="shared"),
    path("shared/<str:token>/documents/<int:document_id>/", vd.shared_document, name="shared_document"),
    path("requests/", vd.request_tracker, name="requests"),
    path("requests/new/", vd.request_new, name="request_new"),
    path("requests/<int:request_id>/", vd.request_detail, name="request_detail"),
    path("requests/<int:request_id>/extend/", vd.request_extend, name="request_extend"),
    path("requests/<int:request_id>/fulfil/", vd.request_fulfil, name="request_fulfil"),
    path("requests/<int:request_id>/deny/", vd.request_deny, name="request_deny"),
]
