"""Export and erasure for the apps below privacy that do not register their own: orders (carts,
orders, personal codes, redemptions), inventory holds, payments (payments' notes, refunds' notes,
pay links' messages, gift cards and store credit), returns. Amounts, dates, SKUs and statuses stay:
they are the boutique's accounting. Her rows are found by her client id (orders), then through her
orders (payments, pay links, returns, order holds), and by the addresses she had (carts, codes,
gift cards, holds put aside by phone or email) — gathered before her identities are deleted."""

from django.db.models import Q

from omnipresence.clients.hooks import on_privacy
from omnipresence.clients.models import Client, Identity, TimelineEvent


def _family_ids(client: Client) -> list[int]:
    """Her id and the ids of every client merged into her (recursively)."""
    ids, frontier = [client.pk], [client.pk]
    while frontier:
        frontier = list(Client.objects.filter(merged_into_id__in=frontier).values_list("pk", flat=True))
        frontier = [pk for pk in frontier if pk not in ids]
        ids += frontier
    return ids


def _addresses(client: Client) -> list[str]:
    return list(Identity.objects.filter(client_id__in=_family_ids(client)).values_list("value", flat=True))


def _orders(client: Client):
    from omnipresence.orders.models import Order

    return Order.objects.filter(boutique_id=client.boutique_id, client_id__in=_family_ids(client))


def _iso(moment) -> str | None:
    return moment.isoformat() if moment else None


# --- orders ---------------------------------------------------------------------------------


def orders_export(*, client: Client) -> list:
    return [
        {
            "order": o.pk, "placed_at": _iso(o.created_at), "channel": o.channel, "status": o.status,
            "currency": o.currency, "total": o.total, "paid": o.amount_paid, "refunded": o.amount_refunded,
            "name": o.client_name, "email": o.client_email, "phone": o.client_phone,
            "shipping_country": o.shipping_country, "shipping_address": o.shipping_address, "code": o.code,
            "lines": [{"sku": line.sku, "title": line.title, "variant": line.variant_label,
                       "quantity": line.quantity, "total": line.total} for line in o.lines.all()],
        }
        for o in _orders(client).prefetch_related("lines").order_by("pk")
    ]  # fmt: skip


PERSONAL = {"client_name": "", "client_email": "", "client_phone": "", "client_ref": "", "shipping_address": ""}


def orders_erase(*, client: Client) -> dict:
    from omnipresence.orders.models import Cart, Code, Redemption

    addresses = _addresses(client)
    orders = _orders(client)
    cart_ids = [pk for pk in orders.values_list("cart_id", flat=True) if pk]
    carts = Cart.objects.filter(boutique_id=client.boutique_id).filter(
        Q(pk__in=cart_ids) | Q(client_ref__in=addresses) | Q(client_email__in=addresses)
        | Q(client_phone__in=addresses)
    )  # fmt: skip
    return {
        "orders_order": orders.update(**PERSONAL),
        "orders_cart": carts.update(**PERSONAL),
        "orders_code": Code.objects.filter(boutique_id=client.boutique_id, client_ref__in=addresses).update(client_ref=""),
        "orders_redemption": Redemption.objects.filter(boutique_id=client.boutique_id,
                                                       client_ref__in=addresses).update(client_ref=""),  # fmt: skip
    }


# --- inventory holds --------------------------------------------------------------------------


def _holds(client: Client):
    from omnipresence.inventory.models import Hold

    family = _family_ids(client)
    refs = [f"order:{pk}" for pk in _orders(client).values_list("pk", flat=True)] + [f"client:{pk}" for pk in family]
    timeline_holds = TimelineEvent.objects.filter(client_id__in=family, ref_kind="hold").values_list("ref_id", flat=True)
    return Hold.objects.filter(boutique_id=client.boutique_id).filter(
        Q(owner_ref__in=refs) | Q(client_contact__in=_addresses(client)) | Q(pk__in=list(timeline_holds))
    )  # fmt: skip


def holds_export(*, client: Client) -> list:
    return [
        {"hold": h.pk, "sku": h.variant.sku, "location": h.location.name, "quantity": h.quantity, "status": h.status,
         "name": h.client_name, "contact": h.client_contact, "note": h.note, "created_at": _iso(h.created_at),
         "expires_at": _iso(h.expires_at)}
        for h in _holds(client).select_related("variant", "location").order_by("pk")
    ]  # fmt: skip


def holds_erase(*, client: Client) -> dict:
    return {"inventory_hold": _holds(client).update(client_name="", client_contact="", note="")}


# --- payments ---------------------------------------------------------------------------------


def _gift_cards(client: Client):
    from omnipresence.payments.models import GiftCard

    return GiftCard.objects.filter(boutique_id=client.boutique_id, client_ref__in=_addresses(client))


def payments_export(*, client: Client) -> dict:
    from omnipresence.payments.models import PayLink, Payment

    orders = _orders(client)
    return {
        "payments": [
            {"order": p.order_id, "method": p.method, "amount": p.amount, "currency": p.currency, "status": p.status,
             "at": _iso(p.succeeded_at or p.created_at)}
            for p in Payment.objects.filter(order__in=orders).order_by("pk")
        ],
        "pay_links": [
            {"order": link.order_id, "status": link.status, "message": link.message,
             "sent_at": _iso(link.created_at), "expires_at": _iso(link.expires_at), "paid_at": _iso(link.paid_at)}
            for link in PayLink.objects.filter(order__in=orders).order_by("pk")
        ],
        "gift_cards": [
            {"kind": card.kind, "last4": card.last4, "balance": card.balance, "currency": card.currency,
             "name": card.client_name, "expires_at": _iso(card.expires_at)}
            for card in _gift_cards(client).order_by("pk")
        ],
    }  # fmt: skip


def payments_erase(*, client: Client) -> dict:
    from omnipresence.payments.models import PayLink, Payment, Refund

    orders = _orders(client)
    return {
        "payments_payment": Payment.objects.filter(order__in=orders).update(note=""),
        "payments_refund": Refund.objects.filter(payment__order__in=orders).update(note=""),
        "payments_paylink": PayLink.objects.filter(order__in=orders).update(message=""),
        "payments_giftcard": _gift_cards(client).update(client_ref="", client_name="", note=""),
    }


# --- returns ----------------------------------------------------------------------------------


def returns_export(*, client: Client) -> list:
    from omnipresence.returns.models import Return

    return [
        {"return": r.pk, "order": r.order_id, "channel": r.channel, "refund_method": r.refund_method,
         "status": r.status, "note": r.note, "at": _iso(r.created_at),
         "lines": [{"sku": line.order_line.sku, "quantity": line.quantity, "reason": line.reason} for line in r.lines.all()]}
        for r in Return.objects.filter(order__in=_orders(client)).prefetch_related("lines__order_line").order_by("pk")
    ]  # fmt: skip


def returns_erase(*, client: Client) -> dict:
    from omnipresence.returns.models import Return

    return {"returns_return": Return.objects.filter(order__in=_orders(client)).update(note="")}


def register() -> None:
    on_privacy("orders", export=orders_export, erase=orders_erase)
    on_privacy("holds", export=holds_export, erase=holds_erase)
    on_privacy("payments", export=payments_export, erase=payments_erase)
    on_privacy("returns", export=returns_export, erase=returns_erase)
