"""Reads of the partners of the channel, scoped by the one policy (kehu/org/policies.py):
which partners the viewer may read (:meth:`CustomerPolicy.visible_partners`), and a
partner's customers, orders and cases within the viewer's own view scope."""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import Count, Q, QuerySet
from django.http import Http404

from kehu.org.models import Partner, User
from kehu.org.policies import policy_for


@dataclass(frozen=True)
class PartnerFilters:
    q: str = ""
    kind: str = ""
    level: int | None = None
    manager: User | None = None
    active: str = ""  # "", "yes", "no"


def partner_list(*, viewer, filters: PartnerFilters = PartnerFilters()) -> QuerySet[Partner]:
    """The partners ``viewer`` may read, filtered, with ``parent`` and ``manager`` and the
    number of their active users (``user_count``) and sub-partners (``child_count``)."""
    qs = policy_for(viewer).visible_partners(Partner.objects.select_related("parent", "manager"))
    if filters.q:
        q = filters.q.strip()
        qs = qs.filter(Q(code__icontains=q) | Q(name__icontains=q) | Q(phone__icontains=q)
                       | Q(email__icontains=q))
    if filters.kind:
        qs = qs.filter(kind=filters.kind)
    if filters.level:
        qs = qs.filter(level=filters.level)
    if filters.manager is not None:
        qs = qs.filter(manager=filters.manager)
    if filters.active in ("yes", "no"):
        qs = qs.filter(is_active=filters.active == "yes")
    return qs


def partner_get(*, viewer, pk) -> Partner:
    """One partner the viewer may read; 404 otherwise (the same as a missing one)."""
    partner = policy_for(viewer).visible_partners(
        Partner.objects.select_related("parent", "manager")).filter(pk=pk).first()
    if partner is None:
        raise Http404
    return partner


def partner_by_code(*, viewer, code: str) -> Partner:
    partner = policy_for(viewer).visible_partners().filter(code=code).first()
    if partner is None:
        raise Http404
    return partner


def subtree_ids(partner: Partner) -> list[int]:
    """The partner and every sub-partner below it (one prefix query)."""
    return list(Partner.objects.filter(path__startswith=partner.path).values_list("id", flat=True))


def managed_q(manager) -> Q:
    """The partners ``manager`` is the channel manager of, and every partner below them
    (by the materialised path, as :func:`subtree_ids`): a sub-partner with no manager of
    its own is its upper partner's manager's, as its customers are."""
    q = Q(pk__in=[])
    for path in Partner.objects.filter(manager=manager).values_list("path", flat=True):
        q |= Q(path__startswith=path)
    return q


def _ids(partner: Partner, include_sub: bool) -> list[int]:
    return subtree_ids(partner) if include_sub else [partner.pk]


def partner_children(*, viewer, partner: Partner) -> QuerySet[Partner]:
    return policy_for(viewer).visible_partners(partner.children.select_related("manager")).annotate(
        child_count=Count("children")).order_by("code")


def partner_users(partner: Partner) -> QuerySet[User]:
    return User.objects.filter(partner=partner).order_by("username")


def partner_customers(*, viewer, partner: Partner, include_sub: bool = True):
    """The partner's customers (and its sub-partners'), of those the viewer may see."""
    from kehu.customers.models import Customer

    return policy_for(viewer).visible(Customer.objects.filter(
        partner_id__in=_ids(partner, include_sub), merged_into__isnull=True).select_related("owner", "partner"))


def partner_orders(*, viewer, partner: Partner, include_sub: bool = True):
    """The orders sold through the partner (and its sub-partners), of the customers the viewer may see."""
    from kehu.sales.models import Order

    return policy_for(viewer).visible(Order.objects.filter(partner_id__in=_ids(partner, include_sub))
                                      .select_related("customer", "partner"), prefix="customer__")


def partner_targets(partner: Partner):
    return partner.targets.order_by("-period_start")


def channel_managers() -> QuerySet[User]:
    """Who may be a partner's channel manager: active administrators and sales managers."""
    return User.objects.filter(is_active=True, role__in=["admin", "sales_manager"]).order_by("username")


def channel_manager(partner: Partner) -> User | None:
    """Who looks after ``partner`` for the company: its channel manager, else the nearest
    one up the partner tree (a level-2 agent is often looked after through its level-1
    agent) — the first of them who is active; None when there is none."""
    above = [int(p) for p in partner.path.strip("/").split("/") if p] or [partner.pk]
    managers = dict(Partner.objects.filter(pk__in=above, manager__isnull=False).values_list("pk", "manager"))
    active = set(User.objects.filter(pk__in=managers.values(), is_active=True).values_list("pk", flat=True))
    manager_id = next((managers[pk] for pk in reversed(above) if managers.get(pk) in active), None)
    return None if manager_id is None else User.objects.get(pk=manager_id)
