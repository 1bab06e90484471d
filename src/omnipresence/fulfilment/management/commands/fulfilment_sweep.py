"""`omnipresence fulfilment_sweep [--every SECONDS]`: give back pickups nobody collected (once, or as
a worker loop)."""

import time

from django.conf import settings
from django.core.management.base import BaseCommand
from django.db import close_old_connections

from omnipresence.fulfilment.services import fulfilments_release_uncollected


class Command(BaseCommand):
    help = "Release click & collect orders ready for longer than PICKUP_HOLD_DAYS and tell their clients."

    def add_arguments(self, parser):
        parser.add_argument("--every", type=int, default=0, help="Repeat every N seconds (0: run once)")

    def handle(self, *args, every, **options):
        while True:
            released = fulfilments_release_uncollected()
            self.stdout.write(
                f"Released {released} uncollected pickups (ready for more than {settings.PICKUP_HOLD_DAYS} days)."
            )
            if every <= 0:
                return
            close_old_connections()
            time.sleep(every)
