"""Personal codes from the console: an associate gives a client a single-use code and the message to
send; it works for her in any channel and for nobody else."""

import pytest
from django.test import Client

from omnipresence.orders import services as orders
from omnipresence.orders.errors import CouponError
from omnipresence.orders.models import Code
from omnipresence.orders.tests.conftest import cart_with, uk_shipping  # noqa: F401


@pytest.fixture
def thanks(world_a):
    return orders.campaign_create(actor=world_a["actor"], name="Thank you 10%", kind="percentage", value=1000)


def logged_in(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def test_an_associate_gives_a_client_her_own_code(world_a, associate_a, thanks, uk_shipping):  # noqa: F811
    page = logged_in(associate_a).post("/console/atelier-a/codes/", {"campaign": thanks.pk, "client": "Vane@Example.com"})
    assert page.status_code == 200
    code = Code.objects.get()
    html = page.content.decode()
    assert (code.kind, code.client_ref, code.issued_by_id) == ("personal", "vane@example.com", associate_a.pk)
    assert code.code in html and "10% off on your next purchase" in html and "wa.me" in html
    from omnipresence.stores.access import actor_for_user

    actor = actor_for_user(associate_a, world_a["boutique"])
    mine = cart_with(actor, world_a, (0, 1, "pickup", "soho"), channel="web", client_email="vane@example.com")
    assert orders.cart_code_apply(actor=actor, cart=mine, code=code.code.lower()).code == code.code
    other = cart_with(actor, world_a, (1, 1, "pickup", "soho"), channel="shop", client_email="someone@example.com")
    with pytest.raises(CouponError):
        orders.cart_code_apply(actor=actor, cart=other, code=code.code)
    assert code.code in logged_in(associate_a).get("/console/atelier-a/codes/").content.decode()  # her list


def test_a_bad_client_or_offer_is_refused_and_nothing_is_made(associate_a, thanks):
    client = logged_in(associate_a)
    bad = client.post("/console/atelier-a/codes/", {"campaign": thanks.pk, "client": "not a contact"})
    assert bad.status_code == 422 and "alert" in bad.content.decode()
    unknown = client.post("/console/atelier-a/codes/", {"campaign": 999999, "client": "vane@example.com"})
    assert unknown.status_code == 422
    assert not Code.objects.exists()


def test_another_boutiques_staff_cannot_open_the_page(associate_b, thanks):
    page = logged_in(associate_b).post("/console/atelier-a/codes/", {"campaign": thanks.pk, "client": "x@example.com"})
    assert page.status_code == 403 and not Code.objects.exists()
