"""``{% order_coupon order %}`` (the order page) and ``{% customer_coupons customer %}``
(the customer 360 page)."""

from django import template

register = template.Library()


@register.inclusion_tag("coupons/_order_coupon.html", takes_context=True)
def order_coupon(context, order):
    from kehu.marketing.coupons.permissions import may_redeem
    from kehu.marketing.coupons.selectors import order_redemption

    user = getattr(context.get("request"), "user", None)
    return {"order": order, "redemption": order_redemption(order),
            "can_redeem": user is not None and order.status != "cancelled" and may_redeem(user, order.customer)}


@register.inclusion_tag("coupons/_customer_coupons.html", takes_context=True)
def customer_coupons(context, customer):
    from kehu.marketing.coupons.selectors import customer_coupons as coupons

    user = getattr(context.get("request"), "user", None)
    return {"customer": customer, "coupons": coupons(viewer=user, customer=customer) if user else []}
