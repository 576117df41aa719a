"""Forms of the administrators' team and user pages."""

from __future__ import annotations

from django import forms
from django.conf import settings
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from kehu.org.models import Role, Team, User


class TeamChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj):
        return "\u2003" * obj.depth + obj.name


def team_field(label, required=True, queryset=None):
    return TeamChoiceField(label=label, required=required,
                           queryset=queryset if queryset is not None else Team.objects.order_by("path"))


class TeamForm(forms.Form):
    name = forms.CharField(label=_("Name"), max_length=100)

    def __init__(self, *args, team: Team | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        if team is None or not team.is_head_office:
            qs = Team.objects.order_by("path")
            if team is not None:  # not into its own subtree
                qs = qs.exclude(path__startswith=team.path)
            self.fields["parent"] = team_field(_("Parent team"), queryset=qs)
            if team is None:
                self.fields["parent"].required = Team.objects.exists()


class UserFilterForm(forms.Form):
    q = forms.CharField(label=_("Search"), required=False, max_length=100)
    team = team_field(_("Team"), required=False)
    role = forms.ChoiceField(label=_("Role"), required=False, choices=[("", _("Any role"))] + list(Role.choices))
    active = forms.ChoiceField(label=pgettext_lazy("user", "Active"), required=False, choices=[
        ("yes", pgettext_lazy("user", "Active")), ("no", pgettext_lazy("user", "Inactive")),
        ("", pgettext_lazy("user", "All"))])


class UserForm(forms.Form):
    username = forms.CharField(label=_("Username"), max_length=150)
    display_name = forms.CharField(label=_("Display name"), max_length=100, required=False)
    email = forms.EmailField(label=_("E-mail"), required=False)
    phone = forms.CharField(label=_("Phone"), max_length=30, required=False)
    role = forms.ChoiceField(label=_("Role"), choices=Role.choices)
    team = team_field(_("Team"), required=False)
    language = forms.ChoiceField(label=_("Language"), required=False,
                                 choices=[("", _("The browser's"))] + [(k, v) for k, v in settings.LANGUAGES])
    password = forms.CharField(label=_("Password"), required=False, strip=False,
                               widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
                               help_text=_("Leave it empty and send a reset link instead: the person "
                                           "chooses their own password."))

    def __init__(self, *args, user: User | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        if user is not None:
            del self.fields["username"]
            del self.fields["password"]


class DeactivateForm(forms.Form):
    reassign_to = forms.ModelChoiceField(label=_("Give their customers to"), required=False,
                                         queryset=User.objects.none())

    def __init__(self, *args, user: User, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["reassign_to"].queryset = User.objects.filter(is_active=True).exclude(pk=user.pk).order_by(
            "username")
