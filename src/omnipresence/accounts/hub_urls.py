"""The hub account, at /account/ (inside the storefront namespace: `storefront:account_hub`)."""

from django.urls import path

from omnipresence.accounts import views

urlpatterns = [
    path("", views.hub_account, name="account_hub"),
    path("login/", views.login_request, name="account_login"),
    path("login/<str:token>/", views.login_link, name="account_link"),
    path("logout/", views.logout, name="account_logout"),
]
