"""The customer's lifecycle stage (Customer.lifecycle_stage) moving by itself, with a
dated history (:class:`~kehu.sales.models.LifecycleChange`).

- an open opportunity lifts a reserve, target or potential customer to ``opportunity``;
- a won opportunity, or an order, makes a customer still being acquired a ``customer``;
- nothing here moves a customer backwards: a customer already further on (or dormant,
  at risk, lost …) is left as it is — people decide those by hand, and their hand
  edits are recorded in the same history (:func:`lifecycle_record`, called by
  :func:`kehu.customers.services.customer_update`).
"""

from __future__ import annotations

from kehu.audit.services import audit_record
from kehu.customers.models import Customer, LifecycleStage

L = LifecycleStage

# The order of the acquisition stages; the automatic moves only go forward along it.
ACQUISITION = (L.RESERVE, L.TARGET, L.POTENTIAL, L.OPPORTUNITY, L.CUSTOMER)


def lifecycle_record(*, customer: Customer, from_stage: str, to_stage: str, actor=None, auto: bool = False,
                     reason: str = ""):
    """Keep one move in the history (the customer row is already saved by the caller)."""
    from kehu.sales.models import LifecycleChange

    return LifecycleChange.objects.create(
        customer=customer, from_stage=from_stage or "", to_stage=to_stage, auto=auto, reason=reason[:200],
        by=actor if getattr(actor, "pk", None) else None)


def lifecycle_advance(*, customer: Customer, to_stage: str, reason: str, actor=None) -> bool:
    """Move ``customer`` forward to ``to_stage`` when it is still behind it on the
    acquisition path; returns whether it moved. Audited, and kept in the history as
    an automatic move (``actor`` is who caused it)."""
    fresh = Customer.objects.select_for_update().only("pk", "lifecycle_stage", "name").get(pk=customer.pk)
    current = fresh.lifecycle_stage
    if current not in ACQUISITION or ACQUISITION.index(current) >= ACQUISITION.index(to_stage):
        return False
    Customer.objects.filter(pk=customer.pk).update(lifecycle_stage=to_stage)
    customer.lifecycle_stage = to_stage
    lifecycle_record(customer=customer, from_stage=current, to_stage=to_stage, actor=actor, auto=True,
                     reason=reason)
    audit_record(actor=actor, action="update", instance=customer, customer_id=customer.pk,
                 changes={"lifecycle_stage": [current, to_stage]}, summary=f"{fresh.name}: {reason}"[:300])
    return True


def lifecycle_history(customer: Customer):
    from kehu.sales.models import LifecycleChange

    return LifecycleChange.objects.filter(customer=customer).select_related("by").order_by("-at", "-id")
