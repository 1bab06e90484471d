from django.conf import settings
from django.test import Client as HttpClient

from omnipresence.accounts.models import HubAccount
from omnipresence.accounts.session import SESSION_KEY
from omnipresence.clients import services as clients


def make_client(world, email="ada@example.com", name="Ada Lovelace", *, walk_in=True, associate=None):
    client = clients.client_resolve(boutique=world["boutique"], email=email, name=name, channel="shop")
    if associate is not None:
        client.primary_associate = associate
        client.save(update_fields=["primary_associate"])
    if walk_in:
        grant(client, "walk_in")
    return client


def grant(client, purpose):
    clients.consent_record(actor_label="test", client=client, purpose=purpose, granted=True, channel="shop",
                           wording="Yes")  # fmt: skip


def portal_session(email) -> HttpClient:
    """A storefront visitor logged in with the hub account of `email`."""
    account, _ = HubAccount.objects.get_or_create(email=email)
    http = HttpClient()
    session = http.session
    session[SESSION_KEY] = account.pk
    session.save()
    http.cookies[settings.SESSION_COOKIE_NAME] = session.session_key
    return http
