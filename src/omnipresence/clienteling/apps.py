from django.apps import AppConfig


class ClientelingConfig(AppConfig):
    name = "omnipresence.clienteling"
    label = "clienteling"

    def ready(self) -> None:
        from omnipresence.clienteling import matching
        from omnipresence.clienteling.generation import tasks_sweep
        from omnipresence.clienteling.services import tasks_erase, tasks_export, tasks_merge, tasks_merge_undo
        from omnipresence.clients.hooks import on_merge, on_privacy
        from omnipresence.clients.selectors import on_book_filter
        from omnipresence.core.hooks import on_sweep

        on_sweep("clienteling_tasks", tasks_sweep)
        on_merge("clienteling", merge=tasks_merge, undo=tasks_merge_undo)
        on_privacy("clienteling", export=tasks_export, erase=tasks_erase)
        on_book_filter("open_holds", matching.book_open_holds)
        on_book_filter("unpaid_pay_links", matching.book_unpaid_pay_links)
        on_book_filter("new_arrivals", matching.book_new_arrivals)
