"""Websocket routes of every domain, gathered in one place."""

from django.urls import path

from omnipresence.appointments.consumers import RoomConsumer
from omnipresence.inbox.consumers import StaffInboxConsumer
from omnipresence.inbox.widget_consumer import WidgetConsumer
from omnipresence.inventory.consumers import AvailabilityConsumer
from omnipresence.live.consumers import LiveConsumer
from omnipresence.visits.consumers import WalkInAlertConsumer

websocket_urlpatterns = [
    path("ws/availability/<slug:boutique>/<int:product_id>/", AvailabilityConsumer.as_asgi()),
    path("ws/console/<slug:slug>/alerts/", WalkInAlertConsumer.as_asgi()),
    path("ws/console/<slug:slug>/inbox/", StaffInboxConsumer.as_asgi()),  # the associate's inbox
    path("ws/chat/<str:key>/", WidgetConsumer.as_asgi()),  # the web chat widget (inbox.webchat)
    path("ws/live/<slug:slug>/<int:event_id>/", LiveConsumer.as_asgi()),  # live shopping (docs/live.md)
    path("ws/appointments/<slug:slug>/room/<str:room>/", RoomConsumer.as_asgi()),  # the room's shared cart
]
