from django.urls import path

from plexus.billing import views

app_name = "billing"
urlpatterns = [
    path("eligibility/", views.eligibility, name="eligibility"),
    path("eligibility/upcoming/", views.eligibility_upcoming, name="eligibility_upcoming"),
    path("eligibility/<int:check_id>/", views.check_detail, name="check_detail"),
    path("eligibility/patients/<int:patient_id>/", views.patient_panel, name="patient_panel"),
    path("x12/import/", views.x12_upload, name="x12_import"),
]

from plexus.billing import views_claims  # noqa: E402

urlpatterns += [
    path("charges/", views_claims.charge_review, name="charges"),
    path("encounters/new/<int:appointment_id>/", views_claims.encounter_new, name="encounter_new"),
    path("encounters/<int:encounter_id>/approve/", views_claims.encounter_approve, name="encounter_approve"),
    path("claims/", views_claims.claims_list, name="claims"),
    path("claims/<int:claim_id>/", views_claims.claim_detail, name="claim_detail"),
    path("batches/<int:batch_id>/", views_claims.batch_detail, name="batch_detail"),
    path("denials/", views_claims.denials, name="denials"),
    path("aging/", views_claims.aging, name="aging"),
    path("payments/", views_claims.payments_report, name="payments"),
    path("patients/<int:patient_id>/account/", views_claims.patient_account, name="patient_account"),
    path("eligibility/day/", views_claims.day_eligibility, name="day_eligibility"),
    path("blocks/<int:block_id>/coverage/", views_claims.block_coverage, name="block_coverage"),
    path("patients/<int:patient_id>/invoices/new/", views_claims.invoice_new, name="invoice_new"),
    path("invoices/<int:invoice_id>/", views_claims.invoice_detail, name="invoice_detail"),
    path("patients/<int:patient_id>/letters/new/", views_claims.letter_new, name="letter_new"),
    path("patients/<int:patient_id>/superbill/", views_claims.superbill, name="superbill"),
    path("patients/<int:patient_id>/packages/", views_claims.packages_action, name="packages_action"),
    path("patients/<int:patient_id>/statement/", views_claims.statement, name="statement"),
    path("pay/<str:token>/", views_claims.pay_link, name="pay_link"),
    path("checkout/<int:block_id>/", views_claims.checkout_view, name="checkout"),
]
