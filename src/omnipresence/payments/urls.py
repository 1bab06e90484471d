from django.urls import path

from omnipresence.payments import views

app_name = "payments"
urlpatterns = [
    path("sandbox/<slug:reference>/", views.sandbox_page, name="sandbox"),
    path("<slug:token>/", views.pay_link_page, name="pay_link"),
    path("<slug:token>/pay/", views.pay_link_pay, name="pay_link_pay"),
    path("<slug:token>/return/", views.pay_link_return, name="pay_link_return"),
]
