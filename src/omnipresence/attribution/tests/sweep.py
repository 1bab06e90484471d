"""Operations of the attribution app for the tenancy sweep (core/tests/test_tenancy_sweep.py)."""


def sweep_ids(world: dict) -> dict:
    return {}


def sweep_operations(world: dict) -> dict:
    return {
        ("GET", "/boutiques/{slug}/attribution"): {},
        ("GET", "/boutiques/{slug}/attribution/settings"): {},
        ("PATCH", "/boutiques/{slug}/attribution/settings"): {"json": {"windows": {"share_link": 10}}},
    }
