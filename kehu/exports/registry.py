"""Every export of Kehu's data, in one list.

The audit page names an export by its label; the tests walk this list (and
the URL patterns and the ``kehu`` commands) so that an export added later
cannot skip the shared writers or the audit record.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from kehu.marketing.winback import labels as winback_labels


@dataclass(frozen=True)
class Export:
    key: str
    label: object
    url_name: str = ""  # the page's download, when there is one
    command: str = ""  # the ``kehu`` command, when there is one
    table: bool = True  # a CSV/.xlsx table (False: a PDF report, audited but not a spreadsheet)


EXPORTS: dict[str, Export] = {e.key: e for e in (
    Export("customers", pgettext_lazy("export", "Customers"), url_name="customer_export",
           command="kehu export customers"),
    Export("orders", pgettext_lazy("export", "Orders"), url_name="order_export", command="kehu export orders"),
    Export("interactions", pgettext_lazy("export", "Interactions"), url_name="interaction_export"),
    Export("tasks", pgettext_lazy("export", "Tasks"), url_name="task_export"),
    Export("value_scores", _("Customer scores"), url_name="value_scores_export"),
    Export("value_churn", _("Churn warnings"), url_name="value_churn_export"),
    Export("value_groups", _("Customer value groups"), url_name="value_groups_export"),
    Export("value_migration", _("Segment migration"), url_name="value_migration_export"),
    Export("segment", pgettext_lazy("export", "Segment members"), url_name="segment_export"),
    Export("survey_results", _("Survey results"), url_name="survey_results_export"),
    Export("employee_results", _("Employee results by team"), url_name="survey_staff_export",
           command="kehu survey staff-results --export"),
    Export("survey_report", _("CSI report"), url_name="survey_report_pdf", command="kehu survey report --pdf",
           table=False),
    Export("sales_performance", _("Sales performance"), url_name="sales_performance_export"),
    Export("sales_receivables", _("Receivables ageing"), url_name="sales_receivables_export"),
    Export("coupons", _("Coupons issued"), url_name="coupon_export"),
    Export("coupon_definitions", _("Coupon kinds"), url_name="coupon_definition_export"),
    Export("members", pgettext_lazy("export", "Members"), url_name="member_export"),
    Export("case_report", _("Service analytics report"), url_name="case_analytics_pdf",
           command="kehu cases report --pdf", table=False),
    Export("winback_report", winback_labels.REPORT_EXPORT, url_name="winback_report_export"),
    Export("winback_losses", winback_labels.LOSSES_EXPORT, url_name="winback_losses_export"),
    Export("campaign_members", _("Campaign members"), url_name="campaign_members_export"),
    Export("outreach_messages", _("Messages to customers"), url_name="outreach_message_export",
           command="kehu outreach messages --export"),
    Export("partners", pgettext_lazy("export", "Partners"), url_name="partner_export"),
    Export("partner_ranking", _("Partner ranking"), url_name="partner_ranking_export"),
)}

#: Downloads that are not exports of customer data: a survey's own definition
#: (questions, as its designer wrote them) and the empty import templates.
# Downloads named "export" that are not tables of Kehu's data through the shared
# writer: a survey's definition file, the empty import templates, and one person's
# own data (a zip of HTML and JSON for that person, audited as privacy.export).
NOT_DATA_EXPORTS = {"survey_export", "import_template", "privacy_export"}


def export_label(key: str) -> str:
    export = EXPORTS.get(key)
    return str(export.label) if export else key
