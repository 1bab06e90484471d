"""Her side of appointments under /<slug>/appointments/ (namespace storefront): the types, the booking
page with its slot calendar, and her link (its .ics, reschedule, cancel, join)."""

from django.urls import path

from omnipresence.appointments import storefront_views as views

TOKEN = "<str:token>"
urlpatterns = [
    path("", views.appointment_types, name="appointments"),
    path("book/<int:type_id>/", views.appointment_book, name="appointment_book"),
    path(f"{TOKEN}/", views.appointment_link, name="appointment_link"),
    path(f"{TOKEN}/invite.ics", views.appointment_invite, name="appointment_invite"),
    path(f"{TOKEN}/reschedule/", views.appointment_reschedule, name="appointment_reschedule"),
    path(f"{TOKEN}/cancel/", views.appointment_cancel, name="appointment_cancel"),
    path(f"{TOKEN}/join/", views.appointment_join, name="appointment_join"),
]
