"""Full-text search over the knowledge base, on the database in use.

One entry point per need: :func:`matching_ids_sql` (a subquery of the ids
matching a search, to filter any queryset: lists, the API) and
:func:`ranked_ids` (the best matches, best first: the FAQ, the global
search, suggestions). The words come from :mod:`kehu.kb.segment`; the index
from :mod:`kehu.kb.search_schema`.

``mode="all"`` needs every word (PostgreSQL ``plainto_tsquery``, FTS5's
implicit AND); ``mode="any"`` any of them, ranked (suggestions for a case,
whose description is a paragraph, not a query).
"""

from __future__ import annotations

from django.db import connection

from kehu.kb import segment


def _words(q: str, mode: str) -> list[str]:
    return segment.keywords(q) if mode == "any" else segment.query_words(q)


def _fts5_query(words: list[str], mode: str) -> str:
    # each word a quoted string: nothing in a word is FTS5 syntax
    joiner = " OR " if mode == "any" else " "
    return joiner.join('"' + w.replace('"', '""') + '"' for w in words)


def _pg_tsquery(words: list[str], mode: str) -> tuple[str, list]:
    if mode == "any":
        # the words are letters and digits only (segment._WORD); a tsquery of them ORed
        return "to_tsquery('simple'::regconfig, %s)", [" | ".join(words)]
    return "plainto_tsquery('simple'::regconfig, %s)", [" ".join(words)]


def matching_ids_sql(q: str, *, mode: str = "all") -> tuple[str, list] | None:
    """``(sql, params)`` selecting the ids of the articles matching ``q``, or
    ``None`` when ``q`` has no word to look for."""
    words = _words(q, mode)
    if not words:
        return None
    if connection.vendor == "postgresql":
        tsquery, params = _pg_tsquery(words, mode)
        return f"SELECT id FROM kb_article WHERE search_vector @@ {tsquery}", params
    return "SELECT rowid FROM kb_article_fts WHERE kb_article_fts MATCH %s", [_fts5_query(words, mode)]


def ranked_ids(q: str, *, limit: int, statuses: tuple[str, ...] | None = None,
               mode: str = "all") -> list[tuple[int, float]]:
    """``(id, score)`` of the best matches, best first (higher score = better)."""
    words = _words(q, mode)
    if not words or limit <= 0:
        return []
    status_sql, status_params = "", []
    if statuses:
        status_sql = " AND a.status IN (" + ", ".join(["%s"] * len(statuses)) + ")"
        status_params = list(statuses)
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            tsquery, params = _pg_tsquery(words, mode)
            cursor.execute(
                f"SELECT a.id, ts_rank(a.search_vector, query) AS score "
                f"FROM kb_article a, {tsquery} query "
                f"WHERE a.search_vector @@ query{status_sql} ORDER BY score DESC, a.id DESC LIMIT %s",
                [*params, *status_params, limit])
        else:
            # bm25() is lower for better matches: negated, so that higher is better on both databases
            cursor.execute(
                f"SELECT a.id, -bm25(kb_article_fts) AS score FROM kb_article_fts "
                f"JOIN kb_article a ON a.id = kb_article_fts.rowid "
                f"WHERE kb_article_fts MATCH %s{status_sql} ORDER BY score DESC, a.id DESC LIMIT %s",
                [_fts5_query(words, mode), *status_params, limit])
        return [(int(pk), float(score)) for pk, score in cursor.fetchall()]
