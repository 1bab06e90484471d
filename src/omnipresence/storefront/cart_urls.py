"""The bag, checkout and order confirmation of one boutique, included under /<slug>/."""

from django.urls import path

from omnipresence.storefront import cart_views

urlpatterns = [
    path("cart/", cart_views.bag_page, name="cart"),
    path("cart/add/", cart_views.bag_add, name="cart_add"),
    path("cart/lines/<int:line_id>/", cart_views.bag_line, name="cart_line"),
    path("cart/code/", cart_views.bag_code, name="cart_code"),
    path("checkout/", cart_views.checkout, name="checkout"),
    path("orders/<str:token>/", cart_views.order_confirmation, name="order"),
    path("orders/<str:token>/pay/", cart_views.order_pay, name="order_pay"),
]
