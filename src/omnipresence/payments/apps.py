from django.apps import AppConfig


class PaymentsConfig(AppConfig):
    name = "omnipresence.payments"
    label = "payments"
