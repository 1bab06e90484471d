"""Selling pages under /console/<slug>/… (names in the console namespace: console:sell, …)."""

from django.urls import path

from omnipresence.console import sell_views as views

urlpatterns = [
    path("sell/", views.sale_start, name="sell"),
    path("sell/<int:cart_id>/", views.cart_page, name="sell_cart"),
    path("sell/<int:cart_id>/search/", views.cart_search, name="sell_search"),
    path("sell/<int:cart_id>/add/", views.cart_add, name="sell_add"),
    path("sell/<int:cart_id>/lines/<int:line_id>/", views.cart_line, name="sell_line"),
    path("sell/<int:cart_id>/code/", views.cart_code, name="sell_code"),
    path("sell/<int:cart_id>/checkout/", views.cart_checkout, name="sell_checkout"),
    path("sell/<int:cart_id>/pay-link/", views.cart_pay_link, name="sell_pay_link"),
    path("orders/<int:order_id>/", views.order_page, name="sell_order"),
    path("orders/<int:order_id>/payments/", views.order_payment, name="sell_payment"),
    path("orders/<int:order_id>/card/", views.order_card, name="sell_card"),
    path("pay-links/", views.pay_link_index, name="pay_links"),
    path("pay-links/<int:link_id>/", views.pay_link_page, name="pay_link"),
    path("pay-links/<int:link_id>/revoke/", views.pay_link_revoke, name="pay_link_revoke"),
]
