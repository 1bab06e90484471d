from omnipresence.accounts.demo import seed_accounts
from omnipresence.accounts.models import ProductView, WishlistItem
from omnipresence.catalog import services as catalog
from omnipresence.clients import services as clients
from omnipresence.clients.selectors import consent_allows


def test_demo_accounts(world_a):
    for title in ("Silk Scarf", "Leather Belt", "Cashmere Jumper"):
        product = catalog.product_create(actor=world_a["actor"], title=title)
        catalog.variant_create(actor=world_a["actor"], product=product, sku=f"DEMO-{title[:4]}", price=5000)
    people = [clients.client_resolve(boutique=world_a["boutique"], email=f"c{i}@example.com", channel="shop")
              for i in range(4)]  # fmt: skip
    lines = []
    assert seed_accounts(world_a["boutique"], log=lines.append) == 3
    assert len(lines) == 1
    for client in people[:3]:
        assert 2 <= WishlistItem.objects.filter(client=client).count() <= 4
        assert ProductView.objects.filter(client=client).exists()
        assert consent_allows(client=client, purpose="personalization")
    assert not WishlistItem.objects.filter(client=people[3]).exists()
    assert seed_accounts(world_a["boutique"], log=lines.append) == 0  # once
