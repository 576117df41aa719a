"""Reads of the care calendar. Customers only through the one policy (kehu/org/policies.py).

:func:`upcoming` computes the moments of the active rules in a window of due
dates — those the daily run has created (with their status) and those it has
not yet (status ``upcoming``) — for a person's calendar or a customer's page.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.db.models import Q, QuerySet
from django.shortcuts import get_object_or_404

from kehu.customers.models import Customer
from kehu.org.policies import policy_for

from . import dates, selection
from .models import CareMoment, CareRule

CALENDAR_LIMIT = 500
UPCOMING = "upcoming"


def rule_list() -> QuerySet[CareRule]:
    return CareRule.objects.select_related("template", "owner").order_by("name_zh", "id")


def rule_get(pk: int) -> CareRule:
    return get_object_or_404(CareRule, pk=pk)


def acted_on_by(user) -> Q:
    """The moments ``user`` acts on: the rule's owner, else the customer's owner."""
    return Q(rule__owner=user) | Q(rule__owner__isnull=True, customer__owner=user)


def moment_list(*, viewer, rule_id=None, customer_id=None, status="", due_from=None, due_to=None,
                owner=None) -> QuerySet:
    """The moments made, of the customers ``viewer`` sees; ``owner``: only those that user acts on."""
    qs = policy_for(viewer).visible(CareMoment.objects.select_related("rule", "customer"), prefix="customer__")
    if owner is not None:
        qs = qs.filter(acted_on_by(owner))
    if rule_id:
        qs = qs.filter(rule_id=rule_id)
    if customer_id:
        qs = qs.filter(customer_id=customer_id)
    if status:
        qs = qs.filter(status=status)
    if due_from:
        qs = qs.filter(due_on__gte=due_from)
    if due_to:
        qs = qs.filter(due_on__lte=due_to)
    return qs.order_by("due_on", "id")


@dataclass
class Upcoming:
    key: str
    rule: CareRule
    customer_id: int
    customer_name: str
    occasion: dt.date
    due_on: dt.date
    status: str
    moment_id: int | None = None

    @property
    def status_label(self) -> str:
        from django.utils.translation import gettext as _

        from .models import MomentStatus

        return _("Upcoming") if self.status == UPCOMING else MomentStatus(self.status).label


def upcoming(*, viewer, start: dt.date, end: dt.date, customer: Customer | None = None,
             mine: bool = True, limit: int = CALENDAR_LIMIT) -> tuple[list[Upcoming], bool]:
    """The moments due in [start, end] of the customers the viewer may see — with ``mine``, only
    those the viewer acts on (the rule's owner, else the customer's owner). (items, truncated)."""
    policy = policy_for(viewer)
    if not policy.active:
        return [], False
    base = policy.visible(Customer.objects.filter(merged_into__isnull=True))
    if customer is not None:
        base = base.filter(pk=customer.pk)
    found: dict[str, Upcoming] = {}
    truncated = False
    from .services import rule_customers

    rules = list(CareRule.objects.filter(active=True).order_by("pk"))
    # one customer (its 360 page): its facts read once, the rules applied in Python — no query per rule
    # (but for a rule limited to a segment: is the customer in it)
    facts = selection.customer_facts(customer, rules, since=start) if customer is not None and not mine else None
    for rule in rules:
        lead = dt.timedelta(days=rule.lead_days)
        if facts is not None:
            if rule.targets_segment and not rule_customers(rule, base).exists():
                continue
            rows = selection.select_one(rule, customer.pk, facts, start + lead, end + lead)
        else:
            qs = rule_customers(rule, base)
            if mine:
                if rule.owner_id is not None and rule.owner_id != viewer.pk:
                    continue
                if rule.owner_id is None:
                    qs = qs.filter(owner=viewer)
            rows = selection.select(rule, qs, start + lead, end + lead)
        for cid, _owner, occ in rows:
            if len(found) >= limit:
                truncated = True
                break
            key = dates.moment_key(rule.pk, cid, occ)
            found[key] = Upcoming(key, rule, cid, "", occ, occ - lead, UPCOMING)
    # the moments already made (their status), also those of rules since changed
    made = moment_list(viewer=viewer, customer_id=customer.pk if customer else None, due_from=start, due_to=end)
    if customer is not None:   # the caller has checked that the viewer sees the customer
        made = CareMoment.objects.select_related("rule", "customer").filter(
            customer=customer, due_on__gte=start, due_on__lte=end)
    if mine:
        made = made.filter(acted_on_by(viewer))
    for m in made[:limit]:
        found[m.key] = Upcoming(m.key, m.rule, m.customer_id, m.customer.name, m.occasion, m.due_on, m.status, m.pk)
    if customer is not None:
        names = {customer.pk: customer.name}
    else:
        names = dict(Customer.objects.filter(pk__in={u.customer_id for u in found.values()})
                     .values_list("pk", "name"))
    items = sorted(found.values(), key=lambda u: (u.due_on, names.get(u.customer_id, ""), u.rule.pk))
    for u in items:
        u.customer_name = names.get(u.customer_id, "")
    return items, truncated
