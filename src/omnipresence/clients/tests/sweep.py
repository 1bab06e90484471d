"""Objects of the clients app for the tenancy sweep (core/tests/test_tenancy_sweep.py): made once
per world, through the services."""

from omnipresence.clients import services


def sweep_ids(world: dict) -> dict:
    if "clients_sweep" not in world:
        boutique, actor = world["boutique"], world["actor"]

        def resolve(email, name):
            return services.client_resolve(boutique=boutique, email=email, name=name, channel="shop")

        client = resolve("vane@example.com", "Sibyl Vane")
        kept, folded = (
            resolve("gray@example.com", "Dorian Gray"),
            resolve("dorian@example.com", "Dorian Gray"),
        )
        merge = services.client_merge(actor=actor, survivor=kept, merged=folded)
        other = resolve("wotton@example.com", "Henry Wotton")
        world["clients_sweep"] = {"client_id": client.pk, "merge_id": merge.pk, "other_client_id": other.pk,
                                  "identity_id": client.identities.get().pk}
    return world["clients_sweep"]


def sweep_operations(world: dict) -> dict:
    """Rows for the sweep table, in an order A's own owner would get each accepted."""
    ids = sweep_ids(world)
    return {
        ("GET", "/boutiques/{slug}/clients"): {},
        ("POST", "/boutiques/{slug}/clients/resolve"): {
            "json": {"email": "intruder@example.com", "name": "Intruder"}
        },
        ("GET", "/boutiques/{slug}/clients/duplicates"): {},
        ("GET", "/boutiques/{slug}/clients/{client_id}"): {},
        ("PATCH", "/boutiques/{slug}/clients/{client_id}"): {
            "json": {"tags": ["defaced"], "notes": "Defaced"}
        },
        ("GET", "/boutiques/{slug}/clients/{client_id}/timeline"): {},
        ("POST", "/boutiques/{slug}/clients/{client_id}/notes"): {"json": {"text": "Intruder's note"}},
        ("POST", "/boutiques/{slug}/clients/{client_id}/consents"): {
            "json": {
                "purpose": "marketing_email",
                "granted": True,
                "channel": "web",
                "wording": "Yes to news",
            }
        },
        ("POST", "/boutiques/{slug}/merges/{merge_id}/undo"): {},
        ("POST", "/boutiques/{slug}/clients/{client_id}/identities"): {
            "json": {"kind": "email", "value": "intruder-id@example.com"}
        },
        ("DELETE", "/boutiques/{slug}/clients/{client_id}/identities/{identity_id}"): {},
        ("GET", "/boutiques/{slug}/audit/profile-views"): {},
        ("GET", "/boutiques/{slug}/audit/attempts"): {},
        ("POST", "/boutiques/{slug}/clients/{client_id}/merge"): {
            "json": {"merged_id": ids["other_client_id"]}
        },
    }
