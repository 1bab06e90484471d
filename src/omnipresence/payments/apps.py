from django.apps import AppConfig


class PaymentsConfig(AppConfig):
    name = "omnipresence.payments"
    label = "payments"

    def ready(self) -> None:
        from omnipresence.core.hooks import on_sweep, subscribe
        from omnipresence.payments.pay_links import pay_links_sweep
        from omnipresence.payments.services import refund_uncollected

        on_sweep("pay_links", pay_links_sweep)
        subscribe("pickup.released", refund_uncollected)
