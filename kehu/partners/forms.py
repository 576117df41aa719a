"""Forms of the partner pages."""

from __future__ import annotations

import datetime as dt

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from kehu.org.models import Partner, PartnerType
from kehu.partners.scorecard import Period
from kehu.partners.selectors import channel_managers

DATE = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
TERRITORY = ("regions", "provinces", "cities", "industries")


class PartnerChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj):
        return "\u2003" * (obj.level - 1) + f"{obj.code} {obj.name}"


class ManagerChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj):
        return str(obj)


def _list(text: str) -> list[str]:
    """"华北, 华东；山东" → ["华北", "华东", "山东"]: commas (either width), semicolons or new lines."""
    for sep in ("，", "；", ";", "\n"):
        text = text.replace(sep, ",")
    return [part.strip() for part in text.split(",") if part.strip()]


class PartnerFilterForm(forms.Form):
    q = forms.CharField(label=_("Search"), required=False, max_length=100)
    kind = forms.ChoiceField(label=_("Type"), required=False, choices=[("", _("Any type"))] + list(PartnerType.choices))
    level = forms.TypedChoiceField(label=_("Level"), required=False, coerce=int, empty_value=None,
                                   choices=[("", _("Any level")), ("1", "1"), ("2", "2"), ("3", "3")])
    manager = ManagerChoiceField(label=_("Channel manager"), required=False, queryset=channel_managers())
    active = forms.ChoiceField(label=pgettext_lazy("partner", "Active"), required=False, choices=[
        ("yes", pgettext_lazy("partner", "Active")), ("no", pgettext_lazy("partner", "Inactive")),
        ("", pgettext_lazy("partner", "All"))])


class PartnerForm(forms.Form):
    code = forms.CharField(label=_("Partner code"), max_length=40)
    name = forms.CharField(label=_("Name"), max_length=200)
    kind = forms.ChoiceField(label=_("Type"), choices=PartnerType.choices)
    parent = PartnerChoiceField(label=_("Parent partner"), required=False, queryset=Partner.objects.none(),
                                help_text=_("Empty: a partner of the company itself (level 1)."))
    manager = ManagerChoiceField(label=_("Channel manager"), required=False, queryset=channel_managers())
    regions = forms.CharField(label=_("Regions"), required=False, max_length=1000,
                              help_text=_("Separated by commas."))
    provinces = forms.CharField(label=_("Provinces"), required=False, max_length=1000)
    cities = forms.CharField(label=_("Cities"), required=False, max_length=1000)
    industries = forms.CharField(label=_("Industries"), required=False, max_length=1000)
    contract_start = forms.DateField(label=_("Contract start"), required=False, widget=DATE)
    contract_end = forms.DateField(label=_("Contract end"), required=False, widget=DATE)
    margin_pct = forms.DecimalField(label=_("Partner margin (%)"), min_value=0, max_value=100, max_digits=5,
                                    decimal_places=2, initial=0)
    terms = forms.CharField(label=_("Contract terms"), required=False, max_length=4000, widget=forms.Textarea)
    phone = forms.CharField(label=_("Phone"), required=False, max_length=30)
    email = forms.EmailField(label=_("E-mail"), required=False)
    address = forms.CharField(label=_("Address"), required=False, max_length=300)
    is_active = forms.BooleanField(label=pgettext_lazy("partner", "Active"), required=False, initial=True)

    def __init__(self, *args, partner: Partner | None = None, **kwargs):
        if partner is not None and "initial" not in kwargs:
            kwargs["initial"] = {f: getattr(partner, f) for f in (
                "code", "name", "kind", "manager", "contract_start", "contract_end", "margin_pct", "terms",
                "phone", "email", "address", "is_active")}
            kwargs["initial"]["parent"] = partner.parent_id
            for f in TERRITORY:
                kwargs["initial"][f] = ", ".join(getattr(partner, f) or [])
        super().__init__(*args, **kwargs)
        qs = Partner.objects.filter(level__lt=3).order_by("path")
        if partner is not None:
            qs = qs.exclude(path__startswith=partner.path)
        self.fields["parent"].queryset = qs

    def clean(self):
        data = super().clean()
        start, end = data.get("contract_start"), data.get("contract_end")
        if start and end and end < start:
            self.add_error("contract_end", _("The contract cannot end before it starts."))
        return data

    def service_data(self) -> dict:
        d = dict(self.cleaned_data)
        d.pop("parent", None)
        for f in TERRITORY:
            d[f] = _list(d.get(f) or "")
        return d


class TargetForm(forms.Form):
    period_start = forms.DateField(label=_("Period start"), widget=DATE)
    period_end = forms.DateField(label=_("Period end"), widget=DATE)
    revenue = forms.DecimalField(label=_("Revenue target"), min_value=0, max_digits=16, decimal_places=2)
    new_customers = forms.IntegerField(label=_("New customers target"), min_value=0, initial=0)

    def clean(self):
        data = super().clean()
        start, end = data.get("period_start"), data.get("period_end")
        if start and end and end < start:
            self.add_error("period_end", _("The period cannot end before it starts."))
        return data


class PartnerUserForm(forms.Form):
    username = forms.CharField(label=_("Username"), max_length=150)
    display_name = forms.CharField(label=_("Display name"), max_length=100, required=False)
    email = forms.EmailField(label=_("E-mail"), required=False,
                             help_text=_("A password reset link is sent here when no password is given."))
    password = forms.CharField(label=_("Password"), required=False, strip=False,
                               widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
                               help_text=_("Leave it empty and send a reset link instead: the person "
                                           "chooses their own password."))

    def clean(self):
        data = super().clean()
        if not data.get("password") and not data.get("email") and not self.errors:
            raise forms.ValidationError(_("Give a password, or an e-mail address for the reset link."))
        return data


class PeriodForm(forms.Form):
    """The period of a scorecard or ranking (the current quarter by default)."""

    start = forms.DateField(label=_("From"), required=False, widget=DATE)
    end = forms.DateField(label=_("To"), required=False, widget=DATE)
    sub = forms.BooleanField(label=_("Include sub-partners"), required=False)

    def period(self) -> Period:
        default = Period.quarter_of(timezone.localdate())
        if not self.is_bound or not self.is_valid():
            return default
        start = self.cleaned_data.get("start") or default.start
        end = self.cleaned_data.get("end") or default.end
        if end < start or (end - start) > dt.timedelta(days=3700):
            return default
        return Period(start, end)

    def include_sub(self) -> bool:
        return bool(self.is_bound and self.is_valid() and self.cleaned_data.get("sub"))


class OverviewForm(PeriodForm):
    mine = forms.ChoiceField(label=_("Partners"), required=False, choices=[
        ("mine", _("Mine (I am their channel manager)")), ("all", _("All I may read"))])
    kind = forms.ChoiceField(label=_("Type"), required=False, choices=[("", _("Any type"))] + list(PartnerType.choices))
