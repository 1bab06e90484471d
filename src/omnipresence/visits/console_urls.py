"""Walk-ins in the console, under /console/<slug>/visits/ (namespace console)."""

from django.urls import path

from omnipresence.visits import console_views

urlpatterns = [
    path("", console_views.visits_index, name="visits"),
    path("scan/<str:token>/", console_views.visit_scan, name="visit_scan"),
    path("<int:visit_id>/acknowledge/", console_views.visit_acknowledge, name="visit_acknowledge"),
    path("shops/<slug:code>/qr/", console_views.visit_shop_qr, name="visit_shop_qr"),
]
