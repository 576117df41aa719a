"""Reads of the outreach app, every one through the visibility policy: a message is
seen by whoever may see its customer (kehu/org/policies.py)."""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import Q, QuerySet
from django.http import Http404

from kehu.org.policies import policy_for

from .models import MessageTemplate, OutboundMessage, Suppression


@dataclass(frozen=True)
class MessageFilters:
    channel: str = ""
    status: str = ""
    reason: str = ""
    source_kind: str = ""
    source_id: int | None = None
    customer_id: int | None = None


def message_list(*, viewer, filters: MessageFilters | None = None) -> QuerySet:
    f = filters or MessageFilters()
    qs = OutboundMessage.objects.select_related("customer", "template")
    for field in ("channel", "status", "reason", "source_kind", "source_id", "customer_id"):
        value = getattr(f, field)
        if value not in ("", None):
            qs = qs.filter(**{field: value})
    return policy_for(viewer).visible(qs, prefix="customer__")


def message_get(*, viewer, pk: int) -> OutboundMessage:
    msg = message_list(viewer=viewer).select_related("contact", "actor", "task").filter(pk=pk).first()
    if msg is None:
        raise Http404
    return msg


def customer_messages(*, viewer, customer, limit: int = 8) -> list[OutboundMessage]:
    """The latest messages of one customer the viewer may see (the 360 card)."""
    qs = policy_for(viewer).visible(OutboundMessage.objects.filter(customer_id=customer.pk), prefix="customer__")
    return list(qs.select_related("template").order_by("-created_at", "-id")[:limit])


def card_messages(customer, limit: int = 8) -> list[OutboundMessage]:
    """The latest messages of a customer the caller already fetched through the policy (the 360 card)."""
    return list(OutboundMessage.objects.filter(customer_id=customer.pk).select_related("template")
                .order_by("-created_at", "-id")[:limit])


def card_language(customer) -> str:
    """The customer's language, else the settings' default, in one query."""
    from django.db.models import Subquery

    from kehu.customers.models import Customer

    from .models import CustomerLanguage, GateSettings, Language

    own = CustomerLanguage.objects.filter(customer_id=customer.pk).order_by("-id").values("language")[:1]
    default = GateSettings.objects.filter(pk=1).values("default_language")[:1]
    row = Customer.objects.filter(pk=customer.pk).values_list(Subquery(own), Subquery(default)).first()
    return (row and (row[0] or row[1])) or Language.ZH


def template_list() -> QuerySet:
    return MessageTemplate.objects.all()


def template_get(pk: int) -> MessageTemplate:
    tpl = MessageTemplate.objects.filter(pk=pk).first()
    if tpl is None:
        raise Http404
    return tpl


def suppression_list(*, viewer, q: str = "", channel: str = "") -> QuerySet:
    """Managers of outreach see the list: addresses, and the customers they may see."""
    policy = policy_for(viewer)
    if not policy.may_manage_outreach:
        return Suppression.objects.none()
    qs = Suppression.objects.select_related("customer", "added_by")
    if not policy.view_scope.everything:
        qs = qs.filter(Q(customer__isnull=True) | Q(customer__in=policy.visible()))
    if channel:
        qs = qs.filter(channel=channel)
    if q:
        qs = qs.filter(Q(address__icontains=q.strip()) | Q(customer__name__icontains=q.strip()))
    return qs


def suppression_get(*, viewer, pk: int) -> Suppression:
    row = suppression_list(viewer=viewer).filter(pk=pk).first()
    if row is None:
        raise Http404
    return row
