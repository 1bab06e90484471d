"""The web chat's public pages, under /chat/ (included before the storefront's /<slug>/ pages):
the widget (framed by any site) and the one-tag embed script."""

from django.urls import re_path

from omnipresence.inbox import widget_views

app_name = "webchat"
# Keys are 22 characters (secrets.token_urlsafe(16)); the length keeps /chat/<word>/ of a boutique
# whose slug is "chat" out of the way.
KEY = r"(?P<key>[A-Za-z0-9_-]{16,32})"
urlpatterns = [
    re_path(rf"^{KEY}/$", widget_views.widget_page, name="widget"),
    re_path(rf"^{KEY}/embed\.js$", widget_views.embed_script, name="embed"),
]
