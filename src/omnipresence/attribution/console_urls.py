"""Attribution pages under /console/<slug>/attribution/ (console namespace)."""

from django.urls import path

from omnipresence.attribution import views

urlpatterns = [path("", views.attribution_dashboard, name="attribution")]
