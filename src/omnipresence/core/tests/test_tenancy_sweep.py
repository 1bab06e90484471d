"""The tenancy wall, swept over every operation of the OpenAPI document.

"A user of boutique A can read or change nothing of boutique B": each non-public operation is
called with A's real ids and codes in the path and a body that A's own owner would get accepted
(checked too), as boutique B's token, B's staff session and nobody; every call must be refused and
no row of A may change. A new endpoint fails this module until it has a row in OPERATIONS.
"""

import hashlib
import importlib
import io
import json

import pytest
from asgiref.sync import async_to_sync
from channels.testing import WebsocketCommunicator
from django.apps import apps as django_apps
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from PIL import Image

from omnipresence.catalog import services as catalog
from omnipresence.clients.models import AccessAttempt
from omnipresence.conftest import make_staff
from omnipresence.inventory import services as inventory
from omnipresence.inventory.models import TransferLine
from omnipresence.stores import services as stores

PREFIX = "/api/v1"

# Apps with a tests/sweep.py: sweep_ids(world) -> path ids, sweep_operations(world) -> rows,
# and optionally PUBLIC, the operations of theirs anyone may call.
SWEEP_APPS = (
    "orders", "payments", "fulfilment", "returns", "clients",
    "accounts", "privacy", "clienteling", "shares", "visits", "attribution", "inbox", "appointments", "live",
)  # fmt: skip


def _sweep_modules():
    modules = []
    for app in SWEEP_APPS:
        try:
            modules.append(importlib.import_module(f"omnipresence.{app}.tests.sweep"))
        except ModuleNotFoundError as error:
            if error.name != f"omnipresence.{app}.tests.sweep":
                raise
    return modules


def sweep_ids(world: dict) -> dict:
    return {key: value for module in _sweep_modules() for key, value in module.sweep_ids(world).items()}


def sweep_operations(world: dict) -> dict:
    return {key: value for module in _sweep_modules() for key, value in module.sweep_operations(world).items()}


# Operations anyone may call: they must never show drafts or another boutique's rows.
PUBLIC = {
    ("GET", "/boutiques"),
    ("GET", "/boutiques/{slug}"),
    ("GET", "/boutiques/{slug}/locations"),
    ("GET", "/boutiques/{slug}/products"),
    ("GET", "/boutiques/{slug}/products/{ref}"),
    ("GET", "/boutiques/{slug}/availability/{sku}"),
    ("GET", "/boutiques/{slug}/products/{ref}/availability"),
    ("GET", "/boutiques/{slug}/search"),
    ("GET", "/search"),
    *(operation for module in _sweep_modules() for operation in getattr(module, "PUBLIC", ())),
}


def png_bytes(size=(64, 48), colour=(30, 60, 200)) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", size, colour).save(buffer, "PNG")
    return buffer.getvalue()


def operations_for(world: dict) -> dict[tuple[str, str], dict]:
    """For each operation: path parameters naming `world`'s real objects, and a body its owner
    would get accepted. Order matters for the acceptance check (extend before release)."""
    sku = world["variants"][0].sku
    ids = {
        "slug": world["boutique"].slug,
        "code": "chelsea",
        "ref": str(world["product"].pk),
        "sku": sku,
        "hold_id": world["hold"].pk,
        "transfer_id": world["transfer"].pk,
        "token_id": world["token"].pk,
        **sweep_ids(world),
    }
    return {
        ("GET", "/boutiques/{slug}/stock"): {},
        ("GET", "/boutiques/{slug}/movements"): {},
        ("GET", "/boutiques/{slug}/holds"): {},
        ("GET", "/boutiques/{slug}/holds/{hold_id}"): {},
        ("GET", "/boutiques/{slug}/transfers/{transfer_id}"): {},
        ("GET", "/boutiques/{slug}/tokens"): {},
        ("POST", "/boutiques/{slug}/locations"): {"json": {"code": "pop-up", "name": "Pop-up"}},
        ("PATCH", "/boutiques/{slug}/locations/{code}"): {"json": {"name": "Renamed", "priority": 1}},
        ("PUT", "/boutiques/{slug}/locations/{code}/hours"): {
            "json": {"periods": [{"weekday": 0, "opens": "09:00", "closes": "18:00"}]}
        },
        ("POST", "/boutiques/{slug}/locations/{code}/hours-exceptions"): {
            "json": {"date": "2031-12-25", "closed": True, "note": "Christmas"}
        },
        ("POST", "/boutiques/{slug}/tokens"): {"json": {"name": "sneaky", "scopes": ["catalog:read"]}},
        ("DELETE", "/boutiques/{slug}/tokens/{token_id}"): {},
        ("POST", "/boutiques/{slug}/products"): {
            "json": {"title": "Intruder Scarf", "variants": [{"sku": "INTRUDER-1", "price": 100}]}
        },
        ("PATCH", "/boutiques/{slug}/products/{ref}"): {"json": {"title": "Defaced", "status": "draft"}},
        ("POST", "/boutiques/{slug}/products/{ref}/variants"): {"json": {"sku": "INTRUDER-2", "price": 1}},
        ("PATCH", "/boutiques/{slug}/variants/{sku}"): {"json": {"price": 1}},
        ("POST", "/boutiques/{slug}/products/{ref}/images"): {"files": ("image", "coat.png", png_bytes())},
        ("POST", "/boutiques/{slug}/stock/receipts"): {"json": {"location": "soho", "sku": sku, "quantity": 50}},
        ("POST", "/boutiques/{slug}/stock/adjustments"): {
            "json": {"location": "soho", "sku": sku, "delta": -1, "reason": "theft"}
        },
        ("POST", "/boutiques/{slug}/holds"): {"json": {"location": "warehouse", "sku": sku, "quantity": 1}},
        ("POST", "/boutiques/{slug}/holds/{hold_id}/extend"): {"json": {"ttl_minutes": 600}},
        ("POST", "/boutiques/{slug}/holds/{hold_id}/release"): {},
        ("POST", "/boutiques/{slug}/transfers"): {
            "json": {"source": "warehouse", "destination": "chelsea", "lines": [{"sku": sku, "quantity": 1}]}
        },
        ("POST", "/boutiques/{slug}/transfers/{transfer_id}/receive"): {"json": {}},
        ("POST", "/boutiques/{slug}/counts"): {"json": {"location": "soho", "lines": [{"sku": sku, "counted": 0}]}},
        ("POST", "/boutiques/{slug}/imports/products"): {
            "files": ("file", "products.csv", b"handle,title,sku,price\nintruder-bag,Intruder Bag,INTRUDER-3,12.50\n")
        },
        ("POST", "/boutiques/{slug}/imports/stock"): {
            "files": ("file", "stock.csv", f"location,sku,on_hand\nsoho,{sku},0\n".encode())
        },
        ("GET", "/boutiques/{slug}/exports/products.csv"): {},
        ("PUT", "/boutiques/{slug}/routing"): {"json": {"routing_rule": "most_stock"}},
        ("GET", "/boutiques/{slug}/exports/stock.csv"): {},
        **sweep_operations(world),
        "ids": ids,
    }


def call(client: Client, method: str, path: str, spec: dict, ids: dict):
    # A row may name its own objects for some path ids (`"ids": {...}`), e.g. an order of its own.
    url = PREFIX + path.format(**{**ids, **spec.get("ids", {})})
    if "files" in spec:
        field, filename, content = spec["files"]
        return client.post(url, {field: SimpleUploadedFile(filename, content)})
    if "json" in spec:
        return client.generic(method, url, json.dumps(spec["json"]), content_type="application/json")
    return client.generic(method, url)


def schema_operations(client: Client) -> set[tuple[str, str]]:
    schema = client.get(f"{PREFIX}/openapi.json").json()
    seen = set()
    for path, item in schema["paths"].items():
        for method, operation in item.items():
            if method not in {"get", "post", "put", "patch", "delete"}:
                continue
            key = (method.upper(), path.removeprefix(PREFIX))
            is_public = not operation.get("security")
            assert is_public == (key in PUBLIC), f"{key}: public={is_public} but PUBLIC says otherwise"
            seen.add(key)
    return seen


def populate(world: dict, owner_username: str) -> dict:
    actor = world["actor"]
    world["hold"] = inventory.hold_place(
        actor=actor, location=world["shop"], variant=world["variants"][1], quantity=1, client_name="Ms Vane"
    )
    world["transfer"] = inventory.transfer_create(
        actor=actor, source=world["warehouse"], destination=world["shop2"], lines=[(world["variants"][2], 2)]
    )
    world["token"], world["key"] = stores.api_token_create(boutique=world["boutique"], name="till")
    world["draft"] = catalog.product_create(actor=actor, title="Secret Runway Gown", status="draft")
    catalog.variant_create(actor=actor, product=world["draft"], sku=f"{world['boutique'].slug}-GOWN", price=99000)
    inventory.stock_receive(
        actor=actor, location=world["shop"], variant=world["draft"].variants.get(), quantity=3
    )
    world["owner"] = make_staff(world, owner_username, "owner")
    return world


@pytest.fixture
def two_worlds(world_a, world_b):
    return populate(world_a, "olivia"), populate(world_b, "bella")


def fingerprint(boutique) -> str:
    """A checksum of everything boutique A owns that an intruder could change: every row of every
    model of ours that carries a boutique (new apps are covered without editing this), plus the
    line tables that hang off them. The log of refused attempts is left out: B's attempts land
    there by design (test_b_attempts_on_a_client_are_logged checks it)."""
    parts = []
    for model in sorted(django_apps.get_models(), key=lambda m: m._meta.label):
        if not model.__module__.startswith("omnipresence.") or model is AccessAttempt:
            continue
        if any(f.name == "boutique" for f in model._meta.fields):
            parts.append(list(model.objects.filter(boutique=boutique).order_by("pk").values()))
    parts.append(list(TransferLine.objects.filter(transfer__boutique=boutique).order_by("pk").values()))
    return hashlib.sha256(json.dumps(parts, default=str, sort_keys=True).encode()).hexdigest()


def test_every_operation_is_in_the_sweep_table(client, two_worlds):
    a, _ = two_worlds
    table = operations_for(a)
    table.pop("ids")
    seen = schema_operations(client)
    assert seen - PUBLIC == set(table), (
        f"not covered by the tenancy sweep: {sorted(seen - PUBLIC - set(table))}; "
        f"in the table but gone from the API: {sorted(set(table) - seen)}"
    )


def test_boutique_b_can_neither_read_nor_change_anything_of_a(client, two_worlds):
    a, b = two_worlds
    table = operations_for(a)
    ids = table.pop("ids")
    callers = {
        "B's token": Client(headers={"Authorization": f"Bearer {b['key']}"}),
        "B's owner session": Client(),
        "nobody": Client(),
    }
    callers["B's owner session"].force_login(b["owner"])
    before = fingerprint(a["boutique"])
    exercised = set()
    for (method, path), spec in table.items():
        for who, caller in callers.items():
            response = call(caller, method, path, spec, ids)
            expected = {401} if who == "nobody" else {403, 404}
            assert response.status_code in expected, (who, method, path, response.status_code, response.content[:300])
            body = response.json()
            assert body["code"] and body["message"], (method, path)
            if who == "nobody":
                assert body["code"] == "unauthenticated"
            exercised.add((method, path))
    assert fingerprint(a["boutique"]) == before
    assert exercised == schema_operations(client) - PUBLIC
    # test_b_attempts_on_a_client_are_logged: each refusal about A's client data is on record.
    refused = AccessAttempt.objects.filter(boutique=a["boutique"])
    assert refused.filter(action="view", target=f"client:{ids['client_id']}").exists()
    labels = set(refused.values_list("actor_label", flat=True))
    assert b["owner"].get_username() in labels
    assert any(label.startswith("token:") for label in labels)


def test_the_sweep_bodies_would_work_for_a_itself(two_worlds):
    """Proves the refusals above come from the wall, not from a body that was wrong anyway."""
    a, _ = two_worlds
    table = operations_for(a)
    ids = table.pop("ids")
    owner = Client()
    owner.force_login(a["owner"])
    before = fingerprint(a["boutique"])
    for (method, path), spec in table.items():
        response = call(owner, method, path, spec, ids)
        assert response.status_code < 300, (method, path, response.status_code, response.content[:300])
    assert fingerprint(a["boutique"]) != before


def test_a_token_of_a_is_refused_on_every_operation_of_b(two_worlds):
    a, b = two_worlds
    table = operations_for(b)
    ids = table.pop("ids")
    as_a = Client(headers={"Authorization": f"Bearer {a['key']}"})
    before = fingerprint(b["boutique"])
    for (method, path), spec in table.items():
        response = call(as_a, method, path, spec, ids)
        assert response.status_code == 403, (method, path, response.status_code)
        assert response.json()["code"] == "wrong_boutique"
    assert fingerprint(b["boutique"]) == before


@pytest.mark.parametrize(
    "method,path",
    [
        ("GET", "/boutiques/{slug}/holds/{hold_id}"),
        ("POST", "/boutiques/{slug}/holds/{hold_id}/extend"),
        ("POST", "/boutiques/{slug}/holds/{hold_id}/release"),
        ("GET", "/boutiques/{slug}/transfers/{transfer_id}"),
        ("POST", "/boutiques/{slug}/transfers/{transfer_id}/receive"),
        ("DELETE", "/boutiques/{slug}/tokens/{token_id}"),
        ("PATCH", "/boutiques/{slug}/products/{ref}"),
        ("POST", "/boutiques/{slug}/products/{ref}/variants"),
        ("POST", "/boutiques/{slug}/products/{ref}/images"),
        ("PATCH", "/boutiques/{slug}/variants/{sku}"),
    ],
)
def test_ids_of_b_under_a_slug_are_not_found(two_worlds, method, path):
    a, b = two_worlds
    b_table = operations_for(b)
    b_ids = b_table.pop("ids")
    spec = b_table[(method, path)]
    if path.endswith("/variants"):
        spec = {"json": {"sku": "A-NEW-1", "price": 1}}
    owner_a = Client()
    owner_a.force_login(a["owner"])
    before = fingerprint(b["boutique"]), fingerprint(a["boutique"])
    response = call(owner_a, method, path, spec, {**b_ids, "slug": a["boutique"].slug})
    assert response.status_code == 404, response.content
    assert response.json()["code"].endswith("not_found")
    assert (fingerprint(b["boutique"]), fingerprint(a["boutique"])) == before


def test_skus_and_locations_of_b_in_a_body_are_not_found(two_worlds, token_a):
    a, b = two_worlds
    as_a = Client(headers={"Authorization": f"Bearer {a['key']}"})
    b_sku = b["variants"][0].sku
    before = fingerprint(b["boutique"])
    response = as_a.post(
        f"{PREFIX}/boutiques/atelier-a/holds", {"location": "soho", "sku": b_sku, "quantity": 1},
        content_type="application/json",
    )  # fmt: skip
    assert (response.status_code, response.json()["code"]) == (404, "variant_not_found")
    response = as_a.get(f"{PREFIX}/boutiques/atelier-a/stock", {"location": str(b["shop"].pk)})
    assert (response.status_code, response.json()["code"]) == (404, "location_not_found")
    assert fingerprint(b["boutique"]) == before


def test_public_endpoints_never_show_drafts_or_another_boutique(client, two_worlds):
    a, b = two_worlds
    draft = a["draft"]
    draft_sku = draft.variants.get().sku

    listing = client.get(f"{PREFIX}/boutiques/atelier-a/products").json()
    assert listing["count"] == 1
    assert [p["id"] for p in listing["items"]] == [a["product"].pk]
    assert {v["sku"] for p in listing["items"] for v in p["variants"]} == {v.sku for v in a["variants"]}

    for url in (
        f"/boutiques/atelier-a/products/{draft.pk}",
        f"/boutiques/atelier-a/products/{draft.handle}",
        f"/boutiques/atelier-a/products/{draft.pk}/availability",
        f"/boutiques/atelier-a/availability/{draft_sku}",
        f"/boutiques/atelier-a/products/{b['product'].pk}",
        f"/boutiques/atelier-a/products/{b['product'].pk}/availability",
        f"/boutiques/atelier-a/availability/{b['variants'][0].sku}",
    ):
        response = client.get(PREFIX + url)
        assert response.status_code == 404, url
        assert "Gown" not in response.content.decode()

    locations = client.get(f"{PREFIX}/boutiques/atelier-a/locations").json()
    assert {loc["id"] for loc in locations} == {a["shop"].pk, a["shop2"].pk, a["warehouse"].pk}
    boutiques = client.get(f"{PREFIX}/boutiques", {"city": "Paris"}).json()
    assert [x["slug"] for x in boutiques] == ["boutique-b"]
    availability = client.get(f"{PREFIX}/boutiques/atelier-a/products/{a['product'].pk}/availability").json()
    assert {loc["code"] for entry in availability for loc in entry["locations"]} == {"soho", "chelsea", "warehouse"}


@pytest.mark.parametrize("query", ["Gown", "Secret Runway", "Coat", ""])
def test_search_never_shows_drafts_or_another_boutique(client, two_worlds, query):
    scoped = client.get(f"{PREFIX}/boutiques/atelier-a/search", {"q": query})
    assert scoped.status_code == 200
    assert {hit["boutique"] for hit in scoped.json()["hits"]} <= {"atelier-a"}
    hub = client.get(f"{PREFIX}/search", {"q": query, "boutique": "atelier-a"})
    assert hub.status_code == 200
    for response in (scoped, hub):
        assert "Gown" not in response.content.decode()
        assert "GOWN" not in response.content.decode()
    assert {hit["boutique"] for hit in hub.json()["hits"]} <= {"atelier-a"}


def _socket(path: str) -> tuple[bool, int | None]:
    from omnipresence.asgi import application

    async def run():
        communicator = WebsocketCommunicator(application, path, headers=[(b"origin", b"http://testserver")])
        connected, code = await communicator.connect()
        if connected:
            first = await communicator.receive_json_from()
            await communicator.disconnect()
            return True, first
        return False, code

    return async_to_sync(run)()


def test_availability_socket_of_another_boutique_or_a_draft_is_closed(two_worlds):
    a, b = two_worlds
    assert _socket(f"/ws/availability/atelier-a/{b['product'].pk}/") == (False, 4404)
    assert _socket(f"/ws/availability/atelier-a/{a['draft'].pk}/") == (False, 4404)
    assert _socket(f"/ws/availability/no-such-boutique/{a['product'].pk}/") == (False, 4404)


def test_availability_socket_of_own_product_sends_its_stock(two_worlds):
    a, _ = two_worlds
    connected, payload = _socket(f"/ws/availability/atelier-a/{a['product'].pk}/")
    assert connected
    assert payload["product_id"] == a["product"].pk
    assert [v["sku"] for v in payload["variants"]] == [v.sku for v in a["variants"]]
