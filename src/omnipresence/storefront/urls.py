from django.urls import include, path

from omnipresence.storefront import views

app_name = "storefront"
urlpatterns = [
    path("", views.hub_home, name="hub"),
    path("account/", include("omnipresence.accounts.hub_urls")),  # the hub account: login, boutiques
    path("<slug:slug>/account/", include("omnipresence.accounts.urls")),  # her account in one boutique
    path("<slug:slug>/s/", include("omnipresence.shares.storefront_urls")),  # lookbooks sent to her
    path("<slug:slug>/visit/", include("omnipresence.visits.storefront_urls")),  # walk-in check-in
    path("<slug:slug>/appointments/room/", include("omnipresence.appointments.room_urls")),  # video + shared cart
    path("<slug:slug>/appointments/", include("omnipresence.appointments.storefront_urls")),  # book, her link
    path("<slug:slug>/live/", include("omnipresence.live.storefront_urls")),  # live events and replays
    path("<slug:slug>/", include("omnipresence.storefront.cart_urls")),  # cart/, checkout/, orders/<token>/
    path("<slug:slug>/", views.boutique_home, name="boutique"),
    path("<slug:slug>/p/<slug:handle>/", views.product_detail, name="product"),
    path("<slug:slug>/p/<slug:handle>/availability/", views.product_availability, name="availability"),
]
