"""Pickup codes: 8 characters from 32 that cannot be mistaken for one another (no 0/O, 1/I), shown
as ABCD-EFGH (40 bits). Only a SHA-256 is stored, salted with the fulfilment's id so two pickups
with the same code do not share a hash."""

import hashlib
import hmac
import secrets

ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"
LENGTH = 8


def code_new() -> str:
    return "".join(secrets.choice(ALPHABET) for _ in range(LENGTH))


def code_display(code: str) -> str:
    return f"{code[:4]}-{code[4:]}"


def code_normalise(typed: str) -> str:
    """What the associate typed, as stored: upper-case, without spaces or dashes."""
    return "".join(ch for ch in (typed or "").upper() if ch not in " -\t")[: LENGTH * 2]


def code_hash(fulfilment_id: int, code: str) -> str:
    return hashlib.sha256(f"{fulfilment_id}:{code}".encode()).hexdigest()


def code_matches(fulfilment_id: int, typed: str, stored_hash: str) -> bool:
    if not stored_hash:
        return False
    return hmac.compare_digest(code_hash(fulfilment_id, code_normalise(typed)), stored_hash)
