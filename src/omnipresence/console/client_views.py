"""Finding a returning client at the till from her earlier orders (htmx fragment of the sale page)."""

from django.shortcuts import render
from django.views.decorators.http import require_GET

from omnipresence.console.access import staff_view
from omnipresence.orders.selectors import clients_seen
from omnipresence.stores.access import Actor


@staff_view
@require_GET
def client_matches(request, actor: Actor):
    query = request.GET.get("q", "")[:120]
    matches = clients_seen(actor=actor, query=query)
    return render(request, "console/sell/_client_matches.html",
                  {"actor": actor, "boutique": actor.boutique, "matches": matches, "query": query})  # fmt: skip
