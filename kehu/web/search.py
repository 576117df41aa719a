"""The global search in the header: one box, every record type that
registers a provider. Customers register here (name, pinyin, phone, code,
through :func:`kehu.customers.selectors.customer_listing` and so through the
visibility policy); later record types (cases, opportunities) add their own
:class:`Provider` with :func:`register` and appear as another group.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable

from django.urls import reverse
from django.utils.translation import gettext_lazy

LIMIT = 8

# the quick-create menu's records that need a customer first: ``then`` → label
THEN = {
    "order": gettext_lazy("New order"),
    "interaction": gettext_lazy("Log an interaction"),
    "task": gettext_lazy("New task"),
}
_THEN_URL = {"order": "order_create", "interaction": "interaction_create", "task": "task_create"}


@dataclass(frozen=True)
class Hit:
    kind: str
    id: int
    label: str
    detail: str
    url: str


@dataclass(frozen=True)
class Provider:
    kind: str
    label: Any
    find: Callable[..., list[Hit]]  # (viewer, term, limit, then) → hits, visible only


PROVIDERS: list[Provider] = []


def register(provider: Provider) -> None:
    if all(p.kind != provider.kind for p in PROVIDERS):
        PROVIDERS.append(provider)


def _customers(viewer, term: str, limit: int, then: str = "") -> list[Hit]:
    from kehu.customers import selectors
    from kehu.pagination import tiered_keyset_page
    from kehu.privacy.masking import mask_customers

    listing = selectors.customer_listing(viewer=viewer, filters=selectors.CustomerFilters(q=term))
    base = listing.base
    if then:
        # creating an order, interaction or task needs the right to change the customer
        from kehu.org.policies import policy_for

        base = policy_for(viewer).changeable(base)
    page = tiered_keyset_page(base, tiers=listing.tiers, cursor=None, page_size=limit)
    mask_customers(viewer=viewer, customers=page.items)
    hits = []
    for c in page.items:
        if then:
            url = reverse(_THEN_URL[then], args=[c.pk])
        else:
            url = reverse("customer_detail", args=[c.pk])
        detail = " · ".join(x for x in (c.ref, c.city, c.phone) if x)
        hits.append(Hit("customer", c.pk, c.name, detail, url))
    return hits


register(Provider("customer", gettext_lazy("Customers"), _customers))


def search(*, viewer, term: str, then: str = "", limit: int = LIMIT) -> list[dict]:
    """Groups of hits, one per provider with any (with ``then``, customers only)."""
    groups = []
    for p in PROVIDERS:
        if then and p.kind != "customer":
            continue
        hits = p.find(viewer, term, limit, then)
        if hits:
            groups.append({"kind": p.kind, "label": p.label, "hits": hits})
    return groups


def quick_create_items(viewer) -> list[dict]:
    """The header's quick-create menu: only what the user may create."""
    from kehu.org.policies import policy_for

    policy = policy_for(viewer)
    if not policy.active or policy.read_only:
        return []
    items = []
    if policy.can_create:
        items.append({"label": gettext_lazy("New customer"), "url": reverse("customer_create")})
    if not policy.change_scope.nothing:
        for then, label in THEN.items():
            if not policy.may_use_view(_THEN_URL[then]):
                continue   # a partner user records no tasks (the partner portal)
            items.append({"label": label, "url": f"{reverse('global_search')}?then={then}"})
    if policy.can_register_cases:
        items.append({"label": gettext_lazy("Register a case"), "url": reverse("case_create")})
    return items
