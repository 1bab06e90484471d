"""The associate console: /console/ (boutique chooser, login) and /console/<slug>/… per boutique."""

from django.urls import include, path

app_name = "console"
urlpatterns = [
    path("", include("omnipresence.console.page_urls")),
    path("<slug:slug>/imports/", include("omnipresence.console.import_urls")),
]
