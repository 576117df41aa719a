"""Cases in the header's global search (:mod:`kehu.web.search`): by case number
(``CS2026…``, the whole number or its beginning), visible cases only."""

from __future__ import annotations

from django.db.models import Q
from django.urls import reverse
from django.utils.translation import gettext_lazy


def find_cases(viewer, term: str, limit: int, then: str = "") -> list:
    from kehu.service.selectors import case_visible
    from kehu.web.search import Hit

    term = (term or "").strip().upper()
    if len(term) < 4 or not term.startswith("CS"):
        return []
    rows = (case_visible(viewer=viewer).filter(Q(ref=term) | Q(ref__startswith=term))
            .select_related("customer").order_by("ref")[:limit])
    return [Hit("case", c.pk, f"{c.ref} {c.subject}", " · ".join(
        x for x in (c.get_status_display(), c.customer.name if c.customer_id else c.caller_name) if x),
        reverse("case_detail", args=[c.pk])) for c in rows]


def register() -> None:
    from kehu.web.search import Provider
    from kehu.web.search import register as register_provider

    register_provider(Provider("case", gettext_lazy("Cases"), find_cases))
