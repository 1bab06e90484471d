"""Order pages under /console/<slug>/… (names in the console namespace: console:orders, …)."""

from django.urls import path

from omnipresence.console import order_views as views

urlpatterns = [
    path("orders/", views.order_index, name="orders"),
    path("orders/<int:order_id>/gift-card/", views.order_gift_card, name="order_gift_card"),
    path("orders/<int:order_id>/receipt/", views.order_receipt, name="order_receipt"),
    path("orders/<int:order_id>/receipt/email/", views.order_receipt_send, name="order_receipt_send"),
    path("orders/<int:order_id>/return/", views.order_return, name="order_return"),
    path("holds/<int:hold_id>/ring-up/", views.hold_ring_up, name="hold_ring_up"),
]
