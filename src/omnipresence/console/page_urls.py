"""Console pages: login, logout, the boutique chooser and the per-boutique pages."""

from django.contrib.auth import views as auth_views
from django.urls import include, path

from omnipresence.console import audit_views, client_views, promo_views, token_views, views

urlpatterns = [
    path(
        "login/",
        auth_views.LoginView.as_view(template_name="console/login.html", redirect_authenticated_user=True),
        name="login",
    ),
    path("logout/", auth_views.LogoutView.as_view(next_page="console:login"), name="logout"),
    path("", views.chooser, name="chooser"),
    path("<slug:slug>/", views.dashboard, name="dashboard"),
    path("<slug:slug>/variants/<int:variant_id>/", views.variant_detail, name="variant"),
    path("<slug:slug>/holds/<int:hold_id>/release/", views.hold_release, name="hold_release"),
    path("<slug:slug>/holds/<int:hold_id>/extend/", views.hold_extend, name="hold_extend"),
    path("<slug:slug>/fulfilment/", include("omnipresence.fulfilment.urls")),
    path("<slug:slug>/", include("omnipresence.console.sell_urls")),
    path("<slug:slug>/", include("omnipresence.console.order_urls")),
    path("<slug:slug>/codes/", promo_views.personal_codes, name="codes"),
    path("<slug:slug>/clients/matches/", client_views.client_matches, name="client_matches"),
    path("<slug:slug>/clients/", include("omnipresence.console.client_page_urls")),
    path("<slug:slug>/tasks/", include("omnipresence.clienteling.console_urls")),
    path("<slug:slug>/lookbooks/", include("omnipresence.shares.console_urls")),
    path("<slug:slug>/inbox/", include("omnipresence.inbox.console_urls")),
    path("<slug:slug>/appointments/", include("omnipresence.appointments.console_urls")),
    path("<slug:slug>/live/", include("omnipresence.live.console_urls")),
    path("<slug:slug>/visits/", include("omnipresence.visits.console_urls")),
    path("<slug:slug>/attribution/", include("omnipresence.attribution.console_urls")),
    path("<slug:slug>/audit/", audit_views.audit_page, name="audit"),
    path("<slug:slug>/tokens/", token_views.tokens_page, name="tokens"),
    path("<slug:slug>/tokens/<int:token_id>/revoke/", token_views.token_revoke, name="token_revoke"),
]
