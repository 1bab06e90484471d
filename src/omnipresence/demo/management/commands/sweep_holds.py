"""`omnipresence sweep_holds [--every SECONDS]`: expire overdue holds (once, or as a worker loop)."""

import time

from django.core.management.base import BaseCommand
from django.db import close_old_connections

from omnipresence.inventory.services import holds_sweep


class Command(BaseCommand):
    help = "Expire holds whose time has passed and give their units back."

    def add_arguments(self, parser):
        parser.add_argument("--every", type=int, default=0, help="Repeat every N seconds (0: run once)")

    def handle(self, *args, every, **options):
        while True:
            freed = holds_sweep()
            self.stdout.write(f"Released {freed} units from expired holds.")
            if every <= 0:
                return
            close_old_connections()
            time.sleep(every)
