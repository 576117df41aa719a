"""The knowledge base's pages: the list (shared list machinery), an article,
writing and publishing (writers only), and the public FAQ (no login)."""

from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from kehu.kb import selectors
from kehu.kb.forms import ArticleFilterForm, ArticleForm
from kehu.kb.services import (
    article_archive, article_create, article_publish, article_update, article_vote, voter_key,
)
from kehu.org.policies import policy_for
from kehu.runtime import ratelimit
from kehu.web.lists import chosen_sort, list_context
from kehu.web.views.common import add_service_errors, paginate

SORTS = {
    "-updated": ("-updated_at", "-id"), "updated": ("updated_at", "id"),
    "title": ("title_zh", "title_en", "id"), "-title": ("-title_zh", "-title_en", "-id"),
    "-helpful": ("-helpful_count", "-id"), "helpful": ("helpful_count", "id"),
}
FAQ_SEARCH_LIMIT = 30


def _writer(request) -> bool:
    return policy_for(request.user).may_write_kb


@login_required
def kb_list(request):
    writer = _writer(request)
    form = ArticleFilterForm(request.GET or None, writer=writer)
    filters = selectors.ArticleFilters()
    if form.is_bound and form.is_valid():
        d = form.cleaned_data
        filters = selectors.ArticleFilters(q=d.get("q", ""), status=d.get("status", ""),
                                           category=d.get("category", ""), tag=d.get("tag", "").strip())
    qs = selectors.article_list(viewer=request.user, filters=filters).prefetch_related("tags")
    sort = chosen_sort(request, SORTS, "-updated")
    page = paginate(request, qs, SORTS[sort])
    return render(request, "kb/list.html", {
        "nav_active": "kb", "title": _("Knowledge base"), "form": form, "page": page, "sort": sort,
        "filtered": any((filters.q, filters.status, filters.category, filters.tag)), "can_write": writer,
        **list_context(request, "kb", sort=sort),
    })


@login_required
def kb_detail(request, pk):
    article = selectors.article_get(viewer=request.user, pk=pk)
    return render(request, "kb/detail.html", {
        "nav_active": "kb", "title": article.title, "article": article, "can_write": _writer(request),
    })


def _form_page(request, article=None):
    if not _writer(request):
        raise PermissionDenied
    initial = {}
    if article is not None:
        initial = {k: getattr(article, k) for k in ("title_zh", "title_en", "body_zh", "body_en",
                                                    "case_category_code")}
        initial["category"] = article.category_id
        initial["tags"] = ", ".join(t.name for t in article.tags.all())
    form = ArticleForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        data, tags = form.service_data()
        try:
            if article is None:
                article = article_create(actor=request.user, data=data, tags=tags)
                messages.success(request, _("Draft saved."))
            else:
                article_update(actor=request.user, article=article, data=data, tags=tags)
                messages.success(request, _("Article saved."))
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            return redirect("kb_detail", pk=article.pk)
    return render(request, "kb/form.html", {
        "nav_active": "kb", "title": _("Edit article") if article else _("New article"),
        "form": form, "article": article,
    })


@login_required
def kb_create(request):
    return _form_page(request)


@login_required
def kb_edit(request, pk):
    return _form_page(request, selectors.article_get(viewer=request.user, pk=pk))


def _status_page(request, pk, *, action):
    article = selectors.article_get(viewer=request.user, pk=pk)
    if not _writer(request):
        raise PermissionDenied
    if request.method == "POST":
        if action == "publish":
            article_publish(actor=request.user, article=article)
            messages.success(request, _("Article published."))
        else:
            article_archive(actor=request.user, article=article)
            messages.success(request, _("Article archived."))
        return redirect("kb_detail", pk=article.pk)
    return render(request, "kb/confirm.html", {
        "nav_active": "kb", "article": article, "action": action,
        "title": _("Publish the article?") if action == "publish" else _("Archive the article?"),
    })


@login_required
def kb_publish(request, pk):
    return _status_page(request, pk, action="publish")


@login_required
def kb_archive(request, pk):
    return _status_page(request, pk, action="archive")


# -- the public FAQ (no login) ---------------------------------------------------------------------

def faq(request):
    q = request.GET.get("q", "").replace("\x00", "").strip()[:200]
    results = selectors.article_search(viewer=None, q=q, limit=FAQ_SEARCH_LIMIT, published_only=True) if q else None
    return render(request, "kb/faq.html", {
        "title": _("Frequently asked questions"), "q": q, "results": results,
        "categories": [] if q else selectors.faq_categories(),
        "uncategorised": [] if q else list(selectors.faq_uncategorised()[:100]),
    })


def faq_article(request, pk):
    article = selectors.article_get(viewer=None, pk=pk, published_only=True)
    return render(request, "kb/faq_article.html", {
        "title": article.title, "article": article, "voted": request.session.get(f"kb_voted_{pk}"),
    })


def _vote_over_limit(request) -> bool:
    address = request.META.get("REMOTE_ADDR", "") or "-"
    return ratelimit.over_limit(f"kbvote:{address}", settings.KEHU_KB_VOTE_RATE_PER_IP)


@require_POST
def faq_vote(request, pk):
    """"Was this helpful": one vote per browser session (a second one replaces
    the first), CSRF-protected like every form, rate-limited by address."""
    article = selectors.article_get(viewer=None, pk=pk, published_only=True)
    if _vote_over_limit(request):
        return HttpResponse(_("Too many votes from your address; try again in a minute."), status=429,
                            content_type="text/plain; charset=utf-8")
    helpful = request.POST.get("helpful") == "yes"
    article_vote(article=article, voter_key=voter_key(request), helpful=helpful)
    request.session[f"kb_voted_{pk}"] = "yes" if helpful else "no"
    messages.success(request, _("Thank you for your feedback."))
    return redirect("faq_article", pk=article.pk)




# -- categories (administrators: /settings/kb-categories/) ----------------------------------------

def _admin(request) -> None:
    if not policy_for(request.user).is_admin:
        raise PermissionDenied


def _case_category_names() -> dict[str, str]:
    from django.apps import apps

    if not apps.is_installed("kehu.service"):
        return {}
    CaseCategory = apps.get_model("service", "CaseCategory")
    return {c.code: c.full_name for c in CaseCategory.objects.select_related("parent")}


@login_required
def kb_category_list(request):
    from django.db.models import Count, Q

    from kehu.pagination import Tier

    _admin(request)
    qs = selectors.category_list().annotate(n_articles=Count("articles"))
    page = paginate(request, qs, tiers=[Tier(Q(), ("position", "code", "id"))])
    names = _case_category_names()
    for c in page.items:
        c.case_category_name = names.get(c.case_category_code, c.case_category_code)
    return render(request, "kb/category_list.html", {
        "nav_active": "settings", "title": _("Knowledge-base categories"), "page": page})


def _category_form_page(request, category=None):
    from kehu.kb.forms import CategoryForm
    from kehu.kb.services import category_create, category_update

    _admin(request)
    initial = {}
    if category is not None:
        initial = {f: getattr(category, f) for f in ("code", "name_zh", "name_en", "position", "case_category_code")}
    form = CategoryForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        d = form.cleaned_data
        try:
            if category is None:
                category = category_create(actor=request.user, **d)
                messages.success(request, _("Category %(name)s created.") % {"name": category.name})
            else:
                category_update(actor=request.user, category=category, data=d)
                messages.success(request, _("Category %(name)s saved.") % {"name": category.name})
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            return redirect("kb_category_list")
    title = _("New knowledge-base category") if category is None else _("Edit %(name)s") % {"name": category.name}
    return render(request, "kb/category_form.html", {
        "nav_active": "settings", "title": title, "form": form, "category": category})


@login_required
def kb_category_create(request):
    return _category_form_page(request)


def _category(pk):
    from django.shortcuts import get_object_or_404

    from kehu.kb.models import KbCategory

    return get_object_or_404(KbCategory, pk=pk)


@login_required
def kb_category_edit(request, pk):
    _admin(request)
    return _category_form_page(request, _category(pk))


@login_required
def kb_category_delete(request, pk):
    """GET: the confirmation (or why it cannot be deleted); POST: delete."""
    from kehu.kb.services import category_delete

    _admin(request)
    category = _category(pk)
    used = category.articles.count()
    if request.method == "POST":
        try:
            category_delete(actor=request.user, category=category)
        except ValidationError as exc:
            messages.error(request, " ".join(exc.messages))
        else:
            messages.success(request, _("Category %(name)s deleted.") % {"name": category.name})
        return redirect("kb_category_list")
    return render(request, "kb/category_confirm.html", {
        "nav_active": "settings", "title": _("Delete %(name)s") % {"name": category.name}, "category": category,
        "used": used})
