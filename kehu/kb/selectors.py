"""Reads of the knowledge base. Who sees what: writers
(:attr:`CustomerPolicy.may_write_kb`) see every article; everyone else who
is signed in sees the published ones; the public FAQ passes
``viewer=None, published_only=True``. An article a viewer may not see and
one that does not exist give the same 404."""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import Prefetch, QuerySet
from django.db.models.expressions import RawSQL
from django.http import Http404

from kehu.kb import search
from kehu.kb.models import Article, ArticleStatus, KbCategory, KbTag
from kehu.org.policies import policy_for

SEARCH_LIMIT_MAX = 200


def _sees_all(viewer) -> bool:
    return viewer is not None and policy_for(viewer).may_write_kb


def article_visible(*, viewer, published_only: bool = False) -> QuerySet:
    qs = Article.objects.select_related("category", "author")
    if published_only or not _sees_all(viewer):
        if viewer is not None and not published_only and not policy_for(viewer).active:
            return qs.none()
        qs = qs.filter(status=ArticleStatus.PUBLISHED)
    return qs


def article_get(*, viewer, pk: int, published_only: bool = False) -> Article:
    try:
        return article_visible(viewer=viewer, published_only=published_only).prefetch_related("tags").get(pk=pk)
    except Article.DoesNotExist:
        raise Http404 from None


@dataclass
class ArticleFilters:
    q: str = ""
    status: str = ""
    category: str = ""  # a category's code
    tag: str = ""
    case_category: str = ""


def article_list(*, viewer, filters: ArticleFilters | None = None, published_only: bool = False) -> QuerySet:
    """The articles a viewer may see, filtered (``q`` through the full-text
    index: every word must match). Ordered by the model's ordering; callers
    order for their keyset."""
    f = filters or ArticleFilters()
    qs = article_visible(viewer=viewer, published_only=published_only)
    if f.status:
        qs = qs.filter(status=f.status)
    if f.category:
        qs = qs.filter(category__code=f.category)
    if f.tag:
        qs = qs.filter(tags__name=f.tag)
    if f.case_category:
        qs = qs.filter(case_category_code=f.case_category)
    if f.q.strip():
        match = search.matching_ids_sql(f.q)
        qs = qs.filter(pk__in=RawSQL(*match)) if match else qs.none()
    return qs


def _ranked(viewer, ranked: list[tuple[int, float]], published_only: bool) -> list[Article]:
    if not ranked:
        return []
    by_id = {a.pk: a for a in article_visible(viewer=viewer, published_only=published_only)
             .prefetch_related("tags").filter(pk__in=[pk for pk, _s in ranked])}
    out = []
    for pk, score in ranked:
        article = by_id.get(pk)
        if article is not None:
            article.score = score
            out.append(article)
    return out


def article_search(*, viewer, q: str, limit: int = 20, published_only: bool = False) -> list[Article]:
    """The best matches for ``q``, best first (``article.score``: higher is
    better), among what the viewer may see: PostgreSQL ``ts_rank`` over the
    tsvector, SQLite FTS5's bm25. Archived articles are left out."""
    limit = max(1, min(int(limit), SEARCH_LIMIT_MAX))
    # archived articles are withdrawn: the list finds them (status filter), searches do not
    if not published_only and _sees_all(viewer):
        statuses = (ArticleStatus.PUBLISHED, ArticleStatus.DRAFT)
    else:
        statuses = (ArticleStatus.PUBLISHED,)
    if viewer is not None and not published_only and not policy_for(viewer).active:
        return []
    return _ranked(viewer, search.ranked_ids(q, limit=limit, statuses=statuses), published_only)


def suggest_articles(text: str, limit: int = 5, *, case_category_code: str = "") -> list[Article]:
    """Published articles for a case: those that share the strongest words of
    the case's text (any of them, ranked), with the articles of the case's
    category first. For the cases app."""
    limit = max(1, min(int(limit), 50))
    ranked = search.ranked_ids(text, limit=limit * 3, statuses=(ArticleStatus.PUBLISHED,), mode="any")
    articles = _ranked(None, ranked, True)
    if case_category_code:
        linked = set(KbCategory.objects.filter(case_category_code=case_category_code).values_list("id", flat=True))
        # stable: keeps the rank; the case's category first, named on the article or through its category
        articles.sort(key=lambda a: a.case_category_code != case_category_code and a.category_id not in linked)
    return articles[:limit]


def category_list() -> QuerySet:
    return KbCategory.objects.all()


def tag_list() -> QuerySet:
    return KbTag.objects.filter(articles__isnull=False).distinct().order_by("name")


def faq_categories() -> list[KbCategory]:
    """The categories that have published articles, each with them (the public FAQ)."""
    published = Article.objects.filter(status=ArticleStatus.PUBLISHED).order_by("-helpful_count", "-id")
    cats = (KbCategory.objects.filter(articles__status=ArticleStatus.PUBLISHED).distinct()
            .prefetch_related(Prefetch("articles", queryset=published, to_attr="published")))
    return list(cats)


def faq_uncategorised() -> QuerySet:
    return Article.objects.filter(status=ArticleStatus.PUBLISHED, category__isnull=True).order_by("-helpful_count", "-id")


__all__ = ["ArticleFilters", "article_get", "article_list", "article_search", "article_visible",
           "suggest_articles"]
