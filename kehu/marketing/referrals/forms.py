from django import forms
from django.utils.translation import gettext_lazy as _

from kehu.marketing.coupons.models import CouponDefinition
from kehu.marketing.outreach.models import MessageTemplate

from .models import ReferralRule, ReferralStatus


class RuleForm(forms.ModelForm):
    class Meta:
        model = ReferralRule
        fields = ["active", "reward_kind", "points", "coupon_definition", "notice_template"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["coupon_definition"].queryset = CouponDefinition.objects.filter(active=True).order_by("ref")
        self.fields["notice_template"].queryset = MessageTemplate.objects.order_by("code")
        self.fields["notice_template"].empty_label = _("No notice")


class ReferralForm(forms.Form):
    referrer = forms.IntegerField(label=_("Referred by (customer number)"), min_value=1,
                                  help_text=_("The internal number of the customer who made the referral: the "
                                              "number in the address of their customer page."))
    referred = forms.IntegerField(label=_("Referred customer (customer number)"), min_value=1,
                                  help_text=_("An existing customer, referred once only."))
    note = forms.CharField(label=_("Note"), max_length=300, required=False)


class FilterForm(forms.Form):
    status = forms.ChoiceField(label=_("Status"), required=False,
                               choices=[("", _("Every status"))] + list(ReferralStatus.choices))
    q = forms.CharField(label=_("Customer"), required=False, max_length=100)


def _public_base():
    from kehu.service.forms import PublicCaseForm

    return PublicCaseForm


class PublicReferralForm(_public_base()):
    """What the friend sends: the public service form's name, phone, e-mail and honeypot (``website``)
    with their checks, and the consents."""

    kind = reference = description = attachment = None
    consent = forms.BooleanField(
        label=_("I agree that the company stores my details and contacts me about my enquiry."),
        error_messages={"required": _("Without your agreement we cannot store your details.")})
    consent_marketing = forms.BooleanField(label=_("I would also like to receive offers."), required=False)
    field_order = ["name", "phone", "email", "consent", "consent_marketing", "website"]
