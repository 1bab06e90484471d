"""Each automatic rule makes its task once (not twice), for her associate, never for a merged or
erased client."""

from datetime import timedelta

import pytest
from django.utils import timezone

from omnipresence.catalog import services as catalog
from omnipresence.clienteling.generation import tasks_generate
from omnipresence.clienteling.models import Task
from omnipresence.clients import services as clients
from omnipresence.clients.models import Client, TimelineEvent
from omnipresence.core.hooks import run_sweeps
from omnipresence.inventory import services as inventory
from omnipresence.orders import services as orders
from omnipresence.orders.tests.conftest import cart_with
from omnipresence.payments import pay_links
from omnipresence.payments import services as payments
from omnipresence.payments.models import PayLink

pytestmark = pytest.mark.django_db


def made(world, kind):
    return list(Task.objects.filter(boutique=world["boutique"], kind=kind))


def paid_order(world, actor, email="ada@example.com", name="Ada Lovelace"):
    order = orders.cart_checkout(actor=actor, cart=cart_with(
        actor, world, (0, 1, "pickup", "soho"), client_name=name, client_email=email))  # fmt: skip
    payments.payment_record(actor=actor, order=order, method="terminal")
    return order


def test_follow_up_after_the_configured_days_once(world_a, alice_actor, client_a, settings):
    settings.CLIENTELING_FOLLOW_UP_DAYS = 3
    order = paid_order(world_a, alice_actor)
    assert order.client_id == client_a.pk
    assert tasks_generate(world_a["boutique"])["follow_up"] == 0  # paid just now
    TimelineEvent.objects.filter(kind="order_paid", ref_id=order.pk).update(occurred_at=timezone.now() - timedelta(days=4))
    assert tasks_generate(world_a["boutique"])["follow_up"] == 1
    assert tasks_generate(world_a["boutique"])["follow_up"] == 0
    [task] = made(world_a, "follow_up")
    assert task.client_id == client_a.pk and task.assignee == alice_actor.user
    assert task.reason == "Bought Blue Statement Coat 4 days ago — ask how it fits"


def test_hold_expiring_within_a_day_matched_by_her_contact(world_a, client_a, alice):
    hold = inventory.hold_place(actor=world_a["actor"], location=world_a["shop"], variant=world_a["variants"][0],
                                quantity=1, client_name="Ada", client_contact="ADA@example.com",
                                expires_at=timezone.now() + timedelta(hours=30))  # fmt: skip
    assert tasks_generate(world_a["boutique"])["hold_expiring"] == 0  # not within 24 h yet
    type(hold).objects.filter(pk=hold.pk).update(expires_at=timezone.now() + timedelta(hours=5))
    assert tasks_generate(world_a["boutique"])["hold_expiring"] == 1
    assert tasks_generate(world_a["boutique"])["hold_expiring"] == 0
    [task] = made(world_a, "hold_expiring")
    assert (task.client_id, task.ref_kind, task.ref_id, task.assignee_id) == (client_a.pk, "hold", hold.pk, alice.pk)
    assert "put aside for her at Soho" in task.reason


def test_unpaid_pay_link_after_a_day(world_a, alice_actor, client_a):
    cart = cart_with(alice_actor, world_a, (0, 1, "pickup", "soho"), client_name="Ada", client_email="ada@example.com")
    link = pay_links.pay_link_create(actor=alice_actor, cart=cart)
    assert tasks_generate(world_a["boutique"])["pay_link_unpaid"] == 0
    PayLink.objects.filter(pk=link.pk).update(created_at=timezone.now() - timedelta(hours=25))
    assert tasks_generate(world_a["boutique"])["pay_link_unpaid"] == 1
    assert tasks_generate(world_a["boutique"])["pay_link_unpaid"] == 0
    assert made(world_a, "pay_link_unpaid")[0].client_id == client_a.pk


def test_birthday_once_a_year(world_a, client_a, alice_actor):
    soon = (timezone.now() + timedelta(days=3)).strftime("%m-%d")
    clients.client_update(actor=alice_actor, client=client_a, important_dates=[{"label": "birthday", "date": f"--{soon}"}])
    assert tasks_generate(world_a["boutique"])["birthday"] == 1
    assert tasks_generate(world_a["boutique"])["birthday"] == 0
    [task] = made(world_a, "birthday")
    assert task.ref_id == timezone.now().year or task.ref_id == timezone.now().year + 1
    # Next year it comes again.
    assert tasks_generate(world_a["boutique"], now=timezone.now() + timedelta(days=365))["birthday"] == 1


def test_new_arrival_in_her_size_and_colour_once_per_product(world_a, client_a, alice_actor):
    clients.client_update(actor=alice_actor, client=client_a, sizes={"coats": "M"}, colours=["blue"])
    # The world's coat is new (created now), blue, in M: a match; a red one is not.
    red = catalog.product_create(actor=world_a["actor"], title="Red Coat", category_path="Women > Coats")
    catalog.variant_create(actor=world_a["actor"], product=red, sku="RED-M", price=100, colour="Red", size="M")
    assert tasks_generate(world_a["boutique"])["new_arrival"] == 1
    assert tasks_generate(world_a["boutique"])["new_arrival"] == 0
    [task] = made(world_a, "new_arrival")
    assert (task.ref_kind, task.ref_id) == ("product", world_a["product"].pk)
    assert task.reason.startswith("New in: Blue Statement Coat in Blue, size M")


def test_unassigned_when_she_has_no_associate_and_secondary_when_no_primary(world_a, alice, maria, alice_actor):
    soon = (timezone.now() + timedelta(days=1)).strftime("%m-%d")
    dates = [{"label": "birthday", "date": f"--{soon}"}]
    nobody = clients.client_resolve(boutique=world_a["boutique"], email="n@example.com", name="Nobody's")
    second = clients.client_resolve(boutique=world_a["boutique"], email="s@example.com", name="Second's")
    clients.client_update(actor=alice_actor, client=nobody, important_dates=dates)
    clients.client_update(actor=alice_actor, client=second, important_dates=dates, secondary_associate=maria)
    tasks_generate(world_a["boutique"])
    owners = dict(Task.objects.values_list("client_id", "assignee_id"))
    assert owners == {nobody.pk: None, second.pk: maria.pk}


def test_merged_and_erased_clients_get_none(world_a, client_a, alice_actor):
    soon = (timezone.now() + timedelta(days=1)).strftime("%m-%d")
    dates = [{"label": "birthday", "date": f"--{soon}"}]
    folded = clients.client_resolve(boutique=world_a["boutique"], email="ada2@example.com", name="Ada Lovelace")
    clients.client_update(actor=alice_actor, client=folded, important_dates=dates)
    clients.client_merge(actor=world_a["actor"], survivor=client_a, merged=folded)
    gone = clients.client_resolve(boutique=world_a["boutique"], email="gone@example.com", name="Gone")
    clients.client_update(actor=alice_actor, client=gone, important_dates=dates)
    Client.objects.filter(pk=gone.pk).update(erased_at=timezone.now())
    tasks_generate(world_a["boutique"])
    assert not Task.objects.filter(client_id__in=[folded.pk, gone.pk]).exists()


def test_the_sweep_is_registered(world_a, client_a, alice_actor):
    soon = (timezone.now() + timedelta(days=1)).strftime("%m-%d")
    clients.client_update(actor=alice_actor, client=client_a, important_dates=[{"label": "birthday", "date": f"--{soon}"}])
    assert run_sweeps()["clienteling_tasks"]["birthday"] == 1
    assert Task.objects.filter(client=client_a, kind="birthday").count() == 1
