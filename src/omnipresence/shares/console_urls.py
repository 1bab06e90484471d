"""The associate's lookbooks, under /console/<slug>/lookbooks/ (namespace console)."""

from django.urls import path

from omnipresence.shares import console_views

urlpatterns = [
    path("", console_views.lookbook_index, name="lookbooks"),
    path("new/", console_views.lookbook_new, name="lookbook_new"),
    path("<int:share_id>/", console_views.lookbook_detail, name="lookbook"),
    path("<int:share_id>/revoke/", console_views.lookbook_revoke, name="lookbook_revoke"),
]
