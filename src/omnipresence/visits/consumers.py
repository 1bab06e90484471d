"""Live walk-in alerts on every console page: ws/console/<slug>/alerts/, staff session only.

A member of the boutique's staff joins her own group (alerts for her clients) and her home
shop's group (everyone walking into her shop). Close codes: 4401 not logged in, 4404 no such
boutique, 4403 not on this boutique's staff. The socket only listens; "I'm on it" is a POST."""

from channels.db import database_sync_to_async
from channels.generic.websocket import AsyncJsonWebsocketConsumer

from omnipresence.core.errors import DomainError, NotFound, Unauthenticated
from omnipresence.stores.access import actor_for_user, boutique_by_slug
from omnipresence.visits.services import location_group, user_group


class WalkInAlertConsumer(AsyncJsonWebsocketConsumer):
    async def connect(self):
        self.groups_joined = []
        user = self.scope.get("user")
        if user is None or not user.is_authenticated:
            await self.close(code=4401)
            return
        try:
            groups = await database_sync_to_async(self._groups)(
                user, self.scope["url_route"]["kwargs"]["slug"]
            )
        except Unauthenticated:
            await self.close(code=4401)
            return
        except NotFound:
            await self.close(code=4404)
            return
        except DomainError:
            await self.close(code=4403)
            return
        for group in groups:
            await self.channel_layer.group_add(group, self.channel_name)
        self.groups_joined = groups
        await self.accept()

    @staticmethod
    def _groups(user, slug: str) -> list[str]:
        actor = actor_for_user(user, boutique_by_slug(slug))
        groups = [user_group(actor.boutique.pk, user.pk)]
        if actor.membership and actor.membership.home_location_id:
            groups.append(location_group(actor.boutique.pk, actor.membership.home_location_id))
        return groups

    async def disconnect(self, code):
        for group in getattr(self, "groups_joined", []):
            await self.channel_layer.group_discard(group, self.channel_name)

    async def receive_json(self, content, **kwargs):
        return  # listen only

    async def walk_in(self, event):
        await self.send_json(event["alert"])

    async def walk_in_taken(self, event):
        await self.send_json({"type": "walk_in_taken", **event["taken"]})
