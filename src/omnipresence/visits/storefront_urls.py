"""Her side of walk-ins, under /<slug>/visit/ (namespace storefront): the page a shop's QR opens."""

from django.urls import path

from omnipresence.visits import storefront_views

urlpatterns = [
    path("<slug:location_code>/", storefront_views.visit_shop, name="visit_shop"),
]
