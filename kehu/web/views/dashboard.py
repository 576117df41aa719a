"""The dashboard: the user's own numbers, every one through the visibility policy."""

from __future__ import annotations

import datetime as dt

from django.contrib.auth.decorators import login_required
from django.db.models import Sum
from django.shortcuts import render
from django.utils import timezone
from django.utils.translation import gettext as _

from kehu.customers.models import Customer
from kehu.engagement.models import Interaction
from kehu.engagement.selectors import open_task_count
from kehu.org.policies import policy_for
from kehu.pagination import capped_count
from kehu.sales.models import Order, OrderStatus


def _months_back(day: dt.date, months: int) -> dt.date:
    y, m = divmod(day.year * 12 + day.month - 1 - months, 12)
    return dt.date(y, m + 1, min(day.day, 28))


@login_required
def home(request):
    user = request.user
    policy = policy_for(user)
    now = timezone.localtime()
    today = now.date()
    tz = timezone.get_current_timezone()
    month_start = timezone.make_aware(dt.datetime(today.year, today.month, 1), tz)
    week_start = timezone.make_aware(dt.datetime.combine(today - dt.timedelta(days=today.weekday()), dt.time()), tz)
    year_start = dt.date(today.year, 1, 1)
    twelve_months_ago = _months_back(today, 12)

    visible = policy.visible(Customer.objects.all())
    visible_count, visible_more = capped_count(visible)
    new_count, new_more = capped_count(visible.filter(created_at__gte=month_start))
    my_count, my_more = capped_count(visible.filter(owner=user))

    orders = policy.visible(Order.objects.exclude(status=OrderStatus.CANCELLED), prefix="customer__")
    revenue_year = orders.filter(order_date__gte=year_start, order_date__lte=today).aggregate(s=Sum("amount"))["s"] or 0
    revenue_12m = orders.filter(order_date__gt=twelve_months_ago, order_date__lte=today).aggregate(s=Sum("amount"))["s"] or 0

    interactions = policy.visible(Interaction.objects.all(), prefix="customer__")
    week_count, week_more = capped_count(interactions.filter(occurred_at__gte=week_start))
    due = (
        interactions.filter(next_step_on__gte=today, next_step_on__lte=today + dt.timedelta(days=7))
        .exclude(next_step="")
        .select_related("customer", "user")
        .order_by("next_step_on", "id")[:10]
    )
    recent = list(visible.filter(owner=user).select_related("owner").order_by("-updated_at", "-id")[:10])

    top_rows = list(
        orders.filter(order_date__gt=twelve_months_ago, order_date__lte=today)
        .values("customer_id").annotate(revenue=Sum("amount")).order_by("-revenue", "customer_id")[:10]
    )
    names = Customer.objects.in_bulk([r["customer_id"] for r in top_rows])
    top = [{"customer": names[r["customer_id"]], "revenue": r["revenue"]} for r in top_rows if r["customer_id"] in names]

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
