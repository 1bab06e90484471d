"""The associate console: /console."""

from django.urls import include, path

app_name = "console"
urlpatterns = [
    path("", include("omnipresence.console.page_urls")),
    path("imports/", include("omnipresence.console.import_urls")),
]
