from django.urls import path

from omnipresence.storefront import views

app_name = "storefront"
urlpatterns = [path("", views.hub_home, name="hub")]
