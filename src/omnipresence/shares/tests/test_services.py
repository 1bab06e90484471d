"""Lookbook services: create (and what it refuses), revoke, expiry, views, and the client's
ask / hold / buy, with what each writes on her timeline."""

from datetime import timedelta

import pytest
from django.core import mail
from django.utils import timezone

from omnipresence.clients import services as clients
from omnipresence.clients.errors import ClientNotFound
from omnipresence.clients.hooks import merge_handlers, privacy_handlers
from omnipresence.clients.models import TimelineEvent
from omnipresence.core.errors import Conflict, InsufficientStock, InvalidInput, NotFound
from omnipresence.inventory.models import Hold, Stock
from omnipresence.orders.models import Cart
from omnipresence.shares import services
from omnipresence.shares.errors import ShareClosed
from omnipresence.shares.models import Share, ShareAction, ShareItem
from omnipresence.shares.tests.conftest import add_scarf, make_share

ItemSpec = services.ItemSpec


def events(client, kind):
    return list(TimelineEvent.objects.filter(client=client, kind=kind).order_by("pk"))


def test_create_makes_the_lookbook_its_link_and_the_timeline_event(shop):
    share = make_share(shop, title="For the wedding", note="A few ideas for June.")
    items = list(share.items.order_by("position"))
    assert [(i.product_id, i.variant_id, i.note, i.position) for i in items] == [
        (shop["product"].pk, shop["variants"][1].pk, "The M fits you", 0), (shop["scarf"].pk, None, "", 1),
    ]  # fmt: skip
    assert share.associate == shop["associate"] and share.client == shop["client"]
    assert share.sent_at is not None
    assert timedelta(days=29, hours=23) < share.expires_at - share.created_at <= timedelta(days=30, seconds=5)
    token = services.share_token(share)
    assert len(token) == 43 and share.token_hash == services._hash(token) and token not in share.token_hash
    assert services.share_url(share).endswith(f"/atelier-a/s/{token}/")
    assert services.share_by_token(boutique=shop["boutique"], token=token) == share
    [sent] = events(shop["client"], "share_sent")
    assert sent.associate == shop["associate"] and (sent.ref_kind, sent.ref_id) == ("share", share.pk)
    assert sent.summary == "Lookbook sent: For the wedding · 2 pieces"
    assert services.share_state(share) == "active"


@pytest.mark.parametrize("case, code", [
    ("other_boutique", "product_not_found"), ("unpublished", "product_unpublished"),
    ("unknown_size", "size_not_found"), ("empty", "empty_share"), ("twice", "duplicate_item"),
])  # fmt: skip
def test_create_refuses_bad_items_and_makes_nothing(shop, world_b, case, code):
    foreign = add_scarf(world_b)
    specs = {
        "other_boutique": [ItemSpec(shop["product"].pk), ItemSpec(foreign.pk)],
        "unpublished": [ItemSpec(shop["draft"].pk)],
        "unknown_size": [ItemSpec(shop["product"].pk, "NO-SUCH-SKU")],
        "empty": [],
        "twice": [ItemSpec(shop["scarf"].pk), ItemSpec(shop["scarf"].pk)],
    }[case]
    with pytest.raises(InvalidInput) as refused:
        services.share_create(actor=shop["seller"], client=shop["client"], items=specs)
    assert refused.value.code == code
    assert Share.objects.count() == 0 and ShareItem.objects.count() == 0
    assert events(shop["client"], "share_sent") == []


def test_another_boutiques_size_is_not_a_size_of_this_piece(shop, world_b):
    with pytest.raises(InvalidInput) as refused:
        services.share_create(actor=shop["seller"], client=shop["client"],
                              items=[ItemSpec(shop["product"].pk, world_b["variants"][0].sku)])  # fmt: skip
    assert refused.value.code == "size_not_found"


def test_create_refuses_another_boutiques_client(shop, world_b):
    other = clients.client_resolve(boutique=world_b["boutique"], email="zoe@example.fr", name="Zoé")
    with pytest.raises(ClientNotFound):
        services.share_create(actor=shop["seller"], client=other, items=[ItemSpec(shop["product"].pk)])
    assert Share.objects.count() == 0


def test_revoke_closes_the_link(shop):
    share = make_share(shop)
    services.share_revoke(actor=shop["seller"], share=share)
    share.refresh_from_db()
    assert services.share_state(share) == "revoked"
    with pytest.raises(ShareClosed) as closed:
        services.share_ask(share=share, item_id=share.items.first().pk, text="Still there?")
    assert (closed.value.code, closed.value.status) == ("share_revoked", 410)
    assert ShareAction.objects.count() == 0


def test_an_expired_lookbook_refuses_every_action(shop):
    share = make_share(shop, days=1)
    Share.objects.filter(pk=share.pk).update(expires_at=timezone.now() - timedelta(seconds=1))
    share.refresh_from_db()
    assert services.share_state(share) == "expired"
    item = share.items.first()
    for action in (
        lambda: services.share_hold(share=share, item_id=item.pk, variant_sku=shop["variants"][0].sku,
                                    location_code="soho"),
        lambda: services.share_buy(share=share, item_id=item.pk, variant_sku=shop["variants"][0].sku, cart=None),
    ):  # fmt: skip
        with pytest.raises(ShareClosed) as closed:
            action()
        assert closed.value.code == "share_expired"
    assert Hold.objects.filter(owner_ref=f"share:{share.pk}").count() == 0 and Cart.objects.count() == 0


def test_unknown_tampered_or_foreign_tokens_are_not_found(shop, world_b):
    share = make_share(shop)
    token = services.share_token(share)
    for boutique, text in ((shop["boutique"], token[:-1] + ("A" if token[-1] != "A" else "B")),
                           (shop["boutique"], "short"), (world_b["boutique"], token)):  # fmt: skip
        with pytest.raises(NotFound):
            services.share_by_token(boutique=boutique, token=text)


def test_views_count_and_reach_the_timeline_once_a_day(shop):
    share = make_share(shop)
    now = timezone.now()
    services.share_viewed(share=share, now=now)
    services.share_viewed(share=share, now=now + timedelta(minutes=5))
    share.refresh_from_db()
    assert share.views == 2 and share.first_viewed_at == now and share.last_viewed_at == now + timedelta(minutes=5)
    [viewed] = events(shop["client"], "share_viewed")
    assert viewed.associate == shop["associate"] and viewed.data["share_id"] == share.pk
    services.share_viewed(share=share, now=now + timedelta(days=1))
    assert len(events(shop["client"], "share_viewed")) == 2


def test_ask_goes_on_her_timeline_and_to_the_associate_by_email(shop, django_capture_on_commit_callbacks):
    share = make_share(shop)
    item = share.items.order_by("position").first()
    with django_capture_on_commit_callbacks(execute=True):
        action = services.share_ask(share=share, item_id=item.pk, text="Does it come in green?")
    assert (action.kind, action.text) == ("ask", "Does it come in green?")
    [event] = events(shop["client"], "share_action")
    assert event.summary == "Asked about Blue Statement Coat: Does it come in green?"
    assert event.associate == shop["associate"]
    [message] = mail.outbox
    assert message.to == ["alice@atelier.example"]
    assert "Does it come in green?" in message.body and "Eleanor Vane" in message.subject
    with pytest.raises(InvalidInput) as empty:
        services.share_ask(share=share, item_id=item.pk, text="   ")
    assert empty.value.code == "required"


def test_hold_puts_one_unit_aside_for_her_by_the_associate(shop, settings):
    share = make_share(shop)
    coat = share.items.order_by("position").first()
    before = timezone.now()
    hold = services.share_hold(share=share, item_id=coat.pk, variant_sku=shop["variants"][1].sku, location_code="soho")
    assert (hold.kind, hold.quantity, hold.status, hold.location, hold.variant) == (
        "client", 1, "active", shop["shop"], shop["variants"][1])  # fmt: skip
    assert hold.created_by == shop["associate"] and hold.client_name == "Eleanor Vane"
    assert hold.client_contact == "eleanor@alice.example" and hold.owner_ref == f"share:{share.pk}"
    ttl = timedelta(minutes=settings.HOLD_TTL_MINUTES["client"])
    assert before + ttl <= hold.expires_at <= timezone.now() + ttl
    assert Stock.objects.get(location=shop["shop"], variant=shop["variants"][1]).held == 1
    [placed] = events(shop["client"], "hold_placed")
    assert (placed.ref_kind, placed.ref_id, placed.associate) == ("hold", hold.pk, shop["associate"])
    assert placed.summary.startswith("Held Blue Statement Coat (Blue / M) at Soho until ")
    [action] = events(shop["client"], "share_action")
    assert action.summary == "Asked to hold Blue Statement Coat (Blue / M) at Soho"


def test_hold_without_stock_is_refused_and_nothing_is_held(shop):
    share = make_share(shop)
    scarf = share.items.get(product=shop["scarf"])
    with pytest.raises(InsufficientStock):  # the scarf is only at Chelsea
        services.share_hold(share=share, item_id=scarf.pk, variant_sku=shop["scarf_variant"].sku, location_code="soho")
    with pytest.raises(InvalidInput) as warehouse:  # does not sell in person
        services.share_hold(share=share, item_id=scarf.pk, variant_sku=shop["scarf_variant"].sku,
                            location_code="warehouse")  # fmt: skip
    assert warehouse.value.code == "location_unavailable"
    assert Hold.objects.count() == 0 and ShareAction.objects.count() == 0
    assert events(shop["client"], "hold_placed") == [] and events(shop["client"], "share_action") == []
    services.share_hold(share=share, item_id=scarf.pk, variant_sku=shop["scarf_variant"].sku, location_code="chelsea")
    with pytest.raises(InsufficientStock):  # the one unit is held now
        services.share_hold(share=share, item_id=scarf.pk, variant_sku=shop["scarf_variant"].sku,
                            location_code="chelsea")  # fmt: skip
    assert Hold.objects.count() == 1


def test_a_link_cannot_hold_more_than_a_few_pieces(shop):
    share = make_share(shop)
    coat = share.items.order_by("position").first()
    for variant in shop["variants"]:
        services.share_hold(share=share, item_id=coat.pk, variant_sku=variant.sku, location_code="soho")
    with pytest.raises(Conflict) as refused:
        services.share_hold(share=share, item_id=coat.pk, variant_sku=shop["variants"][0].sku, location_code="soho")
    assert refused.value.code == "too_many_holds" and Hold.objects.count() == services.MAX_ACTIVE_HOLDS


def test_an_item_of_another_lookbook_is_not_found(shop):
    first, second = make_share(shop), make_share(shop)
    with pytest.raises(NotFound):
        services.share_ask(share=first, item_id=second.items.first().pk, text="Hello")


def test_buy_puts_the_size_in_a_new_bag_credited_to_the_lookbook(shop):
    share = make_share(shop)
    coat = share.items.order_by("position").first()
    cart = services.share_buy(share=share, item_id=coat.pk, variant_sku=shop["variants"][2].sku, cart=None)
    assert (cart.channel, cart.associate, cart.source_kind, cart.source_ref) == (
        "web", shop["associate"], "share_link", f"share:{share.pk}")  # fmt: skip
    assert (cart.client_name, cart.client_email) == ("Eleanor Vane", "eleanor@alice.example")
    [line] = cart.lines.all()
    assert (line.variant, line.quantity, line.fulfilment, line.location) == (shop["variants"][2], 1, "ship", None)
    again = services.share_buy(share=share, item_id=coat.pk, variant_sku=shop["variants"][2].sku, cart=cart)
    assert again.pk == cart.pk and [li.quantity for li in again.lines.all()] == [2]
    assert [e.summary for e in events(shop["client"], "share_action")] == [
        "Put Blue Statement Coat (Blue / L) in her bag"] * 2


def test_buy_sets_the_attribution_on_a_bag_she_had_and_collects_what_does_not_ship(shop):
    from omnipresence.orders import services as orders

    web = services.system_actor(shop["boutique"])
    cart = orders.cart_create(actor=web, channel="web", client_email="other@example.com")
    share = make_share(shop)
    scarf = share.items.get(product=shop["scarf"])
    cart = services.share_buy(share=share, item_id=scarf.pk, variant_sku=shop["scarf_variant"].sku, cart=cart)
    assert (cart.source_kind, cart.source_ref, cart.associate) == ("share_link", f"share:{share.pk}", shop["associate"])
    assert cart.client_email == "other@example.com"  # what she gave the bag stays
    [line] = cart.lines.all()
    assert (line.fulfilment, line.location) == ("pickup", shop["shop2"])
    with pytest.raises(Conflict) as gone:  # the only unit is in her bag already
        services.share_buy(share=share, item_id=scarf.pk, variant_sku=shop["scarf_variant"].sku, cart=cart)
    assert gone.value.code == "out_of_stock"


def test_a_merge_moves_her_lookbooks_and_undo_puts_them_back(shop):
    share = make_share(shop)
    survivor = clients.client_resolve(boutique=shop["boutique"], email="eleanor.v@example.com", name="Eleanor Vane")
    record = clients.client_merge(actor=shop["actor"], survivor=survivor, merged=shop["client"])
    assert "shares" in merge_handlers()
    assert Share.objects.get(pk=share.pk).client_id == survivor.pk
    clients.client_merge_undo(actor=shop["actor"], record=record)
    assert Share.objects.get(pk=share.pk).client_id == shop["client"].pk


def test_export_lists_her_lookbooks_and_erase_blanks_the_words(shop):
    share = make_share(shop, title="For June", note="For your sister's wedding")
    services.share_ask(share=share, item_id=share.items.first().pk, text="My size is 38")
    export, erase = privacy_handlers()["shares"]
    [exported] = export(client=shop["client"])
    assert exported["title"] == "For June" and exported["actions"][0]["text"] == "My size is 38"
    assert [i["product"] for i in exported["items"]] == ["Blue Statement Coat", "Silk Scarf"]
    changed = erase(client=shop["client"])
    assert changed == {"shares.share": 1, "shares.shareitem": 1, "shares.shareaction": 1}
    share.refresh_from_db()
    assert (share.title, share.note) == ("", "") and share.revoked_at is not None
    assert list(share.items.values_list("note", flat=True)) == ["", ""]
    assert ShareAction.objects.get().text == ""
    assert share.items.count() == 2  # which pieces were sent stays, for the sales credited to it
