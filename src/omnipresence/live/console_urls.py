"""The console's live shopping pages under /console/<slug>/live/ (namespace console): the events
(and scheduling one), the host view of an event and its actions."""

from django.urls import path

from omnipresence.live import console_views as views

urlpatterns = [
    path("", views.live_events, name="live_events"),
    path("<int:event_id>/", views.live_host, name="live_host"),
    path("<int:event_id>/sales/", views.live_sales, name="live_sales"),
    path("<int:event_id>/start/", views.live_start, name="live_start"),
    path("<int:event_id>/end/", views.live_end, name="live_end"),
    path("<int:event_id>/replay/", views.live_replay, name="live_replay"),
    path("<int:event_id>/moments/<int:pin_id>/", views.live_moment, name="live_moment"),
    path("<int:event_id>/featured/", views.live_featured, name="live_featured"),
    path("<int:event_id>/pin/", views.live_pin, name="live_pin"),
    path("<int:event_id>/slow-mode/", views.live_slow_mode, name="live_slow_mode"),
    path("<int:event_id>/messages/", views.live_message, name="live_message"),
    path("<int:event_id>/messages/<int:message_id>/hide/", views.live_hide, name="live_hide"),
    path("<int:event_id>/messages/<int:message_id>/ban/", views.live_ban, name="live_ban"),
    path("<int:event_id>/messages/<int:message_id>/unban/", views.live_unban, name="live_unban"),
]
