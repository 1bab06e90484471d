"""The fulfilment queue in the console, under /console/<slug>/fulfilment/ (names: console:fulfilment:…)."""

from django.urls import path

from omnipresence.fulfilment import views

app_name = "fulfilment"
urlpatterns = [
    path("", views.queue, name="queue"),
    path("<int:fulfilment_id>/<slug:step>/", views.step, name="step"),
]
