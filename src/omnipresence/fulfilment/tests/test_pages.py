"""The console's fulfilment queue through Django's test client as seeded staff: what a card shows,
the steps with and without htmx, refusals shown in the card, tenancy and the query count."""

import pytest
from django.test import Client

from omnipresence.conftest import make_staff
from omnipresence.fulfilment.models import Fulfilment
from omnipresence.fulfilment.tests.conftest import checkout, fulfilment_of, pay, state
from omnipresence.inventory.models import Stock

pytestmark = pytest.mark.django_db
QUEUE = "/console/atelier-a/fulfilment/"
HTMX = {"HTTP_HX_REQUEST": "true"}


def logged_in(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def alice(associate_a):
    return logged_in(associate_a)


@pytest.fixture
def order(world_a, seller, uk_shipping):
    """Paid: an S to collect at Soho, an M sent from Soho, two L from the warehouse."""
    return pay(checkout(seller, world_a, (0, 1, "pickup", "soho"), (1, 1, "ship_from", "soho"),
                        (2, 2, "ship", None), client_name="Clarissa Dalloway"))  # fmt: skip


def test_the_queue_of_her_shop_shows_each_order_and_its_next_steps(alice, order):
    html = alice.get(QUEUE).content.decode()
    assert "<h1>Fulfilment</h1>" in html
    assert '<option value="soho" selected>Soho</option>' in html  # her home location
    assert html.count('class="fulfilment-card') == 2  # the warehouse's parcel is not Soho's work
    assert f"Order #{order.pk}" in html and "Clarissa Dalloway" in html
    assert "Blue Statement Coat · Blue / S" in html and "1 ×" in html
    assert "Click &amp; collect" in html and "Delivery" in html and "just in" in html
    assert "Mark picked" in html and "Ready for collection" in html
    assert 'name="carrier"' in html and 'name="tracking_code"' in html
    assert 'href="/console/atelier-a/fulfilment/" aria-current="page">Fulfilment</a>' in html
    assert 'aria-current="page">Open <span class="count">2</span>' in html


def test_every_location_and_a_status_tab(alice, order):
    everything = alice.get(QUEUE, {"location": "all"}).content.decode()
    assert everything.count('class="fulfilment-card') == 3
    packed = alice.get(QUEUE, {"location": "all", "status": "packed"}).content.decode()
    assert packed.count('class="fulfilment-card') == 0 and "None." in packed
    assert alice.get(QUEUE, {"location": "nowhere"}).status_code == 404
    fragment = alice.get(QUEUE, {"location": "warehouse"}, HTTP_HX_REQUEST="true", HTTP_HX_TARGET="queue")
    assert fragment.content.decode().startswith('<div id="queue"')


def test_a_step_without_javascript_redirects_back_with_a_message(alice, order):
    pickup = fulfilment_of(order, "pickup")
    response = alice.post(f"{QUEUE}{pickup.pk}/pick/", {"location": "soho", "status": "to_pick"}, follow=True)
    assert response.redirect_chain == [(f"{QUEUE}?location=soho&status=to_pick", 302)]
    assert f"Order #{order.pk} picked." in response.content.decode()
    assert Fulfilment.objects.get(pk=pickup.pk).status == "picked"


def test_an_htmx_step_returns_the_card_and_the_counts(
    alice, order, mailoutbox, django_capture_on_commit_callbacks
):
    pickup = fulfilment_of(order, "pickup")
    with django_capture_on_commit_callbacks(execute=True):
        response = alice.post(f"{QUEUE}{pickup.pk}/ready/", {"location": "soho", "status": "open"}, **HTMX)
    html = response.content.decode()
    assert response.status_code == 200
    assert html.startswith(f'<li class="fulfilment-card method-pickup" id="fulfilment-{pickup.pk}">')
    assert "the client has been emailed her pickup code" in html and "autofocus" in html
    assert '<label for="code-' in html and "Mark collected" in html
    assert 'id="queue-tabs" class="status-tabs" aria-label="Status" hx-swap-oob="true"' in html
    assert len(mailoutbox) == 1


def test_without_an_email_the_code_is_shown_to_the_associate_once(alice, world_a, seller, uk_shipping):
    order = checkout(seller, world_a, (0, 1, "pickup", "soho"), client_email="")
    pickup = fulfilment_of(order, "pickup")
    shown = alice.post(f"{QUEUE}{pickup.pk}/ready/", {"location": "soho"}, **HTMX).content.decode()
    assert "Give the client her pickup code:" in shown
    again = alice.post(f"{QUEUE}{pickup.pk}/ready/", {"location": "soho"}, **HTMX).content.decode()
    assert "was ready already" in again and "Give the client" not in again


def test_collecting_with_the_code_from_the_email(
    alice, world_a, order, mailoutbox, django_capture_on_commit_callbacks
):
    pickup = fulfilment_of(order, "pickup")
    with django_capture_on_commit_callbacks(execute=True):
        alice.post(f"{QUEUE}{pickup.pk}/ready/", {"location": "soho"}, **HTMX)
    code = next(line for line in mailoutbox[0].body.splitlines() if "pickup code" in line).split()[-1]
    wrong = alice.post(f"{QUEUE}{pickup.pk}/collect/", {"code": "2222-2222", "location": "soho"}, **HTMX)
    assert wrong.status_code == 409
    assert "4 more tries" in wrong.content.decode() and 'aria-invalid="true"' in wrong.content.decode()
    done = alice.post(f"{QUEUE}{pickup.pk}/collect/", {"code": code, "location": "soho"}, **HTMX)
    assert done.status_code == 200 and "collected: the pieces have left the stock" in done.content.decode()
    assert Stock.objects.get(location=world_a["shop"], variant=world_a["variants"][0]).on_hand == 1


def test_a_refused_step_is_shown_in_the_card_and_changes_nothing(alice, world_a, seller, uk_shipping):
    order = checkout(seller, world_a, (1, 1, "ship_from", "soho"))  # not paid
    delivery = fulfilment_of(order, "delivery")
    before = state(world_a["boutique"])
    response = alice.post(f"{QUEUE}{delivery.pk}/ship/", {"carrier": "DPD", "location": "soho"}, **HTMX)
    html = response.content.decode()
    assert response.status_code == 409
    assert 'role="alert"' in html and "take the payment first" in html
    assert html.startswith(f'<li class="fulfilment-card method-delivery" id="fulfilment-{delivery.pk}">')
    plain = alice.post(f"{QUEUE}{delivery.pk}/ship/", {"carrier": "DPD", "location": "soho"})
    assert plain.status_code == 409 and "take the payment first" in plain.content.decode()
    assert state(world_a["boutique"]) == before


def test_the_manager_override_is_offered_to_managers_only(world_a, order, associate_a, manager_a):
    pickup = fulfilment_of(order, "pickup")
    logged_in(associate_a).post(f"{QUEUE}{pickup.pk}/ready/", {"location": "soho"})
    assert "Manager override" not in logged_in(associate_a).get(QUEUE).content.decode()
    manager = logged_in(manager_a)
    assert "Manager override" in manager.get(QUEUE).content.decode()
    manager.post(f"{QUEUE}{pickup.pk}/collect/", {"manager_override": "on", "location": "soho"})
    assert Fulfilment.objects.get(pk=pickup.pk).collected_via == "override"


def test_bad_steps_and_methods(alice, order):
    pickup = fulfilment_of(order, "pickup")
    assert alice.post(f"{QUEUE}{pickup.pk}/unpack/").status_code == 404
    assert alice.get(f"{QUEUE}{pickup.pk}/pick/").status_code == 405
    assert alice.post(f"{QUEUE}999999/pick/").status_code == 404
    assert Fulfilment.objects.get(pk=pickup.pk).status == "to_pick"


def test_another_boutique_sees_nothing_and_moves_nothing(world_a, world_b, order):
    bruno = logged_in(make_staff(world_b, "bruno"))
    pickup = fulfilment_of(order, "pickup")
    before = state(world_a["boutique"])
    assert bruno.get(QUEUE).status_code == 403
    assert bruno.post(f"{QUEUE}{pickup.pk}/pick/").status_code == 403
    assert bruno.post(f"/console/boutique-b/fulfilment/{pickup.pk}/pick/").status_code == 404
    assert "Clarissa" not in bruno.get("/console/boutique-b/fulfilment/?location=all").content.decode()
    assert state(world_a["boutique"]) == before
    assert Client().get(QUEUE).status_code == 302  # to the login page


def test_the_queue_page_makes_a_bounded_number_of_queries(alice, world_a, seller, uk_shipping,
                                                          django_assert_max_num_queries):  # fmt: skip
    for n in range(6):
        pay(checkout(seller, world_a, (n % 3, 1, "ship", None), (n % 2, 1, "pickup", "soho") if n < 3 else (2, 1, "ship", None),
                     client_email=f"c{n}@example.com"))  # fmt: skip
    # session 2 + actor 2 + locations 1 + tab counts 1 + page count 1 + fulfilments 1 + their lines 1
    with django_assert_max_num_queries(10):
        html = alice.get(QUEUE, {"location": "all"}).content.decode()
    assert html.count('class="fulfilment-card') == Fulfilment.objects.count()
