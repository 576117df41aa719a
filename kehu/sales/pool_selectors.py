"""Reads of the lead pool (kehu.sales.pool): the pool list, through the one policy
(:meth:`kehu.org.policies.CustomerPolicy.visible_pool`)."""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import Q, QuerySet

from kehu.customers.models import Customer
from kehu.customers.search import name_keys
from kehu.org.policies import policy_for


@dataclass(frozen=True)
class PoolFilters:
    q: str = ""
    pool: str = ""          # "", "company" or "team"
    team_id: int | None = None
    stage: str = ""
    source: str = ""
    city: str = ""


def pool_list(*, viewer, filters: PoolFilters | None = None) -> QuerySet[Customer]:
    """The customers in the pools ``viewer`` sees, filtered."""
    f = filters or PoolFilters()
    qs = policy_for(viewer).visible_pool(Customer.objects.select_related("team"))
    if f.pool == "company":
        qs = qs.filter(team__isnull=True)
    elif f.pool == "team":
        qs = qs.filter(team__isnull=False)
    if f.team_id:
        qs = qs.filter(team_id=f.team_id)
    if f.stage:
        qs = qs.filter(lifecycle_stage=f.stage)
    if f.source:
        qs = qs.filter(source=f.source)
    if f.city:
        qs = qs.filter(city=f.city.strip())
    term = (f.q or "").strip()
    if term:
        key = name_keys(term)[0]
        qs = qs.filter(Q(name_key__contains=key) | Q(ref__iexact=term) | Q(city__contains=term)
                       | Q(industry__contains=term) | Q(name_pinyin__startswith=key.replace(" ", ""))
                       | Q(name_initials__startswith=key))
    return qs


def pool_counts(viewer) -> dict:
    """How many customers are in the company pool and in team pools the viewer sees."""
    qs = policy_for(viewer).visible_pool()
    return {"company": qs.filter(team__isnull=True).count(), "team": qs.filter(team__isnull=False).count()}
