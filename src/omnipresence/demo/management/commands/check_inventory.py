"""`omnipresence check_inventory`: verify on hand = sum of movements and held = sum of active holds."""

from django.core.management.base import BaseCommand, CommandError

from omnipresence.inventory.selectors import ledger_check
from omnipresence.stores.models import Boutique


class Command(BaseCommand):
    help = "Check that every stock level equals its ledger and its holds."

    def add_arguments(self, parser):
        parser.add_argument("--boutique", help="Only this boutique (slug)")

    def handle(self, *args, boutique=None, **options):
        scope = None
        if boutique:
            scope = Boutique.objects.filter(slug=boutique).first()
            if scope is None:
                raise CommandError(f"No boutique '{boutique}'.")
        problems = ledger_check(boutique=scope)
        for p in problems:
            self.stdout.write(
                f"{p.sku} at {p.location}: {p.kind} is {p.recorded}, its {'ledger' if p.kind == 'on_hand' else 'holds'} say {p.expected}"
            )
        if problems:
            raise CommandError(f"{len(problems)} stock levels disagree with the ledger.")
        self.stdout.write(self.style.SUCCESS("Inventory is consistent: every stock level matches its ledger and holds."))
