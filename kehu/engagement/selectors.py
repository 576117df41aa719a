"""Reads of interactions, the customer timeline, tasks and planned visits."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.db.models import QuerySet
from django.http import Http404

from kehu.engagement.models import Interaction
from kehu.org.policies import policy_for


def interaction_list(*, viewer, customer_id: int | None = None, channel: str = "") -> QuerySet[Interaction]:
    """The interactions ``viewer`` may see: those of the customers they see — for a partner
    user only those their partners' people logged (:meth:`CustomerPolicy.timeline_q`)."""
    policy = policy_for(viewer)
    qs = policy.visible(Interaction.objects.all(), prefix="customer__").filter(policy.timeline_q("interaction"))
    if customer_id is not None:
        qs = qs.filter(customer_id=customer_id)
    if channel:
        qs = qs.filter(channel=channel)
    return qs.select_related("customer", "contact", "user")


def interaction_get(*, viewer, pk) -> Interaction:
    try:
        return interaction_list(viewer=viewer).get(pk=pk)
    except (Interaction.DoesNotExist, ValueError, TypeError):
        raise Http404 from None


def customer_timeline(*, customer, viewer, limit: int = 50) -> list[dict]:
    """Interactions, orders, case events (registered, moves, comments …) and changes of one
    customer ``viewer`` already sees, newest first — of each kind what the one policy lets
    the viewer see on a timeline (:meth:`kehu.org.policies.CustomerPolicy.timeline_q`: all
    of it for the company's people; a partner user only what their partners' people did or
    what is routed to their partners). Every case of a visible customer is visible
    (kehu.org.policies), so the case events need no further check."""
    from datetime import datetime, time

    from django.utils import timezone

    from kehu.audit.models import AuditEvent
    from kehu.customers.selectors import customer_history
    from kehu.sales.models import Order

    policy = policy_for(viewer)
    items: list[dict] = []
    for it in (Interaction.objects.filter(customer=customer).filter(policy.timeline_q("interaction"))
               .select_related("user", "contact")[:limit]):
        items.append({"kind": "interaction", "at": it.occurred_at, "obj": it})
    tz = timezone.get_current_timezone()
    for order in Order.objects.filter(customer=customer).filter(policy.timeline_q("order")).order_by(
            "-order_date", "-id")[:limit]:
        at = timezone.make_aware(datetime.combine(order.order_date, time(12, 0)), tz)
        items.append({"kind": "order", "at": at, "obj": order})
    from kehu.service.models import CaseEvent

    for cev in (CaseEvent.objects.filter(case__customer=customer).filter(policy.timeline_q("case_event"))
                .select_related("case", "actor").order_by("-at", "-id")[:limit]):
        items.append({"kind": "case", "at": cev.at, "obj": cev})
    changes_q = policy.timeline_q("change")
    if changes_q:   # a partner user: their people's changes only (no import record: they import nothing)
        changes = list(AuditEvent.objects.filter(customer_id=customer.pk).filter(changes_q).select_related("actor")
                       .order_by("-created_at", "-id")[:limit])
    else:
        changes = customer_history(customer, limit=limit)
    for ev in changes:
        if ev.entity == "interaction" and ev.action != "delete":
            continue  # the interaction itself is on the timeline (until it is deleted)
        if ev.entity == "case":
            continue  # the case's own events are on the timeline
        items.append({"kind": "change", "at": ev.created_at, "obj": ev})
    items.sort(key=lambda x: x["at"], reverse=True)
    return items[:limit]


# -- tasks ------------------------------------------------------------------------

TASK_SCOPES = ("mine", "team", "all")
TASK_DUE_FILTERS = ("overdue", "today", "week", "none")


def _task_visibility_q(policy):
    """Which tasks a viewer may see, as one ``Q``: a task about a customer
    when they may see the customer (the one policy decides); a task about no
    customer when it is theirs (assigned or created), when they see
    everything, or when its assignee is in their team subtree (managers); a
    task about a partner (and no customer) when it is theirs or they may read
    the partners' tasks (:attr:`CustomerPolicy.may_read_partner_tasks` —
    never partner users), not by seeing everything nor by the team rule."""
    from django.db.models import Q

    if not policy.active:
        return Q(pk__in=[])
    viewer = policy.viewer
    about_customer = Q(customer__isnull=False)
    if not policy.view_scope.everything:
        about_customer &= policy.view_scope.q("customer__")
    if policy.sees_everything and policy.may_read_partner_tasks:
        return about_customer | Q(customer__isnull=True)
    personal = Q(assigned_to=viewer) | Q(created_by=viewer)
    no_partner = Q(partner__isnull=True)
    if policy.sees_everything:
        personal |= no_partner
    elif policy.role in _subtree_roles() and policy._subtree_team_ids:
        personal |= Q(assigned_to__team_id__in=policy._subtree_team_ids) & no_partner
    if policy.may_read_partner_tasks:
        personal |= Q(partner__isnull=False)
    return about_customer | (Q(customer__isnull=True) & personal)


def _subtree_roles():
    from kehu.org.policies import SUBTREE_ROLES

    return SUBTREE_ROLES


def may_see_team_tasks(viewer) -> bool:
    """Managers (and everyone who sees a team subtree or everything) may list
    their team's tasks, not only their own."""
    policy = policy_for(viewer)
    return policy.active and (policy.sees_everything or policy.role in _subtree_roles())


def task_visible(*, viewer):
    """Every task ``viewer`` may see (see :func:`_task_visibility_q`)."""
    from kehu.engagement.models import Task

    policy = policy_for(viewer)
    return Task.objects.filter(_task_visibility_q(policy))


def task_list(*, viewer, scope: str = "mine", status: str = "open", source: str = "", due: str = "",
              customer_id: int | None = None, assigned_to_id: int | None = None, partner_id: int | None = None,
              today=None):
    """Tasks for the tasks page and the API, visibility-scoped.

    ``scope``: ``mine`` (assigned to the viewer, the default), ``team``
    (assigned to anyone in the viewer's team subtree, or unassigned, for
    managers), ``all`` (every task the viewer may see). ``status``: a
    :class:`TaskStatus` value or ``""``/``"all"`` for every status.
    ``due``: ``overdue`` (open and due before today), ``today``, ``week``
    (the next seven days), ``none`` (no due date). Unordered."""
    import datetime as dt

    from django.db.models import Q
    from django.utils import timezone

    from kehu.engagement.models import TaskSource, TaskStatus

    policy = policy_for(viewer)
    qs = task_visible(viewer=viewer)
    if scope == "team" and may_see_team_tasks(viewer):
        if not policy.sees_everything:
            qs = qs.filter(Q(assigned_to__team_id__in=policy._subtree_team_ids) | Q(assigned_to=viewer)
                           | Q(assigned_to__isnull=True))
    elif scope == "all":
        pass
    else:
        qs = qs.filter(assigned_to=viewer)
    if status in TaskStatus.values:
        qs = qs.filter(status=status)
    if source in TaskSource.values:
        qs = qs.filter(source=source)
    today = today or timezone.localdate()
    if due == "overdue":
        qs = qs.filter(status=TaskStatus.OPEN, due_on__lt=today)
    elif due == "today":
        qs = qs.filter(due_on=today)
    elif due == "week":
        qs = qs.filter(due_on__gte=today, due_on__lte=today + dt.timedelta(days=7))
    elif due == "none":
        qs = qs.filter(due_on__isnull=True)
    if customer_id is not None:
        qs = qs.filter(customer_id=customer_id)
    if assigned_to_id is not None:
        qs = qs.filter(assigned_to_id=assigned_to_id)
    if partner_id is not None:
        qs = qs.filter(partner_id=partner_id)
    return qs.select_related("customer", "partner", "assigned_to", "created_by")


def task_get(*, viewer, pk):
    """One task the viewer may see; 404 otherwise (the same answer as a task
    that does not exist)."""
    from kehu.engagement.models import Task

    try:
        return task_visible(viewer=viewer).select_related("customer", "partner", "assigned_to",
                                                          "created_by").get(pk=pk)
    except (Task.DoesNotExist, ValueError, TypeError):
        raise Http404 from None


def task_may_change(*, viewer, task) -> bool:
    """Who may complete, cancel or change a (visible) task: its assignee, or
    whoever may change its customer (the owner's manager); for a task about
    no customer, its assignee, its creator, and managers who see the
    assignee's team — and, for a task about a partner, those who manage
    partners. Read-only roles never."""
    policy = policy_for(viewer)
    if not policy.active or policy.read_only:
        return False
    if task.assigned_to_id == viewer.pk:
        return True
    if task.customer_id is not None:
        return policy.can_change(task.customer)
    if task.created_by_id == viewer.pk or policy.is_admin or policy.sees_everything:
        return True
    if task.partner_id is not None and policy.may_manage_partners:
        return True
    return (policy.role in _subtree_roles() and task.assigned_to is not None
            and task.assigned_to.team_id in policy._subtree_team_ids)


def open_task_count(*, viewer, today=None) -> tuple[int, int]:
    """``(open tasks assigned to the viewer, of which overdue)`` for the dashboard."""
    from django.db.models import Count, Q
    from django.utils import timezone

    from kehu.engagement.models import TaskStatus

    today = today or timezone.localdate()
    row = task_visible(viewer=viewer).filter(assigned_to=viewer, status=TaskStatus.OPEN).aggregate(
        n=Count("id"), overdue=Count("id", filter=Q(due_on__lt=today)))
    return row["n"], row["overdue"]


def customer_open_tasks(*, customer, limit: int = 20) -> list:
    """The open tasks about one (already visible) customer, soonest due first."""
    from django.db.models import F

    from kehu.engagement.models import Task, TaskStatus

    return list(Task.objects.filter(customer=customer, status=TaskStatus.OPEN).select_related("assigned_to")
                .order_by(F("due_on").asc(nulls_last=True), "id")[:limit])


def partner_open_tasks(*, viewer, partner, limit: int = 20) -> list:
    """The open tasks about ``partner`` that ``viewer`` may see (none for partner
    users), soonest due first."""
    from django.db.models import F

    from kehu.engagement.models import TaskStatus

    return list(task_visible(viewer=viewer).filter(partner=partner, status=TaskStatus.OPEN)
                .select_related("assigned_to").order_by(F("due_on").asc(nulls_last=True), "id")[:limit])


# -- planned visits (拜访计划) ------------------------------------------------------

@dataclass(frozen=True)
class VisitFilters:
    """Filters of the visit lists (pages and API); empty means any."""

    salesperson_id: int | None = None
    team_id: int | None = None
    customer_id: int | None = None
    status: str = ""
    reason: str = ""
    week: str = ""
    date_from: dt.date | None = None
    date_to: dt.date | None = None
    checked_in: bool | None = None


def visit_list(*, viewer, filters: VisitFilters | None = None) -> QuerySet:
    """The planned visits ``viewer`` may see (kehu/org/policies.py), filtered."""
    from kehu.engagement.models import PlannedVisit
    from kehu.org.models import Team

    f = filters or VisitFilters()
    qs = policy_for(viewer).visible_visits(PlannedVisit.objects.all())
    if f.salesperson_id:
        qs = qs.filter(salesperson_id=f.salesperson_id)
    if f.team_id:
        team = Team.objects.filter(pk=f.team_id).only("path").first()
        qs = qs.filter(salesperson__team__path__startswith=team.path) if team else qs.none()
    if f.customer_id:
        qs = qs.filter(customer_id=f.customer_id)
    if f.status == "open":
        qs = qs.filter(status__in=["planned", "moved"])
    elif f.status:
        qs = qs.filter(status=f.status)
    if f.reason:
        qs = qs.filter(reason=f.reason)
    if f.week:
        qs = qs.filter(week=f.week)
    if f.date_from:
        qs = qs.filter(planned_on__gte=f.date_from)
    if f.date_to:
        qs = qs.filter(planned_on__lte=f.date_to)
    if f.checked_in is not None:
        qs = qs.filter(checked_in_at__isnull=not f.checked_in)
    return qs.select_related("customer", "salesperson", "interaction")


def visit_get(*, viewer, pk):
    """One visit the viewer may see; 404 otherwise (and when it does not exist)."""
    from kehu.engagement.models import PlannedVisit

    try:
        return visit_list(viewer=viewer).prefetch_related("contacts").get(pk=pk)
    except (PlannedVisit.DoesNotExist, ValueError, TypeError):
        raise Http404 from None


def visit_day_counts(*, visits, days) -> list[dict]:
    """Per day: the visits planned to existing and new customers and those done,
    beside the day target — ``[{"day", "existing", "new", "done_existing", "done_new"}]``."""
    from kehu.engagement.visits import NEW_STAGES

    out = {d: {"day": d, "existing": 0, "new": 0, "done_existing": 0, "done_new": 0, "visits": []} for d in days}
    for v in visits:
        row = out.get(v.planned_on)
        if row is None:
            continue
        kind = "new" if v.customer.lifecycle_stage in NEW_STAGES else "existing"
        if v.status != "skipped":
            row[kind] += 1
        if v.status == "done":
            row["done_" + kind] += 1
        row["visits"].append(v)
    return [out[d] for d in days]


def customer_visits(*, viewer, customer, limit: int = 5) -> dict:
    """For the customer 360 page: the next open visit and the last ones done."""
    qs = visit_list(viewer=viewer, filters=VisitFilters(customer_id=customer.pk))
    upcoming = qs.filter(status__in=["planned", "moved"]).order_by("planned_on", "planned_time", "id").first()
    recent = list(qs.filter(status__in=["done", "skipped"]).order_by("-planned_on", "-id")[:limit])
    return {"next": upcoming, "recent": recent}
