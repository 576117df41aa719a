"""Navigation for every page: the sections a user may open."""

from django.apps import apps
from django.urls import NoReverseMatch, reverse
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from kehu.marketing.winback import labels as winback_labels
from kehu.org.models import Role
from kehu.org.policies import policy_for

MANAGER_ROLES = {Role.SALES_MANAGER, Role.ANALYST, Role.ADMIN}


def _app_label(label: str):
    try:
        return apps.get_app_config(label).verbose_name
    except LookupError:
        return None


class ViewAccess:
    """``may_open.<URL name>`` in a template: whether the viewer may reach that page. Partner
    users reach only the partner portal (:meth:`kehu.org.policies.CustomerPolicy.may_use_view`;
    everyone else every page, each still asking the policy about its records), so a page
    shows them no link, form or fragment that would answer 404."""

    def __init__(self, policy):
        self._policy = policy

    def __getitem__(self, view_name: str) -> bool:
        return self._policy.may_use_view(view_name)


def navigation(request):
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {"nav_items": [], "may_open": ViewAccess(policy_for(None)), "may_see_cost": False}
    items = [
        ("home", _("Dashboard"), "home"),
        ("customers", _("Customers"), "customer_list"),
        ("interactions", _("Interactions"), "interaction_list"),
        ("orders", _("Orders"), "order_list"),
        ("products", _("Products"), "product_list"),
        ("tasks", _("Tasks"), "task_list"),
        ("opportunities", _("Opportunities"), "opportunity_list"),
        ("pool", _("Lead pool"), "pool_list"),
        ("forecast", _("Forecast"), "forecast"),
        ("quotes", _("Quotes"), "quote_list"),
        ("visits", _("Visits"), "visit_week"),
        ("performance", pgettext_lazy("sales", "Performance"), "sales_performance"),
        ("key_accounts", _("Key accounts"), "key_account_list"),
        ("cases", _app_label("service"), "case_queue"),
        ("surveys", _("Surveys"), "survey_list"),
        ("kb", _app_label("kb"), "kb_list"),
        ("coupons", _app_label("coupons"), "coupon_definition_list"),
        ("members", _app_label("membership"), "member_list"),
        ("outreach", _("Messages"), "outreach_messages"),
        ("care", _app_label("care"), "care_calendar"),
        ("targeting", _app_label("targeting"), "targeting"),
        ("referrals", _app_label("referrals"), "referral_list"),
        ("campaigns", _app_label("campaigns"), "campaign_list"),
        # an app's section is labelled with the app's own (translated) name
        ("value", _app_label("insights"), "value_overview"),
        ("winback", winback_labels.MENU, "winback_report"),
        ("import", _("Import"), "import_start"),
    ]
    policy = policy_for(user)
    if not policy.may_target_retention:
        items = [item for item in items if item[0] != "targeting"]
    if not policy.can_create:
        # read-only roles (analysts, marketing) may not import
        items = [item for item in items if item[0] != "import"]
    if policy.is_admin or policy.role in MANAGER_ROLES:
        # service analytics in the menu for managers (any user may open it from the case queue, scoped)
        items.insert(next(i for i, item in enumerate(items) if item[0] == "cases") + 1,
                     ("case_analytics", _("Service analytics"), "case_analytics"))
    if policy.may_read_associations:
        items.insert(next(i for i, item in enumerate(items) if item[0] == "visits") + 1,
                     ("associations", _("Bought together"), "association_list"))
    if policy.may_read_partners:  # the partners of the channel (kehu/partners)
        at = next(i for i, item in enumerate(items) if item[0] == "key_accounts") + 1
        items[at:at] = [("partners", _("Partners"), "partner_list"),
                        ("partner_overview", _("Channel overview"), "partner_overview")]
    if policy.is_admin:
        items.append(("security", _("Sign-ins"), "security"))
    if policy.may_read_audit_log:
        items.append(("audit", _("Audit log"), "audit_log"))
    if policy.is_admin:
        items.append(("users", _("Users and teams"), "user_list"))
        items.append(("backups", _("Backups"), "backup_list"))
        items.append(("custom_fields", _("Custom fields"), "custom_field_list"))
        items.append(("settings", _("Settings"), "settings_index"))
    # partner users: only the partner portal's sections (kehu/org/policies.py PARTNER_VIEWS)
    items = [item for item in items if policy.may_use_view(item[2])]
    nav = []
    for key, label, name in items:
        if label is None:
            continue
        try:
            nav.append({"key": key, "label": label, "url": reverse(name)})
        except NoReverseMatch:
            continue
    from kehu.web.search import quick_create_items

    # the company's cost, gross margin and margin rate (partner users never: policy.may_see_cost)
    return {"nav_items": nav, "quick_create": quick_create_items(user), "may_open": ViewAccess(policy),
            "may_see_cost": policy.may_see_cost}
