"""Live shopping pages under /<slug>/live/ (namespace storefront): the boutique's events, the event
page (and, once ended, its replay), reserving and buying a featured piece, the chat without JS."""

from django.urls import path

from omnipresence.live import storefront_views as views

urlpatterns = [
    path("", views.live_events, name="live_events"),
    path("<int:event_id>/", views.live_event, name="live_event"),
    path("<int:event_id>/event.ics", views.live_event_ics, name="live_event_ics"),
    path("<int:event_id>/reserve/", views.live_reserve, name="live_reserve"),
    path("<int:event_id>/chat/", views.live_chat, name="live_chat"),
    path("<int:event_id>/reservations/<int:reservation_id>/release/", views.live_release, name="live_release"),
    path("<int:event_id>/reservations/<int:reservation_id>/buy/", views.live_checkout, name="live_checkout"),
]
