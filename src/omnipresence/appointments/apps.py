from django.apps import AppConfig


class AppointmentsConfig(AppConfig):
    name = "omnipresence.appointments"
    label = "appointments"

    def ready(self) -> None:
        from omnipresence.appointments import invitations, services
        from omnipresence.clients.hooks import on_merge, on_privacy
        from omnipresence.core.hooks import on_sweep

        on_sweep("appointment_reminders", invitations.reminders_sweep)
        on_sweep("appointment_slot_holds", services.slot_holds_sweep)
        on_merge("appointments", merge=services.appointments_merge, undo=services.appointments_merge_undo)
        on_privacy("appointments", export=services.appointments_export, erase=services.appointments_erase)
