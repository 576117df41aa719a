"""The knowledge base (知识库 / FAQ): bilingual articles, their categories and
tags, and the "was this helpful" votes.

An article has a title and a body in Simplified Chinese and in English;
either language may be empty, not both. ``search_text`` is the jieba
segmentation of both (kept by :func:`kehu.kb.services`); the full-text index
over it is the database's own (:mod:`kehu.kb.search_schema`: a generated
``tsvector`` column with a GIN index on PostgreSQL, an FTS5 table kept by
triggers on SQLite), neither of which is a model field.

``case_category_code`` is the slot for the cases app (kehu/service): the code
of the case category the article answers, a plain string until that app
exists, so nothing here depends on it. ``source_ref`` says where a draft came
from (``case:123`` for a draft made from a resolved case).
"""

from __future__ import annotations

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import RegexValidator
from django.db import models
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

from kehu.org.models import TimeStamped
from kehu.validators import text_limit

TITLE_MAX = 200
BODY_MAX = 50_000
TAG_MAX = 50
TAGS_PER_ARTICLE_MAX = 20

code_validator = RegexValidator(r"^[a-z0-9][a-z0-9_-]*$",
                                _("Use lower-case letters, digits, hyphens and underscores."))


def _in_language(zh: str, en: str) -> str:
    """The text in the current language, else the other one."""
    if (get_language() or "zh-hans").startswith("en"):
        return en or zh
    return zh or en


class ArticleStatus(models.TextChoices):
    DRAFT = "draft", _("Draft")
    PUBLISHED = "published", _("Published")
    ARCHIVED = "archived", _("Archived")


class KbCategory(models.Model):
    """A flat list of knowledge-base categories (账务, 安全, 交付 ...)."""

    code = models.CharField(_("code"), max_length=50, unique=True, validators=[code_validator])
    name_zh = models.CharField(_("name (Chinese)"), max_length=100)
    name_en = models.CharField(_("name (English)"), max_length=100, blank=True, default="")
    position = models.PositiveSmallIntegerField(_("position"), default=0)
    # The case category (kehu/service, by code) this category's articles answer: they
    # are suggested first on the cases of that category.
    case_category_code = models.CharField(
        _("case category"), max_length=50, blank=True, default="",
        help_text=_("Its articles are suggested first on cases of this category."))

    class Meta:
        verbose_name = _("knowledge-base category")
        verbose_name_plural = _("knowledge-base categories")
        ordering = ["position", "code"]

    def __str__(self):
        return self.name

    @property
    def name(self) -> str:
        return _in_language(self.name_zh, self.name_en)


class KbTag(models.Model):
    name = models.CharField(_("name"), max_length=TAG_MAX, unique=True)

    class Meta:
        verbose_name = _("knowledge-base tag")
        verbose_name_plural = _("knowledge-base tags")
        ordering = ["name"]

    def __str__(self):
        return self.name


class Article(TimeStamped):
    title_zh = models.CharField(_("title (Chinese)"), max_length=TITLE_MAX, blank=True, default="")
    title_en = models.CharField(_("title (English)"), max_length=TITLE_MAX, blank=True, default="")
    body_zh = models.TextField(_("text (Chinese)"), max_length=BODY_MAX, blank=True, default="",
                               validators=[text_limit(BODY_MAX)])
    body_en = models.TextField(_("text (English)"), max_length=BODY_MAX, blank=True, default="",
                               validators=[text_limit(BODY_MAX)])
    status = models.CharField(_("status"), max_length=10, choices=ArticleStatus.choices,
                              default=ArticleStatus.DRAFT)
    category = models.ForeignKey(KbCategory, verbose_name=_("category"), null=True, blank=True,
                                 on_delete=models.PROTECT, related_name="articles")
    tags = models.ManyToManyField(KbTag, verbose_name=_("tags"), blank=True, related_name="articles")
    case_category_code = models.CharField(
        _("case category"), max_length=50, blank=True, default="",
        help_text=_("The code of the case category this article answers (filled in by the cases app)."))
    source_ref = models.CharField(_("source"), max_length=100, blank=True, default="",
                                  help_text=_("Where a draft came from, e.g. case:123."))
    author = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("author"), null=True, blank=True,
                               on_delete=models.SET_NULL, related_name="+")
    published_at = models.DateTimeField(_("published"), null=True, blank=True)
    helpful_count = models.PositiveIntegerField(_("helpful"), default=0)
    not_helpful_count = models.PositiveIntegerField(_("not helpful"), default=0)
    # jieba's segmentation of both titles and bodies, lower case, words separated by spaces:
    # what the full-text index reads (kehu.kb.search_schema).
    search_text = models.TextField(_("search text"), blank=True, default="", editable=False)

    class Meta:
        verbose_name = _("article")
        verbose_name_plural = _("articles")
        ordering = ["-updated_at", "-id"]
        indexes = [
            models.Index(fields=["status", "-updated_at", "-id"], name="kb_article_status_updated"),
            models.Index(fields=["case_category_code"], name="kb_article_case_category"),
        ]

    def __str__(self):
        return self.title

    @property
    def title(self) -> str:
        return _in_language(self.title_zh, self.title_en) or f"#{self.pk}"

    @property
    def body(self) -> str:
        if (get_language() or "zh-hans").startswith("en"):
            return self.body_en or self.body_zh
        return self.body_zh or self.body_en

    def clean(self):
        super().clean()
        if not (self.title_zh.strip() or self.title_en.strip()):
            msg = _("Give the article a title in Chinese or in English.")
            raise ValidationError({"title_zh": [msg], "title_en": [msg]})
        if not (self.body_zh.strip() or self.body_en.strip()):
            field = "body_zh" if self.title_zh.strip() else "body_en"
            raise ValidationError({field: [_("Write the article's text in Chinese or in English.")]})


class ArticleVote(models.Model):
    """One visitor's answer to "was this helpful" for one article. ``voter_key``
    is a digest of the visitor's session (or the signed-in user), so a visitor
    votes once; a second vote changes the first."""

    article = models.ForeignKey(Article, verbose_name=_("article"), on_delete=models.CASCADE,
                                related_name="votes")
    voter_key = models.CharField(_("voter"), max_length=64)
    helpful = models.BooleanField(_("helpful"))
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("article vote")
        verbose_name_plural = _("article votes")
        constraints = [models.UniqueConstraint(fields=["article", "voter_key"], name="kb_vote_once")]

    def __str__(self):
        return f"{self.article_id}:{'+' if self.helpful else '-'}"
