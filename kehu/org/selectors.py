"""Reads of teams and users for the administrators' pages and the API."""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import Count, Q, QuerySet

from kehu.org.models import Team, User


def team_tree() -> list[Team]:
    """Every team in tree order (by ``path``), each with ``member_count`` (active members)
    and ``depth``: one query."""
    return list(Team.objects.annotate(
        member_count=Count("members", filter=Q(members__is_active=True))).order_by("path"))


@dataclass(frozen=True)
class UserFilters:
    q: str = ""
    team: Team | None = None
    subtree: bool = True  # the team's subtree, not only the team itself
    role: str = ""
    active: str = ""  # "", "yes", "no"


def user_list(filters: UserFilters = UserFilters()) -> QuerySet:
    qs = User.objects.select_related("team")
    if filters.q:
        q = filters.q.strip()
        qs = qs.filter(Q(username__icontains=q) | Q(display_name__icontains=q) | Q(first_name__icontains=q)
                       | Q(last_name__icontains=q) | Q(email__icontains=q) | Q(phone__icontains=q))
    if filters.team is not None:
        qs = qs.filter(team__path__startswith=filters.team.path) if filters.subtree else qs.filter(
            team=filters.team)
    if filters.role:
        qs = qs.filter(role=filters.role)
    if filters.active in ("yes", "no"):
        qs = qs.filter(is_active=filters.active == "yes")
    return qs


def owned_customer_count(user: User) -> int:
    from kehu.customers.models import Customer

    return Customer.objects.filter(owner=user).count()
