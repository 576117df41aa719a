"""Reads of products and orders; orders through the visibility policy."""

from __future__ import annotations

from django.db.models import QuerySet
from django.http import Http404

from kehu.org.policies import policy_for
from kehu.sales.models import Order, Product, ProductLine


def product_list(*, q: str = "", line_id: int | None = None, active: bool | None = None) -> QuerySet[Product]:
    """The catalogue is shared by the whole company."""
    qs = Product.objects.select_related("line")
    if q:
        qs = qs.filter(name__icontains=q) | qs.filter(ref__istartswith=q)
    if line_id:
        qs = qs.filter(line_id=line_id)
    if active is not None:
        qs = qs.filter(active=active)
    return qs


def order_list(*, viewer, customer_id: int | None = None, date_from=None, date_to=None) -> QuerySet[Order]:
    qs = policy_for(viewer).visible(Order.objects.all(), prefix="customer__")
    if customer_id is not None:
        qs = qs.filter(customer_id=customer_id)
    if date_from:
        qs = qs.filter(order_date__gte=date_from)
    if date_to:
        qs = qs.filter(order_date__lte=date_to)
    return qs.select_related("customer")


def order_get(*, viewer, pk) -> Order:
    try:
        return order_list(viewer=viewer).prefetch_related("lines__product", "payments").get(pk=pk)
    except (Order.DoesNotExist, ValueError, TypeError):
        raise Http404 from None


def product_line_list() -> QuerySet[ProductLine]:
    """Product lines; like the catalogue, shared by the whole company."""
    return ProductLine.objects.all()
