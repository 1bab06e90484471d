"""Console pages for tasks: /console/<slug>/tasks/… (in the console namespace)."""

from django.urls import path

from omnipresence.clienteling import console_views

urlpatterns = [
    path("", console_views.tasks_page, name="tasks"),
    path("<int:task_id>/done/", console_views.task_done, name="task_done"),
    path("<int:task_id>/dismiss/", console_views.task_dismiss, name="task_dismiss"),
    path("<int:task_id>/snooze/", console_views.task_snooze, name="task_snooze"),
    path("<int:task_id>/assign/", console_views.task_assign, name="task_assign"),
    path("handover/", console_views.task_handover, name="task_handover"),
    path("client/<int:client_id>/new/", console_views.client_task_create, name="task_create"),
    path("client/<int:client_id>/message/", console_views.client_message, name="task_message"),
]
