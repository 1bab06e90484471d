from django.shortcuts import render

from omnipresence.stores.selectors import boutique_list


def hub_home(request):
    return render(request, "storefront/hub.html", {"boutiques": boutique_list()})
