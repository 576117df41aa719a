from django import forms
from django.utils.translation import gettext_lazy as _

from kehu.marketing.outreach.models import MessageTemplate
from kehu.org.models import User

from .models import CareRule, MomentStatus


DATE = forms.DateInput(attrs={"type": "date"})


class MomentFilterForm(forms.Form):
    who = forms.ChoiceField(label=_("Whose"), required=False, choices=[
        ("mine", _("Mine")), ("all", _("All I can see"))])
    owner = forms.ModelChoiceField(label=_("Acted on by"), required=False, queryset=User.objects.none(),
                                   empty_label="—")
    rule = forms.ModelChoiceField(label=_("Care rule"), required=False, queryset=CareRule.objects.none(),
                                  empty_label=_("All rules"))
    status = forms.ChoiceField(label=_("Status"), required=False)
    due_from = forms.DateField(label=_("Due from"), required=False, widget=DATE)
    due_to = forms.DateField(label=_("Due until"), required=False, widget=DATE)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["owner"].queryset = User.objects.filter(is_active=True).order_by("username")
        self.fields["rule"].queryset = CareRule.objects.order_by("name_zh", "id")
        self.fields["status"].choices = [("", _("Any status"))] + list(MomentStatus.choices)


class RuleForm(forms.ModelForm):
    class Meta:
        model = CareRule
        fields = ["name_zh", "name_en", "kind", "holiday", "channel", "template", "lead_days", "days_after",
                  "day_of_month", "owner", "segment", "active"]
        help_texts = {
            "days_after": _("Only for thanks after a purchase."),
            "day_of_month": _("Only for the monthly card; a shorter month uses its last day."),
            "holiday": _("Only for a lunar holiday."),
            "template": _("Required for a message channel; none for a reminder task."),
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["template"].queryset = MessageTemplate.objects.order_by("code")
        self.fields["owner"].queryset = User.objects.filter(is_active=True).order_by("username")
        self.fields["owner"].empty_label = _("The customer's owner")
        self.fields["segment"].empty_label = _("Every customer")
