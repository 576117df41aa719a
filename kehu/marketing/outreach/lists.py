"""The message log in the shared list machinery (:mod:`kehu.web.lists`): columns,
sorting, saved views; its export is the page's own (filters kept)."""

from __future__ import annotations

from django.utils.translation import gettext_lazy

from kehu.web.lists import Column, ListSpec, register


def _rows(viewer):
    from . import selectors

    return selectors.message_list(viewer=viewer)


SPEC = register(ListSpec(
    name="outreach_messages", label=gettext_lazy("Messages to customers"), url_name="outreach_messages",
    columns=(
        Column("created", gettext_lazy("Created"), "created", "nowrap"),
        Column("customer", gettext_lazy("Customer")),
        Column("channel", gettext_lazy("Channel")),
        Column("status", gettext_lazy("Status")),
        Column("reason", gettext_lazy("Hold reason"), cls="hide-sm"),
        Column("source", gettext_lazy("Source"), cls="hide-sm"),
        Column("subject", gettext_lazy("Subject"), cls="hide-sm"),
    ),
    rows=_rows,
    row_label=str,
))
