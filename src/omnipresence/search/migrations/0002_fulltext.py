"""The full-text index beside search_document, per database.

SQLite: an FTS5 table (rowid = product id, accents removed, prefix indexes for 1–3 letters, no
positions since we never query phrases) kept in step with search_document by triggers.
PostgreSQL: a stored generated tsvector column ('simple' configuration: no stemming, no stop
words, like unicode61) with a GIN index. Words arrive already folded by search.text.words.
"""

from django.db import migrations

SQLITE_FORWARD = [
    "CREATE VIRTUAL TABLE search_fts USING fts5("
    "body, tokenize='unicode61 remove_diacritics 2', prefix='1 2 3', detail='none')",
    "CREATE TRIGGER search_document_fts_insert AFTER INSERT ON search_document BEGIN "
    "INSERT INTO search_fts(rowid, body) VALUES (new.product_id, new.body); END",
    "CREATE TRIGGER search_document_fts_delete AFTER DELETE ON search_document BEGIN "
    "DELETE FROM search_fts WHERE rowid = old.product_id; END",
    "CREATE TRIGGER search_document_fts_update AFTER UPDATE OF body ON search_document BEGIN "
    "DELETE FROM search_fts WHERE rowid = old.product_id; "
    "INSERT INTO search_fts(rowid, body) VALUES (new.product_id, new.body); END",
    "INSERT INTO search_fts(rowid, body) SELECT product_id, body FROM search_document",
    # Vocabulary prefix look-ups across the hub (word GLOB 'coa*'), BINARY like the index.
    "CREATE INDEX search_term_word ON search_term (word)",
]
SQLITE_BACKWARD = [
    "DROP INDEX IF EXISTS search_term_word",
    "DROP TRIGGER IF EXISTS search_document_fts_insert",
    "DROP TRIGGER IF EXISTS search_document_fts_delete",
    "DROP TRIGGER IF EXISTS search_document_fts_update",
    "DROP TABLE IF EXISTS search_fts",
]
POSTGRES_FORWARD = [
    "ALTER TABLE search_document ADD COLUMN tsv tsvector "
    "GENERATED ALWAYS AS (to_tsvector('simple'::regconfig, body)) STORED",
    "CREATE INDEX search_document_tsv ON search_document USING gin (tsv)",
    # Prefix look-ups in the vocabulary (word LIKE 'coa%') whatever the database's collation.
    "CREATE INDEX search_term_prefix ON search_term (word varchar_pattern_ops)",
]
POSTGRES_BACKWARD = [
    "DROP INDEX IF EXISTS search_term_prefix",
    "DROP INDEX IF EXISTS search_document_tsv",
    "ALTER TABLE search_document DROP COLUMN IF EXISTS tsv",
]


def _run(statements_by_vendor):
    def run(apps, schema_editor):
        for statement in statements_by_vendor.get(schema_editor.connection.vendor, []):
            schema_editor.execute(statement)

    return run


class Migration(migrations.Migration):
    dependencies = [("search", "0001_initial")]

    operations = [
        migrations.RunPython(
            _run({"sqlite": SQLITE_FORWARD, "postgresql": POSTGRES_FORWARD}),
            _run({"sqlite": SQLITE_BACKWARD, "postgresql": POSTGRES_BACKWARD}),
        )
    ]
