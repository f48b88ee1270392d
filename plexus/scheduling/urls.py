from django.urls import path

from plexus.scheduling import views, views_booking

app_name = "scheduling"
urlpatterns = [
    path("", views.day, name="day"),
    path("grid/", views.calendar_grid, name="grid"),
    path("week/", views.week, name="week"),
    path("board/", views.check_in_board, name="board"),
    path("book/", views_booking.book, name="book"),
    path("book/patients/", views_booking.patient_pick, name="patient_pick"),
    path("book/search/", views_booking.search, name="search"),
    path("book/confirm/", views_booking.confirm, name="confirm"),
    path("blocks/<int:block_id>/", views.block_detail, name="block"),
    path("blocks/<int:block_id>/cancel/", views.block_cancel, name="block_cancel"),
    path("blocks/<int:block_id>/check-in/", views.block_check_in, name="block_check_in"),
    path("blocks/<int:block_id>/reschedule/", views_booking.reschedule, name="reschedule"),
    path("appointments/<int:appointment_id>/reschedule/", views_booking.component_reschedule,
         name="component_reschedule"),
    path("appointments/<int:appointment_id>/cancel/", views_booking.component_cancel, name="component_cancel"),
    path("patients/<int:patient_id>/visits/", views.patient_visits, name="patient_visits"),
    path("feeds/<str:token>.ics", views.feed, name="feed"),
]

# Reminders (plexus/scheduling/views_reminders.py): staff preview / send now, and the patient's signed link.
from plexus.scheduling import views_reminders  # noqa: E402

urlpatterns += [
    path("blocks/<int:block_id>/reminders/", views_reminders.block_reminders, name="block_reminders"),
    path("blocks/<int:block_id>/reminders/send/", views_reminders.block_reminder_send, name="block_reminder_send"),
    path("visit/<str:token>/", views_reminders.visit_link, name="visit_link"),
]

# Referrals, recurring series and the waitlist (plexus/scheduling/views_care.py).
from plexus.scheduling import views_care  # noqa: E402

urlpatterns += [
    path("referrals/", views_care.referral_list, name="referrals"),
    path("referrals/new/", views_care.referral_new, name="referral_new"),
    path("referrals/patients/", views_care.referral_patient_pick, name="referral_patient_pick"),
    path("referrals/<int:referral_id>/", views_care.referral_detail, name="referral"),
    path("referrals/<int:referral_id>/cancel/", views_care.referral_cancel, name="referral_cancel"),
    path("referrals/<int:referral_id>/waitlist/", views_care.referral_waitlist, name="referral_waitlist"),
    path("series/new/", views_care.series_new, name="series_new"),
    path("series/preview/", views_care.series_preview, name="series_preview"),
    path("series/book/", views_care.series_book, name="series_book"),
    path("series/<int:series_id>/", views_care.series_detail, name="series"),
    path("series/<int:series_id>/cancel/", views_care.series_cancel, name="series_cancel"),
    path("waitlist/", views_care.waitlist_board, name="waitlist"),
    path("waitlist/new/", views_care.waitlist_new, name="waitlist_new"),
    path("waitlist/offers/<int:offer_id>/accept/", views_care.offer_accept, name="offer_accept"),
    path("waitlist/offers/<int:offer_id>/decline/", views_care.offer_decline, name="offer_decline"),
    path("waitlist/<int:entry_id>/remove/", views_care.entry_remove, name="entry_remove"),
]

# Waitlist offers answered by the patient (plexus/scheduling/views_offers.py): public, signed link.
from plexus.scheduling import views_offers  # noqa: E402

urlpatterns += [path("offer/<str:token>/", views_offers.offer_link, name="offer_link")]
