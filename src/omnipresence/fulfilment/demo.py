"""Demo data for the fulfilment queue: of the demo's paid orders, one pickup is made ready (its code
printed, as the client would get it by email), one delivery shipped with a tracking code and one
more packed; the others wait to be picked. Everything goes through the services, by the staff of
the location when there is one."""

from omnipresence.core.errors import DomainError
from omnipresence.fulfilment import services
from omnipresence.fulfilment.codes import code_display
from omnipresence.fulfilment.models import Fulfilment
from omnipresence.orders.models import Order
from omnipresence.stores.access import Actor, actor_for_user, system_actor
from omnipresence.stores.models import Boutique, StaffMember

CARRIERS = {"GB": "Royal Mail", "FR": "Colissimo", "ZA": "The Courier Guy"}


def _actor_at(boutique: Boutique, location_id: int, members: list[StaffMember]) -> Actor:
    member = next((m for m in members if m.home_location_id == location_id), members[0] if members else None)
    return actor_for_user(member.user, boutique) if member else system_actor(boutique)


def seed_fulfilment(boutique: Boutique, *, log=print) -> dict[str, int]:
    """Move a few of the boutique's paid orders along; does nothing if some already moved. Returns
    how many fulfilments went to each status."""
    queue = Fulfilment.objects.filter(boutique=boutique)
    if queue.exclude(status=Fulfilment.Status.TO_PICK).exists():
        return {}
    waiting = list(
        queue.filter(
            status=Fulfilment.Status.TO_PICK,
            order__status=Order.Status.PLACED,
            order__payment_status=Order.PaymentStatus.PAID,
        )
        .select_related("location")
        .order_by("pk")
    )
    members = list(
        StaffMember.objects.filter(boutique=boutique, is_active=True)
        .select_related("user")
        .order_by("role", "pk")
    )
    pickup = next((f for f in waiting if f.method == Fulfilment.Method.PICKUP), None)
    delivery = next((f for f in waiting if f.method == Fulfilment.Method.DELIVERY), None)
    packed = next((f for f in waiting if f not in (pickup, delivery)), None)
    moved = {"ready": 0, "shipped": 0, "packed": 0}
    try:
        if pickup is not None:
            actor = _actor_at(boutique, pickup.location_id, members)
            services.fulfilment_pick(actor=actor, fulfilment=pickup)
            _, code = services.fulfilment_ready(actor=actor, fulfilment=pickup)
            moved["ready"] += 1
            log(f"  {boutique.name}: order #{pickup.order_id} ready at {pickup.location.name}, "
                f"pickup code {code_display(code)}")  # fmt: skip
        if delivery is not None:
            actor = _actor_at(boutique, delivery.location_id, members)
            services.fulfilment_pack(actor=actor, fulfilment=delivery)
            carrier = CARRIERS.get(boutique.country, "DHL")
            tracking = f"DM{delivery.order_id:07d}{boutique.country}"
            services.fulfilment_ship(
                actor=actor, fulfilment=delivery, carrier=carrier, tracking_code=tracking
            )
            moved["shipped"] += 1
            log(f"  {boutique.name}: order #{delivery.order_id} shipped with {carrier}, tracking {tracking}")
        if packed is not None:
            services.fulfilment_pack(
                actor=_actor_at(boutique, packed.location_id, members), fulfilment=packed
            )
            moved["packed"] += 1
    except DomainError as error:  # a demo queue with fewer moves, never a broken seed
        log(f"  {boutique.name}: demo fulfilment stopped ({error.code})")
    log(f"  {boutique.name}: fulfilment {moved['ready']} ready, {moved['shipped']} shipped, "
        f"{moved['packed']} packed, {len(waiting) - sum(moved.values())} to pick")  # fmt: skip
    return moved
