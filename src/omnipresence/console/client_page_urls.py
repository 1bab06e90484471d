"""The associate's client pages: /console/<slug>/clients/…"""

from django.urls import path

from omnipresence.console import client_pages
from omnipresence.privacy import console_views as privacy_pages

urlpatterns = [
    path("", client_pages.client_book_page, name="clients"),
    path("<int:client_id>/", client_pages.client_profile, name="client_profile"),
    path("<int:client_id>/edit/", client_pages.client_edit, name="client_edit"),
    path("<int:client_id>/notes/", client_pages.client_note, name="client_note"),
    path("<int:client_id>/consents/", client_pages.client_consent, name="client_consent"),
    path("<int:client_id>/export/", privacy_pages.client_export_download, name="client_export"),
    path("<int:client_id>/erase/", privacy_pages.client_erase_page, name="client_erase"),
]
