"""The shared list tools' pages: bulk actions (with a confirmation page for
deleting), saved views, the global search and the quick-create menu. The
machinery itself is :mod:`kehu.web.lists`."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404, HttpResponseRedirect, QueryDict
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from kehu.org.policies import policy_for
from kehu.web import search as global_search
from kehu.web import services
from kehu.web.lists import bulk_apply, clean_ids, get_spec, query_without_cursor, selected_rows
from kehu.web.models import SavedView
from kehu.web.views.common import is_partial, next_url


def _back(request, spec) -> str:
    return next_url(request, reverse(spec.url_name))


@login_required
@require_POST
def bulk(request, list_name):
    """Apply a bulk action to the ticked rows. Deleting (and any action that
    asks) shows a confirmation page first; the answer is a page reporting
    each row: changed, or refused and why."""
    spec = get_spec(list_name)
    back = _back(request, spec)
    action = spec.action(request.POST.get("action", ""))
    try:
        ids = clean_ids(request.POST.getlist("ids"))
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
        return HttpResponseRedirect(back)
    if action is None or action not in spec.actions_for(request.user):
        messages.error(request, _("Choose an action."))
        return HttpResponseRedirect(back)
    if not ids:
        messages.error(request, _("Select at least one row."))
        return HttpResponseRedirect(back)
    if action.key == "export" and spec.export_url_name:
        fmt = request.POST.get("format", "csv")
        kept = QueryDict(back.split("?", 1)[1] if "?" in back else "")
        query = urlencode([("format", fmt if fmt in ("csv", "xlsx") else "csv")]
                          + [(k, kept[k]) for k in spec.export_keep if kept.get(k)] + [("ids", i) for i in ids])
        return redirect(f"{reverse(spec.export_url_name)}?{query}")
    # each kind of value has its own field, so the form works without JavaScript
    value = request.POST.get(f"value_{action.value}", request.POST.get("value", "")) if action.value else ""
    if action.confirm and request.POST.get("confirmed") != "yes":
        rows = selected_rows(viewer=request.user, spec=spec, ids=ids)
        return render(request, "web/lists/bulk_confirm.html", {
            "nav_active": list_name, "title": _("Confirm: %(action)s") % {"action": action.label},
            "spec": spec, "action": action, "rows": [rows[i] for i in ids if i in rows],
            "missing": len([i for i in ids if i not in rows]), "ids": ids, "value": value, "back": back,
            "row_label": spec.row_label,
        })
    try:
        result = bulk_apply(actor=request.user, spec=spec, action=action.key, ids=ids, value=value)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
        return HttpResponseRedirect(back)
    return render(request, "web/lists/bulk_result.html", {
        "nav_active": list_name, "title": _("Result: %(action)s") % {"action": action.label},
        "spec": spec, "action": action, "result": result, "back": back,
    })


# -- saved views --------------------------------------------------------------------

@login_required
def saved_views(request):
    """The user's own saved views, to rename or delete."""
    views = services.saved_view_list(viewer=request.user).order_by("list_name", "name", "id")
    return render(request, "web/lists/saved_views.html", {
        "title": _("Saved views"), "views": [(v, _view_url(v), _list_label(v)) for v in views],
    })


def _list_label(view: SavedView):
    try:
        return get_spec(view.list_name).label
    except Http404:
        return view.list_name


def _view_url(view: SavedView) -> str:
    try:
        spec = get_spec(view.list_name)
    except Http404:
        return ""
    return f"{reverse(spec.url_name)}?{view.query}" if view.query else reverse(spec.url_name)


@login_required
@require_POST
def saved_view_create(request, list_name):
    spec = get_spec(list_name)
    query = query_without_cursor(request.POST.get("query", ""))
    try:
        view = services.saved_view_create(actor=request.user, list_name=spec.name, name=request.POST.get("name", ""),
                                          query=query, columns=QueryDict(query).getlist("cols"), replace=True)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(request, _("View “%(name)s” saved.") % {"name": view.name})
    return redirect(f"{reverse(spec.url_name)}?{query}")


@login_required
@require_POST
def saved_view_rename(request, pk):
    view = services.saved_view_get(viewer=request.user, pk=pk)
    try:
        services.saved_view_update(actor=request.user, view=view, name=request.POST.get("name", ""))
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(request, _("View renamed."))
    return redirect("saved_views")


@login_required
@require_POST
def saved_view_delete(request, pk):
    view = services.saved_view_get(viewer=request.user, pk=pk)
    services.saved_view_delete(actor=request.user, view=view)
    messages.success(request, _("View “%(name)s” deleted.") % {"name": view.name})
    return HttpResponseRedirect(next_url(request, reverse("saved_views")))


# -- global search and quick create ---------------------------------------------------

@login_required
def search(request):
    """The header's search: a dropdown for htmx, a page without JavaScript.
    With ``then`` (order, interaction, task) each customer links to creating
    that record for it — the quick-create menu's second step."""
    term = request.GET.get("q", "").replace("\x00", "").strip()[:100]
    then = request.GET.get("then", "")
    if then not in global_search.THEN:
        then = ""
    groups = global_search.search(viewer=request.user, term=term, then=then) if term else []
    context = {"title": _("Search"), "q": term, "groups": groups, "then": then,
               "then_label": global_search.THEN.get(then, "")}
    if is_partial(request) and request.htmx.target == "global-search-results":
        return render(request, "web/lists/_search_dropdown.html", context)
    return render(request, "web/lists/search.html", context)
