"""Her account in one boutique, at /<slug>/account/ (inside the storefront namespace)."""

from django.urls import path

from omnipresence.accounts import privacy_views, views

urlpatterns = [
    path("", views.boutique_account, name="account_boutique"),
    path("wishlist/", views.wishlist, name="account_wishlist"),
    path("privacy/", privacy_views.privacy, name="account_privacy"),
    path("privacy/preferences/", privacy_views.privacy_preferences, name="account_privacy_preferences"),
    path("privacy/consents/", privacy_views.privacy_consents, name="account_privacy_consents"),
    path("privacy/download/", privacy_views.privacy_download, name="account_privacy_download"),
    path("privacy/erase/", privacy_views.privacy_erase, name="account_privacy_erase"),
    path("privacy/erased/", privacy_views.privacy_erased, name="account_privacy_erased"),
]
