"""The care moments list (/care/moments/) in the shared list machinery (:mod:`kehu.web.lists`): columns,
sorting, saved views."""

from __future__ import annotations

from django.utils.translation import gettext_lazy

from kehu.web.lists import Column, ListSpec, register


def _rows(viewer):
    from . import selectors

    return selectors.moment_list(viewer=viewer)


SPEC = register(ListSpec(
    name="care_moments", label=gettext_lazy("Care moments"), url_name="care_moments",
    columns=(
        Column("due", gettext_lazy("Due"), "due", "nowrap"),
        Column("customer", gettext_lazy("Customer")),
        Column("rule", gettext_lazy("Care rule")),
        Column("occasion", gettext_lazy("Occasion"), "occasion", "nowrap hide-sm"),
        Column("status", gettext_lazy("Status"), "status"),
        Column("actions", gettext_lazy("Act")),
    ),
    rows=_rows,
    row_label=str,
))
