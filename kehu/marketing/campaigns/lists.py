"""The campaign list on the shared list machinery (kehu/web/lists.py), registered when the app
is ready. Every signed-in user reads the list; no bulk actions (a campaign is sent one at a
time, after its confirmation)."""

from __future__ import annotations

from django.utils.translation import gettext_lazy

from kehu.web.lists import Column, ListSpec, register

CAMPAIGNS = "campaigns"


def campaign_rows(viewer):
    from kehu.marketing.campaigns.selectors import campaign_list

    return campaign_list(viewer=viewer)


def register_lists() -> None:
    register(ListSpec(
        name=CAMPAIGNS, label=gettext_lazy("Campaigns"), url_name="campaign_list",
        columns=(
            Column("code", gettext_lazy("Code"), "code", "nowrap"),
            Column("name", gettext_lazy("Name"), "name"),
            Column("kind", gettext_lazy("Kind"), cls="hide-sm"),
            Column("channel", gettext_lazy("Channel"), cls="hide-sm"),
            Column("status", gettext_lazy("Status")),
            Column("sent", gettext_lazy("Sent"), "sent", "nowrap"),
            Column("control", gettext_lazy("Control group"), cls="num hide-sm"),
        ),
        rows=campaign_rows,
        row_label=str,
    ))
