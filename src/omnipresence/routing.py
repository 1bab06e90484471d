"""Websocket routes of every domain, gathered in one place."""

from django.urls import path

from omnipresence.inventory.consumers import AvailabilityConsumer
from omnipresence.visits.consumers import WalkInAlertConsumer

websocket_urlpatterns = [
    path("ws/availability/<slug:boutique>/<int:product_id>/", AvailabilityConsumer.as_asgi()),
    path("ws/console/<slug:slug>/alerts/", WalkInAlertConsumer.as_asgi()),
]
