"""The Save button, the wishlist page, and what is recorded only with her personalization consent:
timeline events, product views and bag activity."""

from django.template.loader import render_to_string

from omnipresence.accounts import selectors, services
from omnipresence.accounts.models import ProductView, WishlistItem
from omnipresence.accounts.tests.conftest import EMAIL, grant
from omnipresence.clients.models import Client, TimelineEvent

COAT = "/atelier-a/p/blue-statement-coat/"


def save(client, action="add", product="blue-statement-coat", slug="atelier-a", next_path=COAT):
    return client.post(f"/{slug}/account/wishlist/", {"product": product, "action": action, "next": next_path})


def test_logged_out_save_goes_to_login_and_back(client, world_a):
    response = save(client)
    assert response.status_code == 302
    assert response["Location"] == "/atelier-a/account/?next=%2Fatelier-a%2Fp%2Fblue-statement-coat%2F"
    login = client.get(response["Location"])
    assert f'name="next" value="{COAT}"' in login.content.decode()
    assert WishlistItem.objects.count() == 0


def test_saving_makes_her_client_and_the_button_shows_it(client, log_in, world_a):
    log_in(client)
    page = client.get(COAT)
    assert 'aria-pressed="false"' in page.content.decode()
    response = save(client)
    assert response.status_code == 302 and response["Location"] == COAT
    her = Client.objects.get(boutique=world_a["boutique"])
    assert her.identities.get().value == EMAIL and her.identities.get().verified
    item = WishlistItem.objects.get()
    assert (item.client_id, item.product_id, item.boutique_id) == (her.pk, world_a["product"].pk, world_a["boutique"].pk)
    page = client.get(COAT)
    body = page.content.decode()
    assert 'aria-pressed="true"' in body and 'name="action" value="remove"' in body
    save(client)  # a second press of "add" keeps one row
    assert WishlistItem.objects.count() == 1
    # No consent to personalization: the wishlist is kept, the timeline hears nothing.
    assert not TimelineEvent.objects.filter(kind="wishlist").exists()
    save(client, action="remove")
    assert WishlistItem.objects.count() == 0
    assert not TimelineEvent.objects.filter(kind="wishlist").exists()


def test_with_consent_the_timeline_hears_of_it(client, log_in, world_a, her_a):
    grant(her_a)
    log_in(client)
    save(client)
    save(client, action="remove")
    events = list(TimelineEvent.objects.filter(client=her_a, kind="wishlist").order_by("id"))
    assert [e.data["action"] for e in events] == ["added", "removed"]
    assert events[0].summary == "Saved Blue Statement Coat to her wishlist"


def test_another_boutiques_product_cannot_be_saved(client, log_in, world_a, world_b):
    log_in(client)
    assert save(client, slug="atelier-a", product=str(world_b["product"].pk)).status_code == 404
    assert WishlistItem.objects.count() == 0


def test_the_wishlist_page_shows_photo_price_and_live_availability(client, log_in, world_a, her_a):
    services.wishlist_add(client=her_a, product=world_a["product"])
    log_in(client)
    page = client.get("/atelier-a/account/wishlist/")
    body = page.content.decode()
    assert page.status_code == 200
    assert "Blue Statement Coat" in body and "£450.00" in body
    assert "Available online" in body and "Soho" in body
    (entry,) = page.context["wishlist"]
    assert entry.online and entry.shops == ["Soho"]
    # Sold out everywhere: the page says so.
    from omnipresence.inventory.models import Stock

    Stock.objects.filter(variant__product=world_a["product"]).update(on_hand=0)
    assert "Sold out for now" in client.get("/atelier-a/account/wishlist/").content.decode()


def test_product_views_only_with_consent(client, log_in, world_a, her_a):
    log_in(client)
    client.get(COAT)
    assert ProductView.objects.count() == 0
    grant(her_a)
    client.get(COAT)
    client.get(COAT)
    client.get(COAT + "?size=L", headers={"HX-Request": "true"})  # the picker's swap is not a view
    view = ProductView.objects.get()
    assert (view.client_id, view.product_id, view.views) == (her_a.pk, world_a["product"].pk, 2)
    assert [v.product_id for v in selectors.recently_viewed(her_a)] == [world_a["product"].pk]


def test_a_visitor_who_is_not_logged_in_leaves_nothing(client, world_a, her_a):
    grant(her_a)
    client.get(COAT)
    assert ProductView.objects.count() == 0


def _add_to_bag(client, world, size="M"):
    return client.post("/atelier-a/cart/add/", {"product": "blue-statement-coat", "sku": f"atelier-a-COAT-BLU-{size}",
                                                "quantity": 1, "way": "ship"})  # fmt: skip


def test_bag_activity_once_per_product_per_day_with_consent(client, log_in, world_a, her_a):
    log_in(client)
    assert _add_to_bag(client, world_a).status_code == 302
    assert not TimelineEvent.objects.filter(kind="cart").exists()  # no consent yet
    grant(her_a)
    _add_to_bag(client, world_a)
    _add_to_bag(client, world_a, size="L")
    (event,) = TimelineEvent.objects.filter(client=her_a, kind="cart")
    assert event.summary == "Added Blue Statement Coat (Blue / M) to her bag"
    assert event.data["product_id"] == world_a["product"].pk


def test_the_console_include_shows_her_wishlist_and_views(world_a, her_a):
    grant(her_a)
    services.wishlist_add(client=her_a, product=world_a["product"])
    services.product_view_record(client=her_a, product=world_a["product"])
    html = render_to_string("accounts/_console_wishlist.html", {"client": her_a})
    assert html.count("Blue Statement Coat") == 2
    assert "1 view" in html
