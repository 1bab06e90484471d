"""Rebuild the search index of one boutique, or of every boutique of the hub."""

import time

from django.core.management.base import BaseCommand, CommandError

from omnipresence.core.errors import NotFound
from omnipresence.search.services import search_index_rebuild
from omnipresence.stores.access import boutique_by_slug


class Command(BaseCommand):
    help = "Rebuild the search index (all boutiques, or one with --boutique SLUG)."

    def add_arguments(self, parser):
        parser.add_argument("--boutique", metavar="SLUG", help="Only this boutique")

    def handle(self, *args, boutique=None, **options):
        target = None
        if boutique:
            try:
                target = boutique_by_slug(boutique)
            except NotFound as error:
                raise CommandError(error.message)
        started = time.perf_counter()
        count = search_index_rebuild(boutique=target)
        elapsed = time.perf_counter() - started
        scope = f"boutique {target.slug}" if target else "every boutique"
        self.stdout.write(f"Indexed {count} products of {scope} in {elapsed:.1f} s.")
