"""The knowledge base's full-text index: the database's own, per vendor.

- PostgreSQL: ``kb_article.search_vector``, a generated column
  ``to_tsvector('simple', search_text)`` (stored), with a GIN index. The
  'simple' configuration only lower-cases: the words are jieba's
  (:mod:`kehu.kb.segment`), no stemming, no stop words. The database's
  ``LC_CTYPE`` must know Chinese letters (``C.UTF-8`` or ``*.UTF-8``; the
  plain ``C`` locale drops them).
- SQLite: ``kb_article_fts``, an FTS5 table over ``kb_article.search_text``
  (external content, ``unicode61`` tokenizer), kept in step by three
  triggers on ``kb_article``.

Neither is a model field, so Django never writes them. The migration
``0002_search_index`` creates them; :func:`ensure` is idempotent and also
runs after every ``migrate`` (post_migrate), because Django rebuilds a SQLite
table to alter it, and a rebuilt table loses its triggers.
"""

from __future__ import annotations

PG_STATEMENTS = [
    "ALTER TABLE kb_article ADD COLUMN IF NOT EXISTS search_vector tsvector "
    "GENERATED ALWAYS AS (to_tsvector('simple'::regconfig, search_text)) STORED",
    "CREATE INDEX IF NOT EXISTS kb_article_search_gin ON kb_article USING gin (search_vector)",
]
PG_DROP = [
    "DROP INDEX IF EXISTS kb_article_search_gin",
    "ALTER TABLE kb_article DROP COLUMN IF EXISTS search_vector",
]

SQLITE_TABLE = ("CREATE VIRTUAL TABLE IF NOT EXISTS kb_article_fts USING fts5("
                "search_text, content='kb_article', content_rowid='id', tokenize='unicode61')")
SQLITE_TRIGGERS = [
    "CREATE TRIGGER IF NOT EXISTS kb_article_fts_ai AFTER INSERT ON kb_article BEGIN "
    "INSERT INTO kb_article_fts(rowid, search_text) VALUES (new.id, new.search_text); END",
    "CREATE TRIGGER IF NOT EXISTS kb_article_fts_ad AFTER DELETE ON kb_article BEGIN "
    "INSERT INTO kb_article_fts(kb_article_fts, rowid, search_text) VALUES ('delete', old.id, old.search_text); END",
    "CREATE TRIGGER IF NOT EXISTS kb_article_fts_au AFTER UPDATE OF search_text ON kb_article BEGIN "
    "INSERT INTO kb_article_fts(kb_article_fts, rowid, search_text) VALUES ('delete', old.id, old.search_text); "
    "INSERT INTO kb_article_fts(rowid, search_text) VALUES (new.id, new.search_text); END",
]
SQLITE_DROP = [
    "DROP TRIGGER IF EXISTS kb_article_fts_ai", "DROP TRIGGER IF EXISTS kb_article_fts_ad",
    "DROP TRIGGER IF EXISTS kb_article_fts_au", "DROP TABLE IF EXISTS kb_article_fts",
]


def _table_exists(connection) -> bool:
    return "kb_article" in connection.introspection.table_names()


def ensure(connection) -> None:
    """Create what is missing of the index (nothing else changes)."""
    if not _table_exists(connection):
        return
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            # only what is missing: an ALTER TABLE, even a no-op one, is refused inside a
            # transaction with pending deferred trigger events (a migrate run in one)
            cursor.execute("SELECT 1 FROM information_schema.columns WHERE table_schema = current_schema() "
                           "AND table_name = 'kb_article' AND column_name = 'search_vector'")
            if cursor.fetchone() is None:
                cursor.execute(PG_STATEMENTS[0])
            cursor.execute("SELECT 1 FROM pg_indexes WHERE schemaname = current_schema() "
                           "AND indexname = 'kb_article_search_gin'")
            if cursor.fetchone() is None:
                cursor.execute(PG_STATEMENTS[1])
        elif connection.vendor == "sqlite":
            cursor.execute("SELECT 1 FROM sqlite_master WHERE name = 'kb_article_fts'")
            new = cursor.fetchone() is None
            cursor.execute(SQLITE_TABLE)
            for sql in SQLITE_TRIGGERS:
                cursor.execute(sql)
            if new:
                rebuild(connection)


def drop(connection) -> None:
    with connection.cursor() as cursor:
        for sql in PG_DROP if connection.vendor == "postgresql" else SQLITE_DROP:
            cursor.execute(sql)


def rebuild(connection) -> None:
    """Read every article's ``search_text`` into the index again (SQLite; on
    PostgreSQL the generated column is always current)."""
    if connection.vendor == "sqlite":
        with connection.cursor() as cursor:
            cursor.execute("INSERT INTO kb_article_fts(kb_article_fts) VALUES ('rebuild')")


def ensure_after_migrate(sender, using="default", **kwargs) -> None:
    from django.db import connections

    ensure(connections[using])
