"""The appointment room under /<slug>/appointments/room/ (namespace storefront): video, countdown, shared cart."""

from django.urls import path

from omnipresence.appointments import room_views

urlpatterns = [
    path("<str:room>/", room_views.room_page, name="appointment_room"),
    path("<str:room>/cart/", room_views.room_cart, name="appointment_room_cart"),
    path("<str:room>/action/", room_views.room_action, name="appointment_room_action"),
]
