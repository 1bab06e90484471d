"""Merges move her wishlist and product views (and undo puts them back); privacy export and erasure."""

from django.utils import timezone

from omnipresence.accounts import services
from omnipresence.accounts.client_link import accounts_erase, accounts_export
from omnipresence.accounts.models import HubAccount, MagicLink, ProductView, WishlistItem
from omnipresence.accounts.tests.conftest import EMAIL, grant
from omnipresence.catalog import services as catalog
from omnipresence.clients import services as clients
from omnipresence.clients.hooks import merge_handlers, privacy_handlers
from omnipresence.clients.models import Client


def _scarf(world):
    product = catalog.product_create(actor=world["actor"], title="Silk Scarf")
    catalog.variant_create(actor=world["actor"], product=product, sku=f"{world['boutique'].slug}-SCARF", price=9000)
    return product


def test_the_handlers_are_registered(db):
    assert "accounts" in merge_handlers() and "accounts" in privacy_handlers()


def test_a_merge_moves_what_the_survivor_lacks_and_undo_puts_it_back(world_a, her_a):
    scarf = _scarf(world_a)
    other = clients.client_resolve(boutique=world_a["boutique"], email="sibyl@work.example", channel="web")
    grant(her_a)
    grant(other)
    services.wishlist_add(client=her_a, product=world_a["product"])
    both = services.wishlist_add(client=other, product=world_a["product"])[0]  # the survivor has it already
    moved = services.wishlist_add(client=other, product=scarf)[0]
    services.product_view_record(client=other, product=scarf)
    record = clients.client_merge(actor=world_a["actor"], survivor=her_a, merged=other)
    assert set(WishlistItem.objects.filter(client=her_a).values_list("product_id", flat=True)) == {
        world_a["product"].pk, scarf.pk}  # fmt: skip
    assert WishlistItem.objects.get(pk=both.pk).client_id == other.pk  # the duplicate stays where it was
    assert ProductView.objects.get().client_id == her_a.pk
    assert record.moved["hooks"]["accounts"]["wishlist"] == [moved.pk]

    clients.client_merge_undo(actor=world_a["actor"], record=record)
    assert WishlistItem.objects.get(pk=moved.pk).client_id == other.pk
    assert WishlistItem.objects.filter(client=her_a).count() == 1
    assert ProductView.objects.get().client_id == other.pk


def test_export_and_erase(world_a, world_b, her_a):
    grant(her_a)
    services.wishlist_add(client=her_a, product=world_a["product"])
    services.product_view_record(client=her_a, product=world_a["product"])
    services.hub_account_for(EMAIL)
    services.magic_link_request(email=EMAIL)
    data = accounts_export(client=her_a)
    assert data["wishlist"][0]["product"] == "Blue Statement Coat"
    assert data["product_views"][0]["views"] == 1
    assert data["hub_account"][0]["email"] == EMAIL

    # Known in boutique B too: her hub account stays for B.
    in_b = clients.client_resolve(boutique=world_b["boutique"], email=EMAIL, channel="web")
    changed = accounts_erase(client=her_a)
    assert changed == {"wishlist": 1, "product_view": 1, "magic_link": 1, "hub_account": 0}
    assert not WishlistItem.objects.exists() and not ProductView.objects.exists() and not MagicLink.objects.exists()
    assert HubAccount.objects.filter(email=EMAIL).exists()

    # Erased in B as well (A's erasure has marked her erased there): nobody knows her, the account goes.
    Client.objects.filter(pk=her_a.pk).update(erased_at=timezone.now())
    assert accounts_erase(client=in_b)["hub_account"] == 1
    assert not HubAccount.objects.exists()
