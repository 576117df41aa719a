"""Writes of the web shell's own records: saved views (kehu.web.models).

A saved view belongs to one user; these services take the acting user and
never touch another user's views (the selectors give 404 for those)."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import transaction
from django.http import Http404
from django.utils.translation import gettext as _

from kehu.web.lists import get_spec, query_without_cursor
from kehu.web.models import SavedView

SAVED_VIEWS_MAX = 100  # per user and list


def _clean_name(name: str) -> str:
    name = (name or "").strip()
    if not name or len(name) > 80 or "\x00" in name:
        raise ValidationError({"name": [_("Give the view a name of at most 80 characters.")]})
    return name


def _clean(list_name: str, query: str, columns) -> tuple[str, str, list[str]]:
    try:
        spec = get_spec(list_name)
    except Http404:
        raise ValidationError({"list": [_("Unknown list.")]}) from None
    query = query_without_cursor((query or "").replace("\x00", ""))
    if len(query) > 2000:
        raise ValidationError({"query": [_("The query is too long (at most 2,000 characters).")]})
    keys = [c.key for c in spec.columns]
    columns = [c for c in (columns or []) if c in keys]
    return spec.name, query, columns


def saved_view_get(*, viewer, pk: int) -> SavedView:
    """One of the viewer's own saved views, or 404 (another's is not found)."""
    try:
        return SavedView.objects.get(pk=pk, user=viewer)
    except (SavedView.DoesNotExist, ValueError, TypeError):
        raise Http404 from None


def saved_view_list(*, viewer, list_name: str = ""):
    qs = SavedView.objects.filter(user=viewer)
    return qs.filter(list_name=list_name) if list_name else qs


def saved_view_create(*, actor, list_name: str, name: str, query: str = "", columns=None,
                      replace: bool = False) -> SavedView:
    """Save (or with ``replace``, overwrite) a named view of a list for ``actor``."""
    list_name, query, columns = _clean(list_name, query, columns)
    name = _clean_name(name)
    with transaction.atomic():
        existing = SavedView.objects.select_for_update().filter(user=actor, list_name=list_name, name=name).first()
        if existing is not None:
            if not replace:
                raise ValidationError({"name": [_("You already have a view with this name.")]})
            existing.query, existing.columns = query, columns
            existing.full_clean()
            existing.save()
            return existing
        if SavedView.objects.filter(user=actor, list_name=list_name).count() >= SAVED_VIEWS_MAX:
            raise ValidationError({"name": [_("You have too many saved views of this list; delete some first.")]})
        view = SavedView(user=actor, list_name=list_name, name=name, query=query, columns=columns)
        view.full_clean()
        view.save()
        return view


def saved_view_update(*, actor, view: SavedView, name: str | None = None, query: str | None = None,
                      columns=None) -> SavedView:
    if view.user_id != actor.pk:
        raise Http404
    if name is not None:
        name = _clean_name(name)
        if SavedView.objects.filter(user=actor, list_name=view.list_name, name=name).exclude(pk=view.pk).exists():
            raise ValidationError({"name": [_("You already have a view with this name.")]})
        view.name = name
    if query is not None or columns is not None:
        _l, q, cols = _clean(view.list_name, view.query if query is None else query,
                             view.columns if columns is None else columns)
        view.query, view.columns = q, cols
    view.full_clean()
    view.save()
    return view


def saved_view_delete(*, actor, view: SavedView) -> None:
    if view.user_id != actor.pk:
        raise Http404
    view.delete()
