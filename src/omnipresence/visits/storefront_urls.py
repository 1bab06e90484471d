"""Her side of walk-ins, under /<slug>/visit/ (namespace storefront): the page a shop's QR opens."""

from django.urls import path

from omnipresence.visits import storefront_views

urlpatterns = [
    path("code/email/", storefront_views.email_my_code, name="visit_email_code"),
    path("<slug:location_code>/", storefront_views.visit_shop, name="visit_shop"),
]
