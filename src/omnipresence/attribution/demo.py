"""Demo attribution: credit every order the demo seeded (idempotent, through the backfill)."""

from omnipresence.attribution.services import credits_backfill


def seed_attribution(boutique, log=print) -> int:
    count = credits_backfill(boutique=boutique)
    log(f"  attribution: {count} orders credited")
    return count
