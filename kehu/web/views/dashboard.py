"""The dashboard: the user's own numbers, every one through the visibility policy."""

from __future__ import annotations

import datetime as dt

from django.contrib.auth.decorators import login_required
from django.shortcuts import render
from django.utils import timezone
from django.utils.translation import gettext as _

from kehu.customers.models import Customer
from kehu.engagement.models import Interaction
from kehu.engagement.selectors import open_task_count
from kehu.org.policies import policy_for
from kehu.pagination import capped_count
from kehu.sales.dashboard_figures import sales_figures


@login_required
def home(request):
    user = request.user
    policy = policy_for(user)
    now = timezone.localtime()
    today = now.date()
    tz = timezone.get_current_timezone()
    month_start = timezone.make_aware(dt.datetime(today.year, today.month, 1), tz)
    week_start = timezone.make_aware(dt.datetime.combine(today - dt.timedelta(days=today.weekday()), dt.time()), tz)

    visible = policy.visible(Customer.objects.all())
    visible_count, visible_more = capped_count(visible)
    new_count, new_more = capped_count(visible.filter(created_at__gte=month_start))
    my_count, my_more = capped_count(visible.filter(owner=user))

    # the year's and twelve months' sales and the top customers: cached per visibility scope
    # until an order, customer or share is written (kehu/sales/dashboard_figures.py)
    figures = sales_figures(policy, today)
    revenue_year, revenue_12m = figures["revenue_year"], figures["revenue_12m"]

    interactions = policy.visible(Interaction.objects.all(), prefix="customer__")
    week_count, week_more = capped_count(interactions.filter(occurred_at__gte=week_start))
    due = (
        interactions.filter(next_step_on__gte=today, next_step_on__lte=today + dt.timedelta(days=7))
        .exclude(next_step="")
        .select_related("customer", "user")
        .order_by("next_step_on", "id")[:10]
    )
    recent = list(visible.filter(owner=user).select_related("owner").order_by("-updated_at", "-id")[:10])

    names = Customer.objects.only("id", "name", "ref").in_bulk([cid for cid, _revenue in figures["top"]])
    top = [{"customer": names[cid], "revenue": revenue} for cid, revenue in figures["top"] if cid in names]

    task_count, task_overdue = open_task_count(viewer=user, today=today)

    return render(request, "web/dashboard.html", {
        "task_count": task_count, "task_overdue": task_overdue,
        "nav_active": "home",
        "title": _("Dashboard"),
        "visible_count": visible_count, "visible_more": visible_more,
        "my_count": my_count, "my_more": my_more,
        "new_count": new_count, "new_more": new_more,
        "revenue_year": revenue_year, "revenue_12m": revenue_12m,
        "week_count": week_count, "week_more": week_more,
        "due": list(due), "recent": recent, "top": top,
        "year": today.year,
        "can_create": policy.can_create,
    })
