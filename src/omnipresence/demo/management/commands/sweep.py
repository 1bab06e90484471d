"""`omnipresence sweep [--every SECONDS]`: the task worker's periodic job, once or as a loop —
expire overdue holds and pay links, remind clients of unpaid links, cancel unpaid orders past their
due time, release uncollected pickups."""

import time

from django.core.management.base import BaseCommand
from django.db import close_old_connections

from omnipresence.core.hooks import run_sweeps


class Command(BaseCommand):
    help = "Run every periodic sweep (holds, pay links, unpaid orders, uncollected pickups)."

    def add_arguments(self, parser):
        parser.add_argument("--every", type=int, default=0, help="Repeat every N seconds (0: run once)")

    def handle(self, *args, every, **options):
        while True:
            for name, result in run_sweeps().items():
                self.stdout.write(f"{name}: {result}")
            if every <= 0:
                return
            close_old_connections()
            time.sleep(every)
