"""What differs between SQLite and PostgreSQL in a search: the full-text match, the vocabulary
prefix look-up. Everything else is the same SQL on both."""

import sqlite3
from dataclasses import dataclass

from django.db import connection


@dataclass(frozen=True)
class Term:
    """One query word: any indexed word starting with `prefix`, or exactly one of `alternatives`
    (the typo corrections found in the vocabulary)."""

    prefix: str
    alternatives: tuple[str, ...] = ()


class SqliteBackend:
    vendor = "sqlite"

    def text_match(self, terms: list[Term]) -> tuple[str, list]:
        """SQL selecting the product ids whose words match every term."""
        expression = " AND ".join(
            "(" + " OR ".join([f'"{t.prefix}"*'] + [f'"{alt}"' for alt in t.alternatives]) + ")" for t in terms
        )
        return "SELECT rowid FROM search_fts WHERE search_fts MATCH %s", [expression]

    def prefix_exists(self) -> str:
        # GLOB is case-sensitive and uses the (BINARY) index; words never contain * ? [.
        return "word GLOB %s"

    def prefix_pattern(self, word: str) -> str:
        return word + "*"

    def materialized(self) -> str:
        return "MATERIALIZED " if sqlite3.sqlite_version_info >= (3, 35) else ""


class PostgresBackend:
    vendor = "postgresql"

    def text_match(self, terms: list[Term]) -> tuple[str, list]:
        expression = " & ".join(
            "(" + " | ".join([f"'{t.prefix}':*"] + [f"'{alt}'" for alt in t.alternatives]) + ")" for t in terms
        )
        return (
            "SELECT product_id FROM search_document WHERE tsv @@ to_tsquery('simple'::regconfig, %s)",
            [expression],
        )

    def prefix_exists(self) -> str:
        return "word LIKE %s"

    def prefix_pattern(self, word: str) -> str:
        return word + "%"

    def materialized(self) -> str:
        return "MATERIALIZED "


def current_backend() -> SqliteBackend | PostgresBackend:
    if connection.vendor == "postgresql":
        return PostgresBackend()
    if connection.vendor == "sqlite":
        return SqliteBackend()
    raise NotImplementedError(f"search supports SQLite and PostgreSQL, not {connection.vendor}")
