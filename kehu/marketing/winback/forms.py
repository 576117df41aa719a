"""The forms of the win-back pages: the filters, marking a customer lost, marking it won back."""

from __future__ import annotations

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from kehu.marketing.winback.models import REASON_OTHER_MAX, LossReason
from kehu.validators import REMARKS_MAX

DATE = forms.DateInput(attrs={"type": "date"})


class FilterForm(forms.Form):
    date_from = forms.DateField(label=_("Lost from"), required=False, widget=DATE)
    date_to = forms.DateField(label=_("to"), required=False, widget=DATE)
    reason = forms.ChoiceField(label=_("Reason"), required=False)
    owner = forms.TypedChoiceField(label=_("Owner when lost"), required=False, coerce=int, empty_value=None)
    status = forms.ChoiceField(label=_("Won back"), required=False, choices=[
        ("", _("All")), ("open", _("Not won back")), ("won_back", _("Won back"))])
    q = forms.CharField(label=_("Customer"), required=False, max_length=100)

    def __init__(self, *args, owners=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["reason"].choices = [("", _("All reasons")), *LossReason.choices]
        self.fields["owner"].choices = [("", _("Everyone")), *[(u.pk, str(u)) for u in owners]]

    def values(self) -> dict:
        data = self.cleaned_data if self.is_bound and self.is_valid() else {}
        return {"date_from": data.get("date_from"), "date_to": data.get("date_to"), "reason": data.get("reason") or "",
                "owner_id": data.get("owner"), "status": data.get("status") or "", "q": data.get("q") or ""}


class ReportFilterForm(FilterForm):
    period = forms.ChoiceField(label=_("By"), required=False, choices=[("month", _("Month")),
                                                                       ("quarter", _("Quarter"))])

    def values(self) -> dict:
        out = super().values()
        data = self.cleaned_data if self.is_bound and self.is_valid() else {}
        out["period"] = data.get("period") or "month"
        return out


class MarkLostForm(forms.Form):
    reason = forms.ChoiceField(label=_("Why was the customer lost?"), choices=LossReason.choices,
                               widget=forms.RadioSelect)
    reason_other = forms.CharField(label=_("Other reason, in words"), required=False, max_length=REASON_OTHER_MAX)
    lost_on = forms.DateField(label=_("Date lost"), widget=DATE)
    note = forms.CharField(label=_("Note"), required=False, max_length=REMARKS_MAX,
                           widget=forms.Textarea(attrs={"rows": 3}))

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("initial", {}).setdefault("lost_on", timezone.localdate())
        super().__init__(*args, **kwargs)

    def clean(self):
        data = super().clean()
        if data.get("reason") == LossReason.OTHER and not (data.get("reason_other") or "").strip():
            self.add_error("reason_other", _("Say in words why the customer left."))
        lost_on = data.get("lost_on")
        if lost_on and lost_on > timezone.localdate():
            self.add_error("lost_on", _("This date is in the future."))
        return data


class WonBackForm(forms.Form):
    won_back_on = forms.DateField(label=_("Won back on"), widget=DATE)
    note = forms.CharField(label=_("How was the customer won back?"), required=False, max_length=REMARKS_MAX,
                           widget=forms.Textarea(attrs={"rows": 3}))

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("initial", {}).setdefault("won_back_on", timezone.localdate())
        super().__init__(*args, **kwargs)
