"""URL map: storefront at /, associate console at /console, API at /api/v1, admin at /admin."""

from django.conf import settings
from django.contrib import admin
from django.urls import include, path, re_path
from django.views.static import serve as serve_static

from omnipresence.api import api
from omnipresence.inbox.media_views import attachment_file

urlpatterns = [
    path("api/v1/", api.urls),
    path("admin/", admin.site.urls),
    path("console/", include("omnipresence.console.urls")),
    path("i18n/", include("django.conf.urls.i18n")),
    path("pay/", include("omnipresence.payments.urls")),
    path("inbox/media/<str:name>", attachment_file, name="inbox_media"),
    path("chat/", include("omnipresence.inbox.urls")),  # the web chat widget, before the /<slug>/ pages
    path("", include("omnipresence.storefront.urls")),
]

if settings.SERVE_MEDIA:
    urlpatterns += [
        re_path(r"^media/(?P<path>.*)$", serve_static, {"document_root": settings.MEDIA_ROOT}),
    ]
