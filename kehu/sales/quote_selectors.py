"""Reads of quotes, always through the one policy
(:meth:`~kehu.org.policies.CustomerPolicy.visible_quotes`: a quote is visible exactly when
its customer is)."""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import Q, QuerySet
from django.http import Http404

from kehu.org.policies import policy_for
from kehu.sales.models import Quote, QuoteLine


@dataclass
class QuoteFilters:
    status: str = ""
    customer_id: int | None = None
    opportunity_id: int | None = None
    owner_id: int | None = None
    q: str = ""


def quote_visible(*, viewer) -> QuerySet[Quote]:
    return policy_for(viewer).visible_quotes(Quote.objects.all())


def quote_list(*, viewer, filters: QuoteFilters | None = None) -> QuerySet[Quote]:
    """The visible quotes, filtered; unordered (the caller pages it)."""
    f = filters or QuoteFilters()
    qs = quote_visible(viewer=viewer).select_related("customer", "owner", "opportunity")
    if f.status:
        qs = qs.filter(status=f.status)
    if f.customer_id:
        qs = qs.filter(customer_id=f.customer_id)
    if f.opportunity_id:
        qs = qs.filter(opportunity_id=f.opportunity_id)
    if f.owner_id:
        qs = qs.filter(owner_id=f.owner_id)
    if f.q:
        qs = qs.filter(Q(ref__icontains=f.q) | Q(title__icontains=f.q) | Q(customer__name__icontains=f.q))
    return qs


def quote_get(*, viewer, pk: int) -> Quote:
    """A visible quote, else 404 (the same for one that does not exist)."""
    quote = (quote_visible(viewer=viewer)
             .select_related("customer", "owner", "opportunity", "order", "approved_by", "previous")
             .filter(pk=pk).first())
    if quote is None:
        raise Http404
    return quote


def quote_lines(quote: Quote) -> QuerySet[QuoteLine]:
    return quote.lines.select_related("product", "product__line").order_by("id")


def quote_versions(quote: Quote) -> QuerySet[Quote]:
    """Every version of the quote's number, the newest first (all have its customer)."""
    return Quote.objects.filter(ref=quote.ref, customer_id=quote.customer_id).order_by("-revision")
