"""Live availability on the product page: a public socket per product, pushed after each change."""

from channels.db import database_sync_to_async
from channels.generic.websocket import AsyncJsonWebsocketConsumer

from omnipresence.catalog.selectors import product_get
from omnipresence.core.errors import DomainError
from omnipresence.inventory.selectors import availability_for_product
from omnipresence.inventory.services import availability_group
from omnipresence.stores.access import boutique_by_slug


def availability_payload(boutique, product) -> dict:
    availability = availability_for_product(boutique=boutique, product=product)
    return {
        "type": "availability",
        "product_id": product.pk,
        "variants": [
            {
                "sku": entry.variant.sku,
                "online": entry.online,
                "locations": [
                    {"code": la.location.code, "name": la.location.name, "available": la.available}
                    for la in entry.locations
                    if la.location.sells_in_person or la.location.feeds_online
                ],
            }
            for entry in availability.values()
        ],
    }


class AvailabilityConsumer(AsyncJsonWebsocketConsumer):
    async def connect(self):
        kwargs = self.scope["url_route"]["kwargs"]
        try:
            self.boutique, self.product = await database_sync_to_async(self._load)(
                kwargs["boutique"], kwargs["product_id"]
            )
        except DomainError:
            await self.close(code=4404)
            return
        self.group = availability_group(self.boutique.pk, self.product.pk)
        await self.channel_layer.group_add(self.group, self.channel_name)
        await self.accept()
        await self.send_json(await database_sync_to_async(self._payload)())

    def _load(self, slug, product_id):
        boutique = boutique_by_slug(slug)
        return boutique, product_get(boutique=boutique, product_id=product_id)

    def _payload(self):
        product = product_get(boutique=self.boutique, product_id=self.product.pk)
        return availability_payload(self.boutique, product)

    async def disconnect(self, code):
        if hasattr(self, "group"):
            await self.channel_layer.group_discard(self.group, self.channel_name)

    async def receive_json(self, content, **kwargs):
        # Read-only socket: clients only listen.
        return

    async def availability_changed(self, event):
        await self.send_json(await database_sync_to_async(self._payload)())
