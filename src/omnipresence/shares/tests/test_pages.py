"""The client's lookbook page (no login) and the console's lookbook pages, through HTTP."""

import re

import pytest
from django.test import Client

from omnipresence.clients.models import ProfileView, TimelineEvent
from omnipresence.inventory import services as inventory
from omnipresence.inventory.models import Hold
from omnipresence.orders.models import Cart
from omnipresence.search.services import search_index_rebuild
from omnipresence.shares import services
from omnipresence.shares.models import Share, ShareAction
from omnipresence.shares.tests.conftest import lookbook_world, make_share


def page_url(share, action=""):
    return f"/{share.boutique.slug}/s/{services.share_token(share)}/" + (f"{action}/" if action else "")


def text(response) -> str:
    return re.sub(r"\s+", " ", response.content.decode())


def test_the_page_shows_her_pieces_with_stock_per_size_and_counts_the_view(shop):
    inventory.hold_place(actor=shop["actor"], location=shop["shop"], variant=shop["variants"][0], quantity=2)
    inventory.hold_place(actor=shop["actor"], location=shop["warehouse"], variant=shop["variants"][0], quantity=5)
    share = make_share(shop, title="For the wedding", note="A few ideas for June.")
    response = Client().get(page_url(share))
    assert response.status_code == 200 and response["Cache-Control"] == "no-store"
    body = text(response)
    assert "For the wedding" in body and "A few ideas for June." in body and "From Alice Martin" in body
    assert "Blue Statement Coat" in body and "£450.00" in body and "“The M fits you”" in body
    assert "Silk Scarf" in body and "£90.00" in body
    sizes = dict(re.findall(r'data-sku="([^"]+)"><span class="size">[^<]*</span> <span class="state">([^<]+)</span>', body))
    assert sizes == {"atelier-a-COAT-BLU-S": "sold out", "atelier-a-COAT-BLU-M": "in stock",
                     "atelier-a-COAT-BLU-L": "in stock", "atelier-a-SCARF": "1 left"}  # fmt: skip
    # The sold-out size is offered neither to buy nor to hold.
    assert 'value="atelier-a-COAT-BLU-S"' not in body and "atelier-a-COAT-BLU-S@" not in body
    assert 'value="atelier-a-COAT-BLU-M@soho"' in body and 'value="atelier-a-SCARF@chelsea"' in body
    assert 'value="atelier-a-SCARF@soho"' not in body
    share.refresh_from_db()
    assert share.views == 1
    [viewed] = TimelineEvent.objects.filter(client=shop["client"], kind="share_viewed")
    assert viewed.associate == shop["associate"]
    Client().get(page_url(share))
    assert TimelineEvent.objects.filter(client=shop["client"], kind="share_viewed").count() == 1
    associate = Client()
    associate.force_login(shop["associate"])
    assert associate.get(page_url(share)).status_code == 200  # checking the link is not her open
    share.refresh_from_db()
    assert share.views == 2


def test_unknown_foreign_expired_and_revoked_links_say_nothing_about_the_lookbook(shop, world_b):
    share = make_share(shop, title="Private title", note="Private note")
    token = services.share_token(share)
    assert Client().get(f"/atelier-a/s/{token[:-2]}xx/").status_code == 404
    foreign = Client().get(f"/boutique-b/s/{token}/")
    assert foreign.status_code == 404 and "Private" not in text(foreign)
    Share.objects.filter(pk=share.pk).update(expires_at=share.created_at)
    expired = Client().get(page_url(share))
    assert expired.status_code == 410 and "has expired" in text(expired)
    assert "Private" not in text(expired) and "Eleanor" not in text(expired) and "Coat" not in text(expired)
    services.share_revoke(actor=shop["seller"], share=share)
    revoked = Client().post(page_url(share, "hold"), {"item": share.items.first().pk,
                                                    "place": f"{shop['variants'][1].sku}@soho"})  # fmt: skip
    assert revoked.status_code == 410 and "withdrawn" in text(revoked)
    assert Hold.objects.count() == 0
    share.refresh_from_db()
    assert share.views == 0


def test_ask_from_the_page(shop, mailoutbox, django_capture_on_commit_callbacks):
    share = make_share(shop)
    item = share.items.order_by("position").first()
    with django_capture_on_commit_callbacks(execute=True):
        response = Client().post(page_url(share, "ask"), {"item": item.pk, "text": "Is the M long in the sleeve?"},
                                 follow=True)  # fmt: skip
    assert response.status_code == 200 and "Your question has been sent to Alice Martin." in text(response)
    assert ShareAction.objects.get().text == "Is the M long in the sleeve?"
    assert TimelineEvent.objects.get(client=shop["client"], kind="share_action").summary == (
        "Asked about Blue Statement Coat: Is the M long in the sleeve?")
    assert [m.to for m in mailoutbox] == [["alice@atelier.example"]]
    empty = Client().post(page_url(share, "ask"), {"item": item.pk, "text": ""})
    assert empty.status_code == 422 and "Write your question." in text(empty)


def test_hold_from_the_page_and_a_refusal_without_stock(shop):
    share = make_share(shop)
    coat = share.items.get(product=shop["product"])
    scarf = share.items.get(product=shop["scarf"])
    ok = Client().post(page_url(share, "hold"), {"item": coat.pk, "place": f"{shop['variants'][1].sku}@soho"},
                       follow=True)  # fmt: skip
    assert "Blue Statement Coat (Blue / M) is held for you at Soho." in text(ok)
    hold = Hold.objects.get()
    assert hold.created_by == shop["associate"] and hold.kind == "client"
    assert TimelineEvent.objects.filter(client=shop["client"], kind="hold_placed", ref_id=hold.pk).exists()
    none = Client().post(page_url(share, "hold"), {"item": scarf.pk, "place": f"{shop['scarf_variant'].sku}@soho"})
    assert none.status_code == 409
    assert "no longer in stock at that shop: nothing has been held" in text(none)
    assert Hold.objects.count() == 1
    junk = Client().post(page_url(share, "hold"), {"item": "x", "place": "@@"})
    assert junk.status_code == 404


def test_buy_from_the_page_fills_her_bag_with_the_lookbooks_attribution(shop):
    share = make_share(shop)
    coat = share.items.get(product=shop["product"])
    browser = Client()
    response = browser.post(page_url(share, "buy"), {"item": coat.pk, "sku": shop["variants"][1].sku})
    assert response.status_code == 302 and response["Location"] == "/atelier-a/cart/"
    cart = Cart.objects.get()
    assert (cart.channel, cart.associate_id, cart.source_kind, cart.source_ref) == (
        "web", shop["associate"].pk, "share_link", f"share:{share.pk}")  # fmt: skip
    assert browser.session["cart:atelier-a"] == cart.pk
    bag = browser.get("/atelier-a/cart/")
    assert "Blue Statement Coat" in text(bag)
    browser.post(page_url(share, "buy"), {"item": coat.pk, "sku": shop["variants"][1].sku})
    assert Cart.objects.count() == 1 and [li.quantity for li in Cart.objects.get().lines.all()] == [2]
    bad = browser.post(page_url(share, "buy"), {"item": coat.pk, "sku": "NOPE"})
    assert bad.status_code == 422


def test_the_console_builder_makes_a_lookbook(shop):
    search_index_rebuild()
    browser = Client()
    browser.force_login(shop["associate"])
    base = "/console/atelier-a/lookbooks/new/"
    assert browser.get(base).status_code == 200
    assert 'id="chosen-client">Eleanor Vane<' in text(browser.get(base, {"client": shop["client"].pk}))
    found = browser.post(base, {"op": "find_client", "client_q": "eleanor"})
    assert f'value="client:{shop["client"].pk}"' in text(found)
    chosen = browser.post(base, {"op": f"client:{shop['client'].pk}"})
    assert 'id="chosen-client">Eleanor Vane<' in text(chosen)
    state = {"client": shop["client"].pk}
    searched = browser.post(base, {**state, "op": "search", "q": "coat"})
    assert f'value="add:{shop["product"].pk}"' in text(searched)
    added = browser.post(base, {**state, "op": f"add:{shop['product'].pk}", f"size_{shop['product'].pk}":
                                shop["variants"][1].sku})  # fmt: skip
    assert "Blue Statement Coat</strong> · Blue / M" in text(added)
    items = {"item_product": [shop["product"].pk, shop["scarf"].pk], "item_sku": [shop["variants"][1].sku, ""],
             "item_note": ["Your size", ""]}  # fmt: skip
    moved = browser.post(base, {**state, **items, "op": "down:0"})
    assert text(moved).index("Silk Scarf</strong>") < text(moved).index("Blue Statement Coat</strong>")
    refused = browser.post(base, {**items, "op": "create"})
    assert refused.status_code == 422 and "Choose the client" in text(refused)
    created = browser.post(base, {**state, **items, "title": "Ideas", "note": "For you", "op": "create"})
    share = Share.objects.get()
    assert created.status_code == 302 and created["Location"] == f"/console/atelier-a/lookbooks/{share.pk}/"
    assert [(i.product_id, i.note) for i in share.items.order_by("position")] == [
        (shop["product"].pk, "Your size"), (shop["scarf"].pk, "")]  # fmt: skip
    detail = text(browser.get(created["Location"]))
    assert services.share_url(share) in detail and "https://wa.me/?text=Hello%20Eleanor%20Vane" in detail
    assert "mailto:eleanor%40alice.example" in detail or "mailto:eleanor@alice.example" in detail
    listing = text(browser.get("/console/atelier-a/lookbooks/"))
    assert "Eleanor Vane" in listing and "2 pieces" in listing
    assert browser.post(f"/console/atelier-a/lookbooks/{share.pk}/revoke/").status_code == 302
    share.refresh_from_db()
    assert share.revoked_at is not None


def test_the_console_never_shows_another_boutiques_lookbook_or_client(shop, world_b):
    other = lookbook_world(world_b, username="bruno")
    theirs = make_share(other)
    browser = Client()
    browser.force_login(shop["associate"])
    assert browser.get(f"/console/atelier-a/lookbooks/{theirs.pk}/").status_code == 404
    assert browser.post(f"/console/atelier-a/lookbooks/{theirs.pk}/revoke/").status_code == 404
    assert browser.get(f"/console/boutique-b/lookbooks/{theirs.pk}/").status_code == 403
    response = browser.post("/console/atelier-a/lookbooks/new/", {
        "client": other["client"].pk, "item_product": [other["product"].pk], "item_sku": [""], "op": "create"})
    assert response.status_code == 404 and Share.objects.filter(boutique=shop["boutique"]).count() == 0
    assert not ProfileView.objects.filter(client=other["client"]).exists()
    theirs.refresh_from_db()
    assert theirs.revoked_at is None


@pytest.mark.django_db
def test_the_page_makes_a_bounded_number_of_queries(shop, django_assert_max_num_queries):
    share = make_share(shop)
    browser = Client()
    browser.get(page_url(share))
    with django_assert_max_num_queries(22):
        assert browser.get(page_url(share)).status_code == 200
