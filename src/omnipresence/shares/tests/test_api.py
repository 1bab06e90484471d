"""The lookbooks API: create (and refusals, logged), list, read, revoke; nothing half-written."""

from django.test import Client

from omnipresence.clients.models import AccessAttempt
from omnipresence.shares import services
from omnipresence.shares.models import Share
from omnipresence.shares.tests.conftest import lookbook_world, make_share

BASE = "/api/v1/boutiques/atelier-a/lookbooks"


def post(api, url, body):
    return api.post(url, body, content_type="application/json")


def test_create_answers_the_link_and_reading_it_again_gives_the_same_url(shop, api_a):
    body = {"client_id": shop["client"].pk, "title": "Ideas", "note": "For June", "associate": "alice",
            "items": [{"product_id": shop["product"].pk, "variant_sku": shop["variants"][1].sku, "note": "M"},
                      {"product_id": shop["scarf"].pk}]}  # fmt: skip
    response = post(api_a, BASE, body)
    assert response.status_code == 201, response.content
    data = response.json()
    share = Share.objects.get()
    assert data["url"] == services.share_url(share) and data["url"].endswith(f"/atelier-a/s/{services.share_token(share)}/")
    assert (data["client_id"], data["associate"], data["status"], data["views"]) == (shop["client"].pk, "alice", "active", 0)
    assert [(i["product_id"], i["variant_sku"], i["note"]) for i in data["items"]] == [
        (shop["product"].pk, shop["variants"][1].sku, "M"), (shop["scarf"].pk, None, "")]  # fmt: skip
    assert api_a.get(f"{BASE}/{share.pk}").json()["url"] == data["url"]
    listing = api_a.get(BASE, {"client_id": shop["client"].pk}).json()
    assert [s["id"] for s in listing] == [share.pk]
    revoked = post(api_a, f"{BASE}/{share.pk}/revoke", {})
    assert revoked.status_code == 200 and revoked.json()["status"] == "revoked"


def test_bad_items_are_refused_with_a_code_logged_and_nothing_made(shop, world_b, api_a):
    other = lookbook_world(world_b, username="bruno")
    cases = [
        ({"product_id": other["product"].pk}, 422, "product_not_found"),
        ({"product_id": shop["draft"].pk}, 422, "product_unpublished"),
        ({"product_id": shop["product"].pk, "variant_sku": "NOPE"}, 422, "size_not_found"),
    ]
    for item, status, code in cases:
        response = post(api_a, BASE, {"client_id": shop["client"].pk, "items": [item]})
        assert (response.status_code, response.json()["code"]) == (status, code), response.content
    foreign = post(api_a, BASE, {"client_id": other["client"].pk, "items": [{"product_id": shop["product"].pk}]})
    assert foreign.status_code == 404
    for body in ({"client_id": shop["client"].pk, "items": []}, {"client_id": "x", "items": [{"product_id": 1}]},
                 {"client_id": shop["client"].pk, "items": [{"product_id": 2**70}]},
                 {"client_id": shop["client"].pk, "items": [{"product_id": 1}], "title": "a\x00b"},
                 {"client_id": shop["client"].pk, "items": [{"product_id": 1}], "extra": 1}):  # fmt: skip
        assert post(api_a, BASE, body).status_code in (400, 422)
    assert Share.objects.filter(boutique=shop["boutique"]).count() == 0
    targets = set(AccessAttempt.objects.filter(action="share_create").values_list("target", "code"))
    assert (f"client:{other['client'].pk}", "client_not_found") in targets
    assert (f"client:{shop['client'].pk}", "product_not_found") in targets


def test_reads_of_another_boutiques_lookbook_are_not_found_and_logged(shop, world_b, api_a):
    other = lookbook_world(world_b, username="bruno")
    theirs = make_share(other)
    assert api_a.get(f"{BASE}/{theirs.pk}").status_code == 404
    assert post(api_a, f"{BASE}/{theirs.pk}/revoke", {}).status_code == 404
    assert api_a.get(BASE, {"client_id": other["client"].pk}).status_code == 404
    assert api_a.get(BASE, {"client_id": 2**63}).status_code == 422
    theirs.refresh_from_db()
    assert theirs.revoked_at is None
    assert AccessAttempt.objects.filter(action="share_view", target=f"share:{theirs.pk}").exists()
    assert Client().get(BASE).status_code == 401
