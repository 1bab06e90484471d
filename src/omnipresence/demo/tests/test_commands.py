"""The console commands: demo seeding, tokens, the ledger check, the sweeper, serve's guards."""

from datetime import timedelta
from io import StringIO

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.utils import timezone

from omnipresence.catalog.models import Product, ProductImage, Variant
from omnipresence.fulfilment.models import Fulfilment
from omnipresence.inventory.models import Hold, Stock
from omnipresence.inventory.selectors import ledger_check
from omnipresence.inventory.services import hold_place
from omnipresence.orders.models import Order
from omnipresence.payments.models import GiftCard, PayLink, Payment
from omnipresence.returns.models import Return
from omnipresence.stores.access import token_lookup
from omnipresence.stores.models import ApiToken, Boutique, Location, StaffMember


def run(*args) -> tuple[str, str]:
    out, err = StringIO(), StringIO()
    call_command(*args, stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


@pytest.mark.django_db
def test_demo_seeds_three_boutiques_once_and_the_ledger_adds_up(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    out, _ = run("demo", "--no-serve")
    boutiques = {b.slug: b for b in Boutique.objects.all()}
    assert set(boutiques) == {"maison-soho", "bo-kaap-atelier", "atelier-marais"}
    assert {(b.country, b.currency, b.language) for b in boutiques.values()} == {
        ("GB", "GBP", "en-GB"), ("ZA", "ZAR", "af-ZA"), ("FR", "EUR", "fr-FR"),
    }  # fmt: skip
    for boutique in boutiques.values():
        kinds = sorted(Location.objects.filter(boutique=boutique).values_list("kind", flat=True))
        assert kinds == ["shop", "shop", "warehouse"]
        assert Product.objects.filter(boutique=boutique).count() >= 300
        assert Variant.objects.filter(boutique=boutique).exclude(colour="").values("colour").distinct().count() > 5
        assert Stock.objects.filter(boutique=boutique, location__kind="shop").count() > 0
        assert set(StaffMember.objects.filter(boutique=boutique).values_list("role", flat=True)) == {
            "owner", "manager", "associate",
        }  # fmt: skip
        assert Hold.objects.filter(boutique=boutique, status="active", kind="client").exists()
        orders = Order.objects.filter(boutique=boutique)
        assert orders.count() >= 3
        assert {"web", "shop", "chat"} <= set(orders.values_list("channel", flat=True))
        assert orders.exclude(associate=None).exists()
        # Selling: paid in several ways, a pay link waiting, fulfilment under way, a return, a gift card.
        assert {"sandbox", "manual"} <= set(Payment.objects.filter(boutique=boutique).values_list("provider", flat=True))
        assert PayLink.objects.filter(boutique=boutique, status="active").exists()
        assert PayLink.objects.filter(boutique=boutique, status="paid").exists()
        assert {"ready", "shipped"} <= set(Fulfilment.objects.filter(boutique=boutique).values_list("status", flat=True))
        assert Return.objects.filter(boutique=boutique, refund_method="store_credit").exists()
        assert set(GiftCard.objects.filter(boutique=boutique).values_list("kind", flat=True)) == {"gift_card", "store_credit"}
    assert "Pay link sent to" in out and "/pay/" in out
    image = ProductImage.objects.first()
    assert image.image.storage.exists(image.image.name) and image.thumbnail.storage.exists(image.thumbnail.name)
    assert Product.objects.filter(title="Blue Statement Coat", boutique__slug="maison-soho").exists()
    assert ledger_check() == []
    assert "olivia" in out and "password for all: omnipresence" in out
    key = out.split("API token for Maison Soho: ")[1].split()[0]
    assert token_lookup(key).boutique.slug == "maison-soho"

    products_before = Product.objects.count()
    out, _ = run("demo", "--no-serve")
    assert "already seeded" in out
    assert Product.objects.count() == products_before
    assert ApiToken.objects.filter(name="demo").count() == 1  # the old demo key was replaced


@pytest.mark.django_db
def test_demo_rejects_bad_options():
    with pytest.raises(CommandError, match="--scale"):
        run("demo", "--no-serve", "--scale", "0")
    assert not Boutique.objects.exists()


def test_token_create_list_revoke(world_a, owner_a, associate_a):
    key, err = run("token", "create", "--boutique", "atelier-a", "--user", "olivia", "--scopes", "inventory:read")
    key = key.strip()
    token = token_lookup(key)
    assert token.scopes == ["inventory:read"] and token.created_by == owner_a
    assert "cannot be shown again" in err
    listing, _ = run("token", "list", "--boutique", "atelier-a")
    assert f"omni_{token.prefix}_" in listing and "active" in listing
    run("token", "revoke", "--boutique", "atelier-a", str(token.pk))
    token.refresh_from_db()
    assert token.revoked_at is not None


@pytest.mark.parametrize(
    "args, message",
    [
        (["--boutique", "nope", "--user", "olivia"], "No boutique 'nope'"),
        (["--boutique", "atelier-a", "--user", "ghost"], "No user 'ghost'"),
        (["--boutique", "atelier-a", "--user", "alice"], "only owners and managers"),
        (["--boutique", "atelier-a", "--user", "olivia", "--scopes", "everything"], "Unknown scopes"),
        (["--boutique", "atelier-a", "--user", "olivia", "--days", "0"], "--days"),
    ],
)
def test_token_create_refuses_clearly(world_a, owner_a, associate_a, args, message):
    with pytest.raises(CommandError, match=message):
        run("token", "create", *args)
    assert not ApiToken.objects.exists()


def test_check_inventory_finds_a_tampered_stock_row(world_a):
    out, _ = run("check_inventory")
    assert "consistent" in out
    Stock.objects.filter(location=world_a["shop"], variant=world_a["variants"][0]).update(on_hand=99)
    with pytest.raises(CommandError, match="1 stock levels disagree"):
        run("check_inventory", "--boutique", "atelier-a")
    with pytest.raises(CommandError, match="No boutique"):
        run("check_inventory", "--boutique", "nope")


def test_sweep_holds_once(world_a, associate_actor):
    hold = hold_place(actor=associate_actor, location=world_a["shop"], variant=world_a["variants"][0], quantity=1)
    Hold.objects.filter(pk=hold.pk).update(expires_at=timezone.now() - timedelta(minutes=1))
    out, _ = run("sweep_holds")
    assert "Released 1 units" in out
    hold.refresh_from_db()
    assert hold.status == "expired"


def test_sweep_runs_every_apps_sweep(world_a, associate_actor):
    from omnipresence.orders import services as orders
    from omnipresence.payments import pay_links

    hold = hold_place(actor=associate_actor, location=world_a["shop"], variant=world_a["variants"][0], quantity=1)
    Hold.objects.filter(pk=hold.pk).update(expires_at=timezone.now() - timedelta(minutes=1))
    cart = orders.cart_create(actor=associate_actor, channel="chat")
    orders.cart_line_set(actor=associate_actor, cart=cart, variant=world_a["variants"][1], quantity=1,
                         fulfilment="pickup", location=world_a["shop"])  # fmt: skip
    link = pay_links.pay_link_create(actor=associate_actor, cart=cart, hours=1)
    type(link).objects.filter(pk=link.pk).update(expires_at=timezone.now() - timedelta(seconds=1))
    out, _ = run("sweep")
    assert "holds: 1" in out and "'expired': 1" in out
    assert Order.objects.get(pk=link.order_id).status == "cancelled"
    hold.refresh_from_db()
    assert hold.status == "expired"


@pytest.mark.django_db
def test_serve_refuses_without_secret_key(settings):
    settings.SECRET_KEY = "insecure-omnipresence-default-key-set-SECRET_KEY-in-production"
    settings.DEBUG = False
    with pytest.raises(CommandError, match="SECRET_KEY"):
        run("serve")
    settings.SECRET_KEY = "x" * 50
    with pytest.raises(CommandError, match="--workers"):
        run("serve", "--workers", "0")
