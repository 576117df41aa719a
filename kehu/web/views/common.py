"""Helpers shared by the web views."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.core.exceptions import NON_FIELD_ERRORS

from django.db.models import Q
from django.utils.http import url_has_allowed_host_and_scheme

from kehu.pagination import InvalidCursor, Tier, tiered_keyset_page

PAGE_SIZES = (25, 50, 100)


def add_service_errors(form, exc: ValidationError, field_map: dict[str, str] | None = None) -> None:
    """Show a service's ``ValidationError`` on ``form``: field errors on their
    fields, everything else at the top of the form."""
    field_map = field_map or {}
    if hasattr(exc, "error_dict"):
        for field, errors in exc.message_dict.items():
            name = field_map.get(field, field)
            if name.startswith("custom."):      # a custom field's error: next to its input (cf_<key>)
                from kehu.customfields.forms import field_name

                name = field_name(name)
            if name in form.fields:
                for message in errors:
                    form.add_error(name, message)
            else:
                for message in errors:
                    form.add_error(None, message if field == NON_FIELD_ERRORS else f"{message}")
    else:
        for message in exc.messages:
            form.add_error(None, message)


def page_size(request, default: int = 25) -> int:
    try:
        n = int(request.GET.get("per", default))
    except (TypeError, ValueError):
        return default
    return n if n in PAGE_SIZES else default


def paginate(request, qs, ordering=None, *, tiers=None):
    """A keyset page for ``request``'s ``cursor`` and ``per``, of ``qs`` in
    ``ordering`` or tier by tier; a broken or stale cursor starts again at the
    first page instead of failing."""
    per = page_size(request)
    cursor = request.GET.get("cursor") or None
    if tiers is None:
        tiers = [Tier(Q(), tuple(ordering))]
    try:
        return tiered_keyset_page(qs, tiers=tiers, cursor=cursor, page_size=per)
    except (InvalidCursor, ValueError, TypeError):
        return tiered_keyset_page(qs, tiers=tiers, cursor=None, page_size=per)


def is_partial(request) -> bool:
    """An htmx request for a fragment (not a history restore, which needs the whole page)."""
    htmx = getattr(request, "htmx", None)
    return bool(htmx) and not htmx.history_restore_request


def int_or_none(value):
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


def next_url(request, default: str) -> str:
    """Where to go after a change: the ``next`` the page was opened with (a
    list with its filters, the 360 page's timeline), if it is on this site."""
    nxt = request.POST.get("next") or request.GET.get("next") or ""
    if nxt and url_has_allowed_host_and_scheme(nxt, allowed_hosts={request.get_host()},
                                               require_https=request.is_secure()):
        return nxt
    return default


def changeable_customer_ids(policy, customer_ids) -> set[int]:
    """Which of ``customer_ids`` the viewer may change, in one query (none for
    read-only roles), so a list can offer Edit and Delete row by row."""
    from kehu.customers.models import Customer

    ids = set(customer_ids)
    if not ids or policy.change_scope.nothing:
        return set()
    if policy.change_scope.everything:
        return ids
    return set(policy.changeable(Customer.objects.filter(pk__in=ids)).values_list("pk", flat=True))
