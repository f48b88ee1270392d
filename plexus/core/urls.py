from django.urls import path

from plexus.core import views

urlpatterns = [
    path("", views.home, name="home"),
    path("login/", views.LoginView.as_view(), name="login"),
    path("logout/", views.LogoutView.as_view(), name="logout"),
    path("setup/", views.setup, name="setup"),
    path("setup/practice/edit/", views.practice_edit, name="practice_edit"),
    path("setup/locations/new/", views.location_new, name="location_new"),
    path("setup/rooms/new/", views.room_new, name="room_new"),
    path("setup/payers/new/", views.payer_new, name="payer_new"),
    path("setup/practitioners/new/", views.practitioner_new, name="practitioner_new"),
    path("setup/services/new/", views.service_new, name="service_new"),
    path("setup/users/new/", views.user_new, name="user_new"),
    path("setup/<slug:tab>/", views.setup, name="setup_tab"),
    path("audit/", views.audit, name="audit"),
    path("theme/disciplines.css", views.discipline_css, name="discipline_css"),
    path("tokens/", views.tokens, name="tokens"),
    path("tokens/<int:token_id>/revoke/", views.token_revoke, name="token_revoke"),
]
