"""The members list for the shared list machinery (:mod:`kehu.web.lists`):
columns, saved views and the export of the rows ticked. Registered when the
app is ready, so kehu/web/lists.py needs no line for it."""

from __future__ import annotations

from django.utils.translation import gettext_lazy

from kehu.web.lists import BulkAction, Column, ListSpec, register


def member_rows(viewer):
    from kehu.marketing.membership.selectors import member_visible

    return member_visible(viewer=viewer).select_related("customer", "tier")


MEMBERS_LIST = register(ListSpec(
    name="members", label=gettext_lazy("Members"), url_name="member_list",
    columns=(
        Column("number", gettext_lazy("Member number"), "number", "nowrap"),
        Column("customer", gettext_lazy("Customer")),
        Column("tier", gettext_lazy("Tier")),
        Column("status", gettext_lazy("Status")),
        Column("joined", gettext_lazy("Joined"), "joined", "nowrap hide-sm"),
        Column("expires", gettext_lazy("Membership expires"), "expires", "nowrap hide-sm"),
        Column("renew", gettext_lazy("Renews"), cls="hide-sm"),
    ),
    rows=member_rows,
    actions=(BulkAction("export", gettext_lazy("Export the selection")),),
    export_url_name="member_export",
    row_label=lambda m: f"{m.number} {m.customer.name}",
))
