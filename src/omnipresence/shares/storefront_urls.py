"""The client's lookbook pages, under /<slug>/s/ (namespace storefront)."""

from django.urls import path

from omnipresence.shares import storefront_views

TOKEN = "<str:token>"
urlpatterns = [
    path(f"{TOKEN}/", storefront_views.share_page, name="share"),
    path(f"{TOKEN}/ask/", storefront_views.share_ask, name="share_ask"),
    path(f"{TOKEN}/hold/", storefront_views.share_hold, name="share_hold"),
    path(f"{TOKEN}/buy/", storefront_views.share_buy, name="share_buy"),
]
