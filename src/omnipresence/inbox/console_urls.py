"""The inbox in the console, under /console/<slug>/inbox/ (namespace console)."""

from django.urls import path

from omnipresence.inbox import console_views

urlpatterns = [
    path("", console_views.inbox_index, name="inbox"),
    path("<int:conversation_id>/", console_views.inbox_thread, name="inbox_thread"),
    path("<int:conversation_id>/send/", console_views.inbox_send, name="inbox_send"),
    path("<int:conversation_id>/status/", console_views.inbox_status, name="inbox_status"),
    path("<int:conversation_id>/search/", console_views.inbox_search, name="inbox_search"),
    path("<int:conversation_id>/merge/", console_views.inbox_merge, name="inbox_merge"),
    path("<int:conversation_id>/claim/", console_views.inbox_claim, name="inbox_claim"),
    path("<int:conversation_id>/transfer/", console_views.inbox_transfer, name="inbox_transfer"),
    path("presence/", console_views.inbox_presence, name="inbox_presence"),
    path("<int:conversation_id>/messages/", console_views.inbox_messages_after, name="inbox_messages_after"),
]
