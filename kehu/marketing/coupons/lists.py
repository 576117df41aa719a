"""The coupon lists in the shared list machinery (:mod:`kehu.web.lists`):
the coupon kinds (definitions) and the coupons issued."""

from __future__ import annotations

from django.utils.translation import gettext_lazy
from django.utils.translation import pgettext_lazy

from kehu.web.lists import BulkAction, Column, ListSpec, register


def _definition_rows(viewer):
    from kehu.marketing.coupons.selectors import definition_list

    return definition_list(viewer=viewer)


def _coupon_rows(viewer):
    from kehu.marketing.coupons.selectors import coupon_list

    return coupon_list(viewer=viewer)


def _void(actor, coupon, _value):
    from kehu.marketing.coupons.services import coupon_void

    coupon_void(actor=actor, coupon=coupon)


def _may_manage(viewer) -> bool:
    from kehu.marketing.coupons.permissions import may_manage

    return may_manage(viewer)


class CouponListSpec(ListSpec):
    def actions_for(self, viewer):
        """Export for everyone who sees coupons; voiding for marketing and administrators
        (marketing is read-only on customers, but manages coupons)."""
        return [a for a in self.actions if a.key == "export" or _may_manage(viewer)]


DEFINITIONS = register(ListSpec(
    name="coupon_definitions", label=gettext_lazy("Coupon kinds"), url_name="coupon_definition_list",
    columns=(
        Column("ref", gettext_lazy("Batch code"), "ref"), Column("name", gettext_lazy("Name")),
        Column("kind", gettext_lazy("Kind")), Column("value", pgettext_lazy("coupon", "Value"), cls="num"),
        Column("min_spend", gettext_lazy("Minimum spend"), cls="num hide-sm"),
        Column("validity", pgettext_lazy("coupon dates", "Validity"), cls="hide-sm"),
        Column("quantity", gettext_lazy("Quantity limit"), cls="num hide-sm"),
        Column("active", gettext_lazy("Issuing")), Column("created", gettext_lazy("Created"), "created", "nowrap"),
    ),
    rows=_definition_rows,
    row_label=lambda d: f"{d.ref} {d}",
))

COUPONS = register(CouponListSpec(
    name="coupons", label=gettext_lazy("Coupons issued"), url_name="coupon_list",
    columns=(
        Column("code", pgettext_lazy("coupon", "Code")), Column("definition", gettext_lazy("Coupon kind")),
        Column("customer", gettext_lazy("Customer")), Column("status", gettext_lazy("Status")),
        Column("valid_until", gettext_lazy("Valid until"), "valid_until", "nowrap"),
        Column("source", gettext_lazy("Source"), cls="hide-sm"),
        Column("issued", gettext_lazy("Issued"), "issued", "nowrap"),
        Column("redeemed", gettext_lazy("Redeemed on"), cls="hide-sm"),
    ),
    rows=_coupon_rows,
    actions=(
        BulkAction("export", gettext_lazy("Export the selection")),
        BulkAction("void", gettext_lazy("Void"), _void, confirm=True, may=_may_manage),
    ),
    export_url_name="coupon_export",
    row_label=lambda c: f"{c.display_code} {c.customer.name}",
))
