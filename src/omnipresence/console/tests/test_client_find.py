"""Finding a returning client at the till from her earlier orders."""

from django.test import Client

from omnipresence.orders import services as orders
from omnipresence.orders.tests.conftest import cart_with, uk_shipping  # noqa: F401
from omnipresence.stores.access import actor_for_user


def test_the_till_finds_a_client_by_name_email_or_phone(world_a, associate_a, associate_b, uk_shipping):  # noqa: F811
    actor = actor_for_user(associate_a, world_a["boutique"])
    for index in (0, 1):
        orders.cart_checkout(actor=actor, cart=cart_with(actor, world_a, (index, 1, "pickup", "soho"), channel="shop",
                                                         client_name="Clarissa Dalloway", client_email="clarissa@example.com",
                                                         client_phone="+44 20 7946 0000"))  # fmt: skip
    client = Client()
    client.force_login(associate_a)
    for query in ("dallo", "CLARISSA@", "7946 0000"):
        page = client.get("/console/atelier-a/clients/matches/", {"q": query})
        html = page.content.decode()
        assert page.status_code == 200 and html.count('class="secondary small use-client"') == 1, query
        assert 'data-email="clarissa@example.com"' in html and 'data-phone="+442079460000"' in html and "2 orders" in html
    assert "No earlier client" in client.get("/console/atelier-a/clients/matches/", {"q": "nobody"}).content.decode()
    assert client.get("/console/atelier-a/sell/").content.decode().count('id="client-find"') == 1
    other = Client()
    other.force_login(associate_b)
    assert other.get("/console/atelier-a/clients/matches/", {"q": "dallo"}).status_code == 403
