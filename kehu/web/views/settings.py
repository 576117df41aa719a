"""The administrators' settings index (/settings/): one page linking every
settings page of the installed apps (a page whose URL is missing is left out)."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.shortcuts import render
from django.urls import NoReverseMatch, reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from kehu.org.policies import policy_for

# (URL name, title, what it is for)
SETTINGS_PAGES = [
    ("user_list", gettext_lazy("Users"),
     gettext_lazy("Create users, set their role, team and language, deactivate them, send a password reset link.")),
    ("team_list", gettext_lazy("Teams"), gettext_lazy("The team tree: create, rename and move teams.")),
    ("sla_policy_list", gettext_lazy("Service-level policies"),
     gettext_lazy("Promised first-response and resolution times of cases by kind, severity and value tier.")),
    ("kb_category_list", gettext_lazy("Knowledge-base categories"),
     gettext_lazy("The categories of the knowledge base and the FAQ, and the case category each answers.")),
    ("pipeline_settings", gettext_lazy("Pipelines and reasons for losing"),
     gettext_lazy("The sales pipelines, their stages and default probabilities, and the reasons for losing.")),
    ("custom_field_list", gettext_lazy("Custom fields"),
     gettext_lazy("Extra fields for customers, orders and interactions.")),
    ("backup_list", gettext_lazy("Backups"), gettext_lazy("Back up and restore the database and files.")),
    ("security", gettext_lazy("Sign-ins"), gettext_lazy("Sign-in attempts, lockouts and two-step sign-in.")),
    ("pool_settings", gettext_lazy("Lead pool"),
     gettext_lazy("How many leads a salesperson may hold, and when unworked customers go back to the pool.")),
]


@login_required
def settings_index(request):
    if not policy_for(request.user).is_admin:
        raise PermissionDenied
    pages = []
    for name, title, text in SETTINGS_PAGES:
        try:
            pages.append({"url": reverse(name), "title": title, "text": text, "name": name})
        except NoReverseMatch:
            continue
    return render(request, "web/settings.html", {"nav_active": "settings", "title": _("Settings"), "pages": pages})
