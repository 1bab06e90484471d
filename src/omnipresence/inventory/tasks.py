"""Background work for the inventory."""

from django.tasks import task

from omnipresence.inventory.services import holds_sweep


@task()
def sweep_expired_holds() -> int:
    return holds_sweep()
