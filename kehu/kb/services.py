"""Writes to the knowledge base: articles, categories, votes.

Every function asks the policy (:attr:`CustomerPolicy.may_write_kb`) itself,
runs ``full_clean`` and records an audit event, so the pages, the API, the
import and the cases app get the same rules. ``actor=None`` is the system
(the import command, the demo).
"""

from __future__ import annotations

import hashlib
from typing import Any, Iterable

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from kehu.audit.services import audit_record, diff, snapshot
from kehu.kb import segment
from kehu.kb.models import TAG_MAX, TAGS_PER_ARTICLE_MAX, Article, ArticleStatus, ArticleVote, KbCategory, KbTag
from kehu.org.policies import policy_for

ARTICLE_FIELDS = {"title_zh", "title_en", "body_zh", "body_en", "category", "case_category_code", "source_ref"}
AUDITED = ["title_zh", "title_en", "body_zh", "body_en", "status", "category", "case_category_code", "source_ref"]


def _check_writer(actor) -> None:
    if actor is not None and not policy_for(actor).may_write_kb:
        raise PermissionDenied(_("You may not change knowledge-base articles."))


def check_tags(tags: Iterable[str]) -> list[str]:
    """Tags stripped, without duplicates; refused when too long or too many."""
    out: list[str] = []
    for raw in tags:
        tag = str(raw).strip()
        if not tag:
            continue
        if len(tag) > TAG_MAX or "\x00" in tag:
            raise ValidationError({"tags": [_("A tag has at most %(n)d characters.") % {"n": TAG_MAX}]})
        if tag not in out:
            out.append(tag)
    if len(out) > TAGS_PER_ARTICLE_MAX:
        raise ValidationError({"tags": [_("An article has at most %(n)d tags.") % {"n": TAGS_PER_ARTICLE_MAX}]})
    return out


def _set_tags(article: Article, tags: list[str]) -> None:
    existing = {t.name: t for t in KbTag.objects.filter(name__in=tags)}
    missing = [KbTag(name=n) for n in tags if n not in existing]
    if missing:
        KbTag.objects.bulk_create(missing, ignore_conflicts=True)
        existing = {t.name: t for t in KbTag.objects.filter(name__in=tags)}
    article.tags.set([existing[n] for n in tags])


def _index(article: Article, tags: list[str] | None = None) -> None:
    if tags is None:
        tags = list(article.tags.values_list("name", flat=True)) if article.pk else []
    article.search_text = segment.index_text(article.title_zh, article.title_en, " ".join(tags),
                                             article.body_zh, article.body_en)


def _clean_data(data: dict[str, Any]) -> dict[str, Any]:
    unknown = set(data) - ARTICLE_FIELDS
    if unknown:
        raise ValidationError({k: [_("Unknown field.")] for k in sorted(unknown)})
    return {k: (v.strip() if isinstance(v, str) else v) for k, v in data.items()}


def article_create(*, actor, data: dict[str, Any], tags: Iterable[str] = (),
                   status: str = ArticleStatus.DRAFT) -> Article:
    _check_writer(actor)
    data = _clean_data(data)
    tags = check_tags(tags)
    if status not in ArticleStatus.values:
        raise ValidationError({"status": [_("Choose draft, published or archived.")]})
    article = Article(**data, status=status, author=actor if getattr(actor, "pk", None) else None)
    if status == ArticleStatus.PUBLISHED:
        article.published_at = timezone.now()
    _index(article, tags)
    with transaction.atomic():
        article.full_clean()
        article.save()
        _set_tags(article, tags)
        audit_record(actor=actor, action="create", instance=article, summary=article.title)
    return article


def article_update(*, actor, article: Article, data: dict[str, Any],
                   tags: Iterable[str] | None = None) -> Article:
    _check_writer(actor)
    data = _clean_data(data)
    if tags is not None:
        tags = check_tags(tags)
    before = snapshot(article, AUDITED)
    old_tags = sorted(article.tags.values_list("name", flat=True))
    for key, value in data.items():
        setattr(article, key, value)
    _index(article, tags)
    with transaction.atomic():
        article.full_clean()
        article.save()
        changes = diff(before, snapshot(article, AUDITED))
        if tags is not None:
            _set_tags(article, tags)
            if sorted(tags) != old_tags:
                changes["tags"] = [old_tags, sorted(tags)]
        if changes:
            audit_record(actor=actor, action="update", instance=article, changes=changes, summary=article.title)
    return article


def _set_status(actor, article: Article, status: str, action: str) -> Article:
    _check_writer(actor)
    if article.status == status:
        return article
    before = article.status
    article.status = status
    if status == ArticleStatus.PUBLISHED:
        article.published_at = timezone.now()
    with transaction.atomic():
        article.full_clean()
        article.save(update_fields=["status", "published_at", "updated_at"])
        audit_record(actor=actor, action=action, instance=article, changes={"status": [before, status]},
                     summary=article.title)
    return article


def article_publish(*, actor, article: Article) -> Article:
    return _set_status(actor, article, ArticleStatus.PUBLISHED, "publish")


def article_archive(*, actor, article: Article) -> Article:
    return _set_status(actor, article, ArticleStatus.ARCHIVED, "archive")


def article_draft_from_text(*, actor, title: str, problem: str, resolution: str,
                            category: KbCategory | None = None, case_category_code: str = "",
                            source_ref: str = "", language: str = "zh-hans",
                            tags: Iterable[str] = ()) -> Article:
    """A draft article from a resolved case (the cases app calls this): the
    problem and the resolution become the body, in the case's language,
    under two headings; ``source_ref`` names the case (``case:123``)."""
    english = language.startswith("en")
    body = "\n\n".join(part for part in (
        f"## {'Problem' if english else '问题'}\n\n{problem.strip()}" if problem.strip() else "",
        f"## {'Resolution' if english else '解决方法'}\n\n{resolution.strip()}" if resolution.strip() else "",
    ) if part)
    data = {"category": category, "case_category_code": case_category_code, "source_ref": source_ref}
    if english:
        data.update(title_en=title, body_en=body)
    else:
        data.update(title_zh=title, body_zh=body)
    return article_create(actor=actor, data=data, tags=tags, status=ArticleStatus.DRAFT)


CATEGORY_FIELDS = {"code", "name_zh", "name_en", "position", "case_category_code"}


def _check_admin(actor) -> None:
    if actor is not None and not policy_for(actor).is_admin:
        raise PermissionDenied(_("Only an administrator may manage knowledge-base categories."))


def _check_case_category(code: str) -> None:
    if not code:
        return
    from django.apps import apps

    if apps.is_installed("kehu.service"):
        CaseCategory = apps.get_model("service", "CaseCategory")
        if not CaseCategory.objects.filter(code=code).exists():
            raise ValidationError({"case_category_code": _("There is no case category with this code.")})


def category_create(*, actor, code: str, name_zh: str, name_en: str = "", position: int = 0,
                    case_category_code: str = "") -> KbCategory:
    _check_writer(actor)
    category = KbCategory(code=code.strip(), name_zh=name_zh.strip(), name_en=name_en.strip(), position=position,
                          case_category_code=(case_category_code or "").strip())
    _check_case_category(category.case_category_code)
    with transaction.atomic():
        category.full_clean()
        category.save()
        audit_record(actor=actor, action="create", instance=category, summary=category.name_zh)
    return category


def category_update(*, actor, category: KbCategory, data: dict[str, Any]) -> KbCategory:
    """Change a category (administrators)."""
    _check_admin(actor)
    unknown = set(data) - CATEGORY_FIELDS
    if unknown:
        raise ValidationError(_("Unknown fields: %(fields)s") % {"fields": ", ".join(sorted(unknown))})
    with transaction.atomic():
        before = snapshot(category)
        for k, v in data.items():
            setattr(category, k, v.strip() if isinstance(v, str) else v)
        _check_case_category(category.case_category_code)
        category.full_clean()
        category.save()
        audit_record(actor=actor, action="update", instance=category, summary=category.name_zh,
                     changes=diff(before, snapshot(category)))
    return category


def category_delete(*, actor, category: KbCategory) -> None:
    """Delete a category no article uses (administrators); one in use is refused with the count."""
    _check_admin(actor)
    used = category.articles.count()
    if used:
        raise ValidationError(ngettext(
            "%(count)d article is in this category: move it to another category first.",
            "%(count)d articles are in this category: move them to another category first.", used) % {"count": used})
    with transaction.atomic():
        audit_record(actor=actor, action="delete", instance=category, summary=category.name_zh)
        category.delete()


def voter_key(request) -> str:
    """Who votes: the signed-in user, else the browser's session (made if
    there is none yet), as a digest: the table holds no session key."""
    user = getattr(request, "user", None)
    if user is not None and user.is_authenticated:
        raw = f"user:{user.pk}"
    else:
        if not request.session.session_key:
            request.session.save()
        raw = f"session:{request.session.session_key}"
    return hashlib.sha256(raw.encode()).hexdigest()


def article_vote(*, article: Article, voter_key: str, helpful: bool) -> Article:
    """Record one visitor's "was this helpful". A second vote by the same
    visitor replaces the first (the counts move with it). Only published
    articles take votes."""
    if article.status != ArticleStatus.PUBLISHED:
        raise ValidationError({"helpful": [_("Only published articles take votes.")]})
    with transaction.atomic():
        vote = ArticleVote.objects.select_for_update().filter(article=article, voter_key=voter_key).first()
        if vote is not None and vote.helpful == helpful:
            return article
        delta_helpful = (1 if helpful else 0) - (1 if vote is not None and vote.helpful else 0)
        delta_not = (0 if helpful else 1) - (1 if vote is not None and not vote.helpful else 0)
        if vote is None:
            ArticleVote.objects.create(article=article, voter_key=voter_key, helpful=helpful)
        else:
            vote.helpful = helpful
            vote.save(update_fields=["helpful"])
        Article.objects.filter(pk=article.pk).update(helpful_count=F("helpful_count") + delta_helpful,
                                                     not_helpful_count=F("not_helpful_count") + delta_not)
    article.refresh_from_db(fields=["helpful_count", "not_helpful_count"])
    return article
