from django import forms
from django.utils.translation import gettext_lazy as _

from kehu.marketing.outreach.models import MessageTemplate
from kehu.org.models import User

from .models import CareRule


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
