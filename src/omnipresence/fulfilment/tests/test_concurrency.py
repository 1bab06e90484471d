"""Two associates (or one double click) at once, on SQLite and PostgreSQL: a fulfilment moves once,
its units leave once."""

import pytest

from omnipresence.core.errors import DomainError
from omnipresence.fulfilment import services
from omnipresence.fulfilment.models import Fulfilment
from omnipresence.fulfilment.tests.conftest import checkout, fulfilment_of, pay
from omnipresence.inventory.models import Movement
from omnipresence.inventory.selectors import ledger_check
from omnipresence.orders.tests.test_concurrency import run_clients

pytestmark = pytest.mark.django_db(transaction=True)
CLIENTS = 8


def test_many_associates_collecting_and_shipping_at_once_move_each_once(world_a, seller, uk_shipping):
    order = pay(checkout(seller, world_a, (0, 2, "pickup", "soho"), (1, 3, "ship", None)))
    pickup, delivery = fulfilment_of(order, "pickup"), fulfilment_of(order, "delivery")
    _, code = services.fulfilment_ready(actor=seller, fulfilment=pickup)

    def client_work(index):
        try:
            if index % 2:
                return services.fulfilment_ship(
                    actor=seller, fulfilment=delivery, carrier=f"Carrier {index}"
                ).carrier
            return services.fulfilment_collect(actor=seller, fulfilment=pickup, code=code).collected_at
        except DomainError as error:
            return error.code

    results, escaped = run_clients(CLIENTS, client_work)

    assert escaped == []
    # Every caller sees the one move that happened: the same carrier, the same moment
    assert len({results[i] for i in range(1, CLIENTS, 2)}) == 1
    assert len({results[i] for i in range(0, CLIENTS, 2)}) == 1
    assert sorted(Fulfilment.objects.values_list("status", flat=True)) == ["collected", "shipped"]
    assert sorted(Movement.objects.filter(kind="sale").values_list("quantity", flat=True)) == [-3, -2]
    assert ledger_check(boutique=world_a["boutique"]) == []
