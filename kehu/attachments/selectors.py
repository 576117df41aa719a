"""Reads of attachments, scoped by the viewer through the one policy."""

from __future__ import annotations

from django.db.models import QuerySet
from django.http import Http404

from kehu.attachments.models import Attachment
from kehu.org.policies import policy_for


def attachment_list(*, viewer, customer=None, interaction=None, order=None) -> QuerySet:
    """The attachments the viewer may see; of one record when given (a
    customer's own files, not its interactions' or orders')."""
    policy = policy_for(viewer)
    qs = policy.visible(Attachment.objects.all(), prefix="customer__").select_related("uploaded_by")
    seen = policy.timeline_q("interaction")
    if seen:    # a partner user: the files of interactions hidden from them are hidden too
        from django.db.models import Q

        from kehu.engagement.models import Interaction

        qs = qs.filter(Q(interaction__isnull=True) | Q(interaction__in=Interaction.objects.filter(seen)))
    if interaction is not None:
        return qs.filter(interaction=interaction)
    if order is not None:
        return qs.filter(order=order)
    if customer is not None:
        return qs.filter(customer=customer, interaction__isnull=True, order__isnull=True)
    return qs


def attachment_get(*, viewer, pk) -> Attachment:
    """One attachment, or 404 when it does not exist or the viewer may not see its customer."""
    try:
        return attachment_list(viewer=viewer).select_related("customer").get(pk=pk)
    except (Attachment.DoesNotExist, ValueError, TypeError):
        raise Http404 from None


def record_get(*, viewer, kind: str, pk) -> tuple:
    """``(customer, interaction, order)`` of a visible record of ``kind``; 404 otherwise."""
    from kehu.engagement.selectors import interaction_get
    from kehu.sales.selectors import order_get

    if kind == "customer":
        return policy_for(viewer).get_visible(pk), None, None
    if kind == "interaction":
        rec = interaction_get(viewer=viewer, pk=pk)
        return rec.customer, rec, None
    if kind == "order":
        rec = order_get(viewer=viewer, pk=pk)
        return rec.customer, None, rec
    raise Http404
