"""Console appointments under /console/<slug>/appointments/ (namespace console): the calendar by
associate and shop, booking for a client, an appointment with its pull list and its actions."""

from django.urls import path

from omnipresence.appointments import console_views as views

urlpatterns = [
    path("", views.appointments_calendar, name="appointments_calendar"),
    path("new/", views.appointment_new, name="appointment_new"),
    path("<int:appointment_id>/", views.appointment_page, name="appointment"),
    path("<int:appointment_id>/pull-list/", views.appointment_pull_add, name="appointment_pull_add"),
    path("<int:appointment_id>/pull-list/<int:item_id>/remove/", views.appointment_pull_remove,
         name="appointment_pull_remove"),
    path("<int:appointment_id>/reschedule/", views.appointment_reschedule, name="appointment_reschedule"),
    path("<int:appointment_id>/cancel/", views.appointment_cancel, name="appointment_cancel"),
    path("<int:appointment_id>/no-show/", views.appointment_no_show, name="appointment_no_show"),
    path("<int:appointment_id>/complete/", views.appointment_complete, name="appointment_complete"),
    path("<int:appointment_id>/meeting-link/", views.appointment_meeting_link, name="appointment_meeting_link"),
    path("<int:appointment_id>/join/", views.appointment_join, name="appointment_join"),
]
