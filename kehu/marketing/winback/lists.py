"""The losses and the win-back list on the shared list machinery (kehu/web/lists.py),
registered when the app is ready. Their rows come through the selectors, so through
the one policy; neither offers bulk actions (a loss is recorded one customer at a time,
with its reason), and both pages export what their filters show."""

from __future__ import annotations

from django.utils.translation import gettext_lazy

from kehu.web.lists import Column, ListSpec, register

LOSSES = "winback_losses"
CANDIDATES = "winback_candidates"


def loss_rows(viewer):
    from kehu.marketing.winback.selectors import loss_list

    return loss_list(viewer=viewer)


def candidate_rows(viewer):
    from kehu.marketing.winback.selectors import winback_candidates

    return winback_candidates(viewer=viewer)


def register_lists() -> None:
    register(ListSpec(
        name=LOSSES, label=gettext_lazy("Lost customers"), url_name="winback_losses",
        columns=(
            Column("lost_on", gettext_lazy("Date lost"), "lost_on", "nowrap"),
            Column("customer", gettext_lazy("Customer")),
            Column("reason", gettext_lazy("Reason")),
            Column("revenue", gettext_lazy("Revenue lost"), "revenue", "num"),
            Column("predicted", gettext_lazy("Predicted value forgone"), cls="num hide-sm"),
            Column("owner", gettext_lazy("Owner when lost"), cls="hide-sm"),
            Column("status", gettext_lazy("Won back")),
        ),
        rows=loss_rows,
        row_label=str,
    ))
    register(ListSpec(
        name=CANDIDATES, label=gettext_lazy("Win-back list"), url_name="winback_candidates",
        columns=(
            Column("customer", gettext_lazy("Customer")),
            Column("reason", gettext_lazy("Reason")),
            Column("lost_on", gettext_lazy("Date lost"), cls="nowrap hide-sm"),
            Column("revenue", gettext_lazy("Revenue lost"), cls="num"),
            Column("predicted", gettext_lazy("Predicted value forgone"), cls="num hide-sm"),
            Column("expected", gettext_lazy("Value to win back"), "expected", "num"),
            Column("owner", gettext_lazy("Owner when lost"), cls="hide-sm"),
        ),
        rows=candidate_rows,
        row_label=str,
    ))
