from django.urls import path

from plexus.care import views

app_name = "care"
urlpatterns = [
    path("inbox/", views.inbox, name="inbox"),
    path("my-day/", views.my_day, name="my_day"),
    path("escalations/", views.escalations, name="escalations"),
    path("rules/", views.rules, name="rules"),
    path("measures/", views.measures, name="measures"),
    path("updates/<int:update_id>/acknowledge/", views.acknowledge, name="acknowledge"),
    path("updates/<int:update_id>/correct/", views.update_correct, name="update_correct"),
    path("patients/<int:patient_id>/", views.patient_panel, name="patient_panel"),
    path("patients/<int:patient_id>/team/add/", views.team_add, name="team_add"),
    path("patients/<int:patient_id>/team/<int:practitioner_id>/remove/", views.team_remove, name="team_remove"),
    path("patients/<int:patient_id>/updates/new/", views.update_new, name="update_new"),
    path("patients/<int:patient_id>/plan/", views.plan_save, name="plan_save"),
    path("patients/<int:patient_id>/consults/new/", views.consult_new, name="consult_new"),
    path("consults/<int:note_id>/review/", views.consult_review, name="consult_review"),
    path("checkins/", views.checkin_list, name="checkins"),
    path("checkins/search/", views.checkin_search, name="checkin_search"),
    path("checkins/book/", views.checkin_book, name="checkin_book"),
    path("checkins/<int:checkin_id>/", views.checkin_detail, name="checkin"),
    path("survey/<str:token>/", views.survey_page, name="survey"),
]
