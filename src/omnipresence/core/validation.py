"""Checks every service makes of what it is given: bounded free text, and objects of the actor's
own boutique."""

from omnipresence.core.errors import InvalidInput


def clean_text(value: str | None, field: str, limit: int) -> str:
    """Trimmed text of at most `limit` characters, never a NUL (PostgreSQL cannot store one)."""
    value = (value or "").strip()
    if len(value) > limit or "\x00" in value:
        raise InvalidInput(
            f"{field} is longer than {limit} characters.", code="too_long", details={"field": field}
        )
    return value


def same_boutique(actor, *objects) -> None:
    """Every object given (None is skipped) belongs to the actor's boutique."""
    for obj in objects:
        if obj is not None and obj.boutique_id != actor.boutique.pk:
            raise InvalidInput("That belongs to another boutique.", code="wrong_boutique")
