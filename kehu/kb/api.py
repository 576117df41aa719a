"""/kb: the knowledge base (知识库). Writers (service agents, sales managers,
administrators) see and change every article; everyone else signed in reads
the published ones — any other article answers 404, and writing 403.

- ``GET /kb/articles``: filters (``q``, ``status``, ``category``, ``tag``,
  ``case_category``) and keyset pagination, newest change first; ``q``
  needs every word (jieba-segmented, the full-text index).
- ``GET /kb/search``: the best matches for ``q``, best first, one page.
"""

import datetime as dt
from typing import Literal, Optional

from ninja import Field, Query, Router, Schema
from ninja.pagination import paginate
from ninja.responses import Status

from kehu.api.common import READ_ERRORS, WRITE_ERRORS, api_field_names, not_found_field, partial_schema, sent_fields
from kehu.api.pagination import CursorPagination
from kehu.kb import selectors
from kehu.kb.models import BODY_MAX, TAG_MAX, TITLE_MAX, ArticleStatus, KbCategory
from kehu.kb.services import article_archive, article_create, article_publish, article_update, article_vote

router = Router(tags=["knowledge base"])


class KbCategoryOut(Schema):
    id: int
    code: str
    name_zh: str
    name_en: str
    position: int = 0
    case_category_code: str = Field("", description="The case category (its code) whose cases get this "
                                                    "category's articles suggested first; '' none.")


class KbCategoryIn(Schema):
    code: str = Field(min_length=1, max_length=50, pattern=r"^[a-z0-9][a-z0-9_-]*$")
    name_zh: str = Field(min_length=1, max_length=100)
    name_en: str = Field("", max_length=100)
    position: int = Field(0, ge=0, le=32767)
    case_category_code: str = Field("", max_length=50)


class ArticleOut(Schema):
    id: int
    title_zh: str
    title_en: str
    body_zh: str
    body_en: str
    status: ArticleStatus
    category: Optional[KbCategoryOut]
    tags: list[str]
    case_category_code: str = Field(description="The case category this article answers (cases app).")
    source_ref: str = Field(description="Where a draft came from, e.g. case:123.")
    author_id: Optional[int]
    helpful_count: int
    not_helpful_count: int
    published_at: Optional[dt.datetime]
    created_at: dt.datetime
    updated_at: dt.datetime

    @staticmethod
    def resolve_tags(obj) -> list[str]:
        return sorted(t.name for t in obj.tags.all())


class ArticleHit(ArticleOut):
    score: float = Field(description="Relevance, higher is better (ts_rank on PostgreSQL, bm25 on SQLite).")


class ArticleSearchOut(Schema):
    items: list[ArticleHit]


class ArticleFields(Schema):
    title_zh: str = Field("", max_length=TITLE_MAX, description="Either title may be empty, not both.")
    title_en: str = Field("", max_length=TITLE_MAX)
    body_zh: str = Field("", max_length=BODY_MAX, description="Either text may be empty, not both.")
    body_en: str = Field("", max_length=BODY_MAX)
    category: Optional[str] = Field(None, max_length=50, description="A knowledge-base category's code.")
    tags: list[str] = Field(default_factory=list, max_length=20,
                            description=f"Up to 20 tags of at most {TAG_MAX} characters.")
    case_category_code: str = Field("", max_length=50)
    source_ref: str = Field("", max_length=100)


class ArticleIn(ArticleFields):
    status: Literal["draft", "published"] = Field("draft", description="Publish at once, or keep as a draft.")


ArticlePatchIn = partial_schema(ArticleFields, "ArticlePatchIn")


class ArticleFilterIn(Schema):
    q: str = Field("", max_length=200, description="Words to find (Chinese or English); every word must match.")
    status: Optional[ArticleStatus] = Field(None, description="Writers only; others see published articles.")
    category: str = Field("", max_length=50, description="A category's code.")
    tag: str = Field("", max_length=TAG_MAX)
    case_category: str = Field("", max_length=50, description="Articles linked to this case category.")


class ArticleSearchIn(Schema):
    q: str = Field(min_length=1, max_length=200)
    limit: int = Field(20, ge=1, le=100)


class ArticleVoteIn(Schema):
    helpful: bool = Field(description="Was the article helpful? One vote per user; a second one replaces it.")


def _data(payload: dict) -> tuple[dict, Optional[list[str]]]:
    tags = payload.pop("tags", None)
    if "category" in payload:
        code = payload.pop("category")
        if code:
            category = KbCategory.objects.filter(code=code).first()
            if category is None:
                raise not_found_field("category")
            payload["category"] = category
        else:
            payload["category"] = None
    return payload, tags


def _get(request, pk: int):
    return selectors.article_get(viewer=request.auth, pk=pk)


@router.get("/articles", response={200: list[ArticleOut], **READ_ERRORS}, url_name="kb-article-list",
            summary="List knowledge-base articles, most recently changed first")
@paginate(CursorPagination)
def list_articles(request, filters: Query[ArticleFilterIn]):
    f = selectors.ArticleFilters(q=filters.q, status=filters.status or "", category=filters.category,
                                 tag=filters.tag, case_category=filters.case_category)
    return (selectors.article_list(viewer=request.auth, filters=f).prefetch_related("tags")
            .order_by("-updated_at", "-id"))


@router.get("/search", response={200: ArticleSearchOut, **READ_ERRORS}, url_name="kb-search",
            summary="Search the knowledge base, best match first")
def search_articles(request, params: Query[ArticleSearchIn]):
    return {"items": selectors.article_search(viewer=request.auth, q=params.q, limit=params.limit)}


@router.post("/articles", response={201: ArticleOut, **WRITE_ERRORS}, url_name="kb-article-create",
             summary="Write an article (a draft, or published at once)")
def create_article(request, payload: ArticleIn):
    raw = payload.model_dump()
    status = raw.pop("status")
    data, tags = _data(raw)
    article = article_create(actor=request.auth, data=data, tags=tags or [], status=status)
    return Status(201, _get(request, article.pk))


@router.get("/articles/{int:article_id}", response={200: ArticleOut, **READ_ERRORS}, url_name="kb-article-detail",
            summary="Get an article")
def get_article(request, article_id: int):
    return _get(request, article_id)


@router.patch("/articles/{int:article_id}", response={200: ArticleOut, **WRITE_ERRORS},
              url_name="kb-article-update", summary="Change an article's texts, category, tags or links")
def update_article(request, article_id: int, payload: ArticlePatchIn):
    article = _get(request, article_id)
    data, tags = _data(sent_fields(payload))
    with api_field_names({}):
        article_update(actor=request.auth, article=article, data=data, tags=tags)
    return _get(request, article_id)


@router.post("/articles/{int:article_id}/publish", response={200: ArticleOut, **WRITE_ERRORS},
             url_name="kb-article-publish", summary="Publish an article (the FAQ shows it)")
def publish_article(request, article_id: int):
    article_publish(actor=request.auth, article=_get(request, article_id))
    return _get(request, article_id)


@router.post("/articles/{int:article_id}/archive", response={200: ArticleOut, **WRITE_ERRORS},
             url_name="kb-article-archive", summary="Archive an article (withdrawn from the FAQ and searches)")
def archive_article(request, article_id: int):
    article_archive(actor=request.auth, article=_get(request, article_id))
    return _get(request, article_id)


@router.post("/articles/{int:article_id}/vote", response={200: ArticleOut, **WRITE_ERRORS},
             url_name="kb-article-vote", summary="Say whether a published article was helpful")
def vote_article(request, article_id: int, payload: ArticleVoteIn):
    from kehu.kb.services import voter_key

    article = _get(request, article_id)
    article_vote(article=article, voter_key=voter_key(request), helpful=payload.helpful)
    return _get(request, article_id)


@router.get("/categories", response={200: list[KbCategoryOut], **READ_ERRORS}, url_name="kb-category-list",
            summary="The knowledge base's categories")
def list_categories(request):
    return list(selectors.category_list())


def _admin(request) -> None:
    from django.core.exceptions import PermissionDenied
    from django.utils.translation import gettext as _

    from kehu.org.policies import policy_for

    if not policy_for(request.auth).is_admin:
        raise PermissionDenied(_("Only an administrator may manage knowledge-base categories."))


def _category(request, category_id: int) -> KbCategory:
    from django.shortcuts import get_object_or_404

    _admin(request)
    return get_object_or_404(KbCategory, pk=category_id)


KbCategoryPatchIn = partial_schema(KbCategoryIn, "KbCategoryPatchIn")


@router.post("/categories", response={201: KbCategoryOut, **WRITE_ERRORS}, url_name="kb-category-create",
             summary="Create a knowledge-base category (administrators)")
def create_category(request, payload: KbCategoryIn):
    from kehu.kb.services import category_create

    _admin(request)
    return Status(201, category_create(actor=request.auth, **payload.model_dump()))


@router.patch("/categories/{int:category_id}", response={200: KbCategoryOut, **WRITE_ERRORS},
              url_name="kb-category-update", summary="Change a knowledge-base category (administrators)")
def update_category(request, category_id: int, payload: KbCategoryPatchIn):
    from kehu.kb.services import category_update

    category = _category(request, category_id)
    return category_update(actor=request.auth, category=category, data=sent_fields(payload))


@router.delete("/categories/{int:category_id}", response={204: None, **WRITE_ERRORS},
               url_name="kb-category-delete",
               summary="Delete a knowledge-base category no article uses (administrators)")
def delete_category(request, category_id: int):
    """422 when articles are in the category (move them first)."""
    from kehu.kb.services import category_delete

    category_delete(actor=request.auth, category=_category(request, category_id))
    return Status(204, None)
