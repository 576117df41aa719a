"""The knowledge base's list in the shared list machinery (:mod:`kehu.web.lists`)
and its group in the header's global search (:mod:`kehu.web.search`)."""

from __future__ import annotations

from django.urls import reverse
from django.utils.translation import gettext_lazy

from kehu.web import search as global_search
from kehu.web.lists import BulkAction, Column, ListSpec, register


def _rows(viewer):
    from kehu.kb.selectors import article_visible

    return article_visible(viewer=viewer)


def _publish(actor, article, _value):
    from kehu.kb.services import article_publish

    article_publish(actor=actor, article=article)


def _archive(actor, article, _value):
    from kehu.kb.services import article_archive

    article_archive(actor=actor, article=article)


class KbListSpec(ListSpec):
    def actions_for(self, viewer):
        """Publishing and archiving: for those who write articles only."""
        from kehu.org.policies import policy_for

        return list(self.actions) if policy_for(viewer).may_write_kb else []


SPEC = register(KbListSpec(
    name="kb", label=gettext_lazy("Knowledge base"), url_name="kb_list",
    columns=(
        Column("title", gettext_lazy("Title"), "title"), Column("category", gettext_lazy("Category")),
        Column("tags", gettext_lazy("Tags")), Column("status", gettext_lazy("Status")),
        Column("helpful", gettext_lazy("Helpful"), "helpful"), Column("updated", gettext_lazy("Updated"), "updated"),
    ),
    rows=_rows,
    actions=(
        BulkAction("publish", gettext_lazy("Publish"), _publish, confirm=True),
        BulkAction("archive", gettext_lazy("Archive"), _archive, confirm=True),
    ),
    row_label=lambda a: a.title,
))


def _articles(viewer, term: str, limit: int, then: str = "") -> list:
    from kehu.kb.selectors import article_search

    hits = []
    for a in article_search(viewer=viewer, q=term, limit=limit):
        detail = " · ".join(x for x in (a.category.name if a.category else "", a.get_status_display()) if x)
        hits.append(global_search.Hit("article", a.pk, a.title, detail, reverse("kb_detail", args=[a.pk])))
    return hits


global_search.register(global_search.Provider("article", gettext_lazy("Knowledge base"), _articles))
