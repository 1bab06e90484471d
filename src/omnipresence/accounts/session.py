"""Who is logged in on the storefront: the hub account in the session, and the client she is in
one boutique.

`portal_login` is called only after a magic link proved the email. `portal_client` is the one way
pages find "her" in a boutique: the live client holding the account's email as an identity (a
merged client leads to the survivor; an erased one is nobody). With `create=True` a boutique she
has never dealt with gets a new client, resolved by the usual rule with the email verified.
"""

from django.utils import timezone

from omnipresence.accounts.models import HubAccount
from omnipresence.clients.models import Client, Identity
from omnipresence.stores.models import Boutique

SESSION_KEY = "hub_account_id"


def portal_login(request, account: HubAccount) -> None:
    request.session.cycle_key()  # a new session id at login: no fixation
    request.session[SESSION_KEY] = account.pk
    HubAccount.objects.filter(pk=account.pk).update(last_login_at=timezone.now())


def portal_logout(request) -> None:
    request.session.pop(SESSION_KEY, None)
    request.session.cycle_key()


def portal_account(request) -> HubAccount | None:
    account_id = request.session.get(SESSION_KEY) if hasattr(request, "session") else None
    if not isinstance(account_id, int):
        return None
    return HubAccount.objects.filter(pk=account_id).first()


def account_client(account: HubAccount, boutique: Boutique, *, create: bool = False) -> Client | None:
    identity = (
        Identity.objects.filter(boutique=boutique, kind=Identity.Kind.EMAIL, value=account.email)
        .select_related("client")
        .first()
    )
    client = identity.client if identity else None
    seen = set()
    while client is not None and client.merged_into_id is not None and client.pk not in seen:
        seen.add(client.pk)
        client = Client.objects.filter(pk=client.merged_into_id).first()
    if client is not None and client.is_live:
        return client
    if client is None and create:
        from omnipresence.clients.services import client_identify

        client, _created = client_identify(
            boutique=boutique, email=account.email, verified_kind="email", channel="web",
            actor_label="storefront",
        )  # fmt: skip
        return client
    return None


def portal_client(request, boutique: Boutique, *, create: bool = False) -> Client | None:
    account = portal_account(request)
    return account_client(account, boutique, create=create) if account else None
