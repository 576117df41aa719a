"""Reads of interactions and the customer timeline."""

from __future__ import annotations

from django.db.models import QuerySet
from django.http import Http404

from kehu.engagement.models import Interaction
from kehu.org.policies import policy_for


def interaction_list(*, viewer, customer_id: int | None = None, channel: str = "") -> QuerySet[Interaction]:
    qs = policy_for(viewer).visible(Interaction.objects.all(), prefix="customer__")
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


def customer_timeline(*, customer, limit: int = 50) -> list[dict]:
    """Interactions, orders and changes of one (already visible) customer, newest first."""
    from datetime import datetime, time

    from django.utils import timezone

    from kehu.audit.models import AuditEvent
    from kehu.sales.models import Order

    items: list[dict] = []
    for it in Interaction.objects.filter(customer=customer).select_related("user", "contact")[:limit]:
        items.append({"kind": "interaction", "at": it.occurred_at, "obj": it})
    tz = timezone.get_current_timezone()
    for order in Order.objects.filter(customer=customer).order_by("-order_date", "-id")[:limit]:
        at = timezone.make_aware(datetime.combine(order.order_date, time(12, 0)), tz)
        items.append({"kind": "order", "at": at, "obj": order})
    for ev in AuditEvent.objects.filter(customer_id=customer.pk).select_related("actor")[:limit]:
        if ev.entity == "interaction" and ev.action != "delete":
            continue  # the interaction itself is on the timeline (until it is deleted)
        items.append({"kind": "change", "at": ev.created_at, "obj": ev})
    items.sort(key=lambda x: x["at"], reverse=True)
    return items[:limit]
