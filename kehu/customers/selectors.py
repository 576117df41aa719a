"""Reads of customers, always through the visibility policy."""

from __future__ import annotations

from dataclasses import dataclass, field

from django.db.models import Count, Max, Q, QuerySet, Sum

from kehu.customers.models import Contact, Customer
from kehu.customers.search import name_keys, normalise_phone, search_term_kind
from kehu.org.policies import policy_for

SORTS = {
    "name": ("name", "id"),
    "-name": ("-name", "-id"),
    "created": ("created_at", "id"),
    "-created": ("-created_at", "-id"),
    "updated": ("updated_at", "id"),
    "-updated": ("-updated_at", "-id"),
    "ref": ("ref", "id"),
    "-ref": ("-ref", "-id"),
}
DEFAULT_SORT = "name"


@dataclass
class CustomerFilters:
    q: str = ""
    kind: str = ""
    stage: str = ""
    region: str = ""
    owner_id: int | None = None
    team_id: int | None = None
    tag: str = ""
    city: str = ""
    industry: str = ""
    extra: dict = field(default_factory=dict)


def search_q(term: str) -> Q:
    """Indexed prefix search on name, pinyin, initials, phone or email.

    ``zs`` / ``zhangsan`` / ``张`` find 张三; ``138`` finds phones starting 138;
    ``li@`` finds emails starting so; the customer code matches exactly.
    """
    term = term.strip()
    if not term:
        return Q()
    kind = search_term_kind(term)
    if kind == "phone":
        digits = normalise_phone(term)
        return Q(phone__startswith=digits) | Q(ref=term)
    if kind == "email":
        return Q(email__startswith=term.lower())
    key, pinyin, _initials = name_keys(term)
    q = Q(name_key__startswith=key) | Q(ref=term) | Q(ref=term.upper())
    if kind == "latin":
        compact = key.replace(" ", "")
        q |= Q(name_pinyin__startswith=compact) | Q(name_initials__startswith=compact)
    return q


def customer_list(*, viewer, filters: CustomerFilters | None = None) -> QuerySet[Customer]:
    """Customers the viewer may see, filtered. Unordered: the caller pages it."""
    f = filters or CustomerFilters()
    qs = policy_for(viewer).visible(Customer.objects.all())
    if f.q:
        qs = qs.filter(search_q(f.q))
    if f.kind:
        qs = qs.filter(kind=f.kind)
    if f.stage:
        qs = qs.filter(lifecycle_stage=f.stage)
    if f.region:
        qs = qs.filter(region=f.region)
    if f.owner_id:
        qs = qs.filter(owner_id=f.owner_id)
    if f.team_id:
        qs = qs.filter(team_id=f.team_id)
    if f.city:
        qs = qs.filter(city=f.city)
    if f.industry:
        qs = qs.filter(industry=f.industry)
    if f.tag:
        qs = qs.filter(tags__name=f.tag)
    return qs.select_related("owner")


def customer_get(*, viewer, pk) -> Customer:
    """One visible customer or 404."""
    return policy_for(viewer).get_visible(pk, Customer.objects.select_related("owner", "team"))


def customer_totals(customer: Customer) -> dict:
    """Order totals for the 360 page: count, revenue, gross margin, paid, last order."""
    from kehu.sales.models import Order

    agg = Order.objects.filter(customer=customer).exclude(status="cancelled").aggregate(
        orders=Count("id"), revenue=Sum("amount"), cost=Sum("cost"), paid=Sum("paid_amount"),
        last_order=Max("order_date"),
    )
    revenue = agg["revenue"] or 0
    cost = agg["cost"] or 0
    paid = agg["paid"] or 0
    return {
        "orders": agg["orders"],
        "revenue": revenue,
        "gross_margin": revenue - cost,
        "margin_rate": ((revenue - cost) / revenue * 100) if revenue else None,
        "paid": paid,
        "outstanding": revenue - paid,
        "last_order": agg["last_order"],
    }


def contact_list(*, viewer, customer_id: int | None = None) -> QuerySet[Contact]:
    qs = policy_for(viewer).visible(Contact.objects.all(), prefix="customer__")
    if customer_id is not None:
        qs = qs.filter(customer_id=customer_id)
    return qs.select_related("customer", "reports_to")


def contact_get(*, viewer, pk) -> Contact:
    """One contact of a visible customer, or 404."""
    from django.http import Http404

    try:
        return contact_list(viewer=viewer).get(pk=pk)
    except (Contact.DoesNotExist, ValueError, TypeError):
        raise Http404 from None
