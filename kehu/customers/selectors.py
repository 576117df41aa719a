"""Reads of customers, always through the visibility policy."""

from __future__ import annotations

from dataclasses import dataclass, field

from django.db.models import Count, Max, Q, QuerySet, Sum

from kehu.customers.models import Anniversary, Contact, Customer
from kehu.customers.search import name_keys, normalise_phone, search_term_kind
from kehu.org.policies import policy_for
from kehu.pagination import Tier

# "name" lists by pinyin (name_pinyin): the order of a Chinese address book.
SORTS = {
    "name": ("name_pinyin", "id"),
    "-name": ("-name_pinyin", "-id"),
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
    partner_id: int | None = None   # served by this partner (kehu/org Partner)
    tag: str = ""
    city: str = ""
    industry: str = ""
    # the behavioural choices (codes)
    usage_rate: str = ""
    user_status: str = ""
    loyalty_level: str = ""
    preferred_channel: str = ""
    ids: tuple[int, ...] = ()  # only these rows (a list's selection, kehu.web.lists)
    custom: tuple = ()  # custom field filters (kehu.customfields.values.CustomFilter)
    extra: dict = field(default_factory=dict)


BEHAVIOUR_FILTERS = ("usage_rate", "user_status", "loyalty_level", "preferred_channel")


def _search_parts(term: str) -> list[tuple[Q, tuple[str, ...]]]:
    """What a search for ``term`` matches, part by part, each with the order of its index."""
    term = term.strip()
    if not term:
        return []
    parts = [(Q(ref__in=sorted({term, term.upper()})), ("ref", "id"))]
    kind = search_term_kind(term)
    if kind == "phone":
        parts.append((Q(phone__startswith=normalise_phone(term)), ("phone", "id")))
    elif kind == "email":
        # email > '' lets PostgreSQL use the partial index cust_email_id
        parts.append((Q(email__startswith=term.lower(), email__gt=""), ("email", "id")))
    else:
        key = name_keys(term)[0]
        if key and kind == "latin":
            parts.append((Q(name_initials__startswith=key), ("name_initials", "name_pinyin", "id")))
            parts.append((Q(name_pinyin__startswith=key), ("name_pinyin", "id")))
        if key:
            parts.append((Q(name_key__startswith=key), ("name_key", "id")))
    return parts


def search_tiers(term: str) -> list[Tier]:
    """The tiers of a search (see :class:`kehu.pagination.Tier`), best first.

    - the exact customer code (as typed and upper-cased);
    - a phone-like term: phones starting with its digits;
    - an e-mail-like term: e-mails starting with it;
    - a latin term: pinyin initials (``zs`` → 张三), then full pinyin
      (``zhangsan``), then the lower-cased name (latin names);
    - any term with letters: the name key (``张`` → 张三).

    Each tier is a prefix range of one index, in that index's order, and
    excludes what earlier tiers found, so every page is a short range scan
    however many customers match.
    """
    tiers, seen = [], None
    for q, ordering in _search_parts(term):
        tiers.append(Tier(q if seen is None else q & ~seen, ordering))
        seen = q if seen is None else seen | q
    return tiers


def search_q(term: str) -> Q:
    """Every customer a search for ``term`` finds, as one ``Q`` (for counts,
    exports and the orders other than the tiers' own)."""
    q = Q()
    for part, _ordering in _search_parts(term):
        q |= part
    return q


def _filtered(qs: QuerySet, f: CustomerFilters) -> QuerySet:
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
    if f.partner_id:
        qs = qs.filter(partner_id=f.partner_id)
    if f.city:
        qs = qs.filter(city=f.city)
    if f.industry:
        qs = qs.filter(industry=f.industry)
    for name in BEHAVIOUR_FILTERS:
        if getattr(f, name):
            qs = qs.filter(**{name: getattr(f, name)})
    if f.tag:
        qs = qs.filter(tags__name=f.tag)
    if f.ids:
        qs = qs.filter(pk__in=list(f.ids))
    if f.custom:
        from kehu.customfields.values import apply_filters

        qs = apply_filters(qs, f.custom)
    return qs.select_related("owner", "partner")


def customer_list(*, viewer, filters: CustomerFilters | None = None) -> QuerySet[Customer]:
    """Customers the viewer may see, filtered. Unordered: the caller pages it."""
    f = filters or CustomerFilters()
    qs = _filtered(policy_for(viewer).visible(Customer.objects.all()), f)
    return qs.filter(search_q(f.q)) if f.q else qs


@dataclass
class CustomerListing:
    """A customer list to page: ``matches`` (every customer shown, for counts)
    and the ``tiers`` to page ``base`` by (:func:`kehu.pagination.tiered_keyset_page`)."""

    matches: QuerySet
    base: QuerySet
    tiers: list[Tier]


def customer_listing(*, viewer, filters: CustomerFilters | None = None, sort: str = DEFAULT_SORT) -> CustomerListing:
    """The customer list in ``sort`` order; a search in the default order is
    listed by its tiers (best matches first, see :func:`search_tiers`)."""
    f = filters or CustomerFilters()
    base = _filtered(policy_for(viewer).visible(Customer.objects.all()), f)
    if not f.q:
        return CustomerListing(matches=base, base=base, tiers=[Tier(Q(), SORTS[sort])])
    matches = base.filter(search_q(f.q))
    if sort == DEFAULT_SORT:
        return CustomerListing(matches=matches, base=base, tiers=search_tiers(f.q))
    return CustomerListing(matches=matches, base=matches, tiers=[Tier(Q(), SORTS[sort])])


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


def _one_or_404(qs: QuerySet, pk):
    from django.http import Http404

    try:
        return qs.get(pk=pk)
    except (qs.model.DoesNotExist, ValueError, TypeError):
        raise Http404 from None


def contact_get(*, viewer, pk) -> Contact:
    """One contact of a visible customer, or 404."""
    return _one_or_404(contact_list(viewer=viewer), pk)


def anniversary_list(*, viewer, customer_id: int | None = None) -> QuerySet[Anniversary]:
    qs = policy_for(viewer).visible(Anniversary.objects.all(), prefix="customer__")
    if customer_id is not None:
        qs = qs.filter(customer_id=customer_id)
    return qs.select_related("customer")


def anniversary_get(*, viewer, pk, customer_id: int | None = None) -> Anniversary:
    """One anniversary of a visible customer (of ``customer_id`` when given), or 404."""
    return _one_or_404(anniversary_list(viewer=viewer, customer_id=customer_id), pk)


def import_event(customer: Customer):
    """The audit record of the customer's creation by an import, made from the import
    (``Customer.import_run``): an unsaved ``AuditEvent`` (id 0), or None when no import
    created it. An import writes no audit row per customer it creates: its own event says
    who imported which file, the customer row says which import made it."""
    from kehu.audit.models import AuditEvent
    from kehu.imports.models import ImportRun

    if not customer.import_run_id:
        return None
    if "_import_event" not in customer.__dict__:      # the 360 page asks twice (history, timeline)
        run = ImportRun.objects.select_related("user").filter(pk=customer.import_run_id).first()
        customer._import_event = AuditEvent(
            id=0, created_at=customer.created_at, actor=run.user if run else None, action="import",
            entity="customer", entity_id=customer.pk, customer_id=customer.pk,
            summary=(run.filename if run else "")[:300], changes={"import": customer.import_run_id, "ref": customer.ref})
    return customer._import_event


def customer_history(customer: Customer, *, limit: int = 50) -> list:
    """The customer's audit events, newest first: the stored ones and, when an import created
    the customer, the record of that (:func:`import_event`)."""
    from kehu.audit.models import AuditEvent

    events = list(AuditEvent.objects.filter(customer_id=customer.pk).select_related("actor")
                  .order_by("-created_at", "-id")[:limit])
    created = import_event(customer)
    if created is not None:
        events.append(created)
        events.sort(key=lambda ev: (ev.created_at, ev.id), reverse=True)
    return events[:limit]
