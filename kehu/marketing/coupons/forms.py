from django import forms
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from kehu.marketing.coupons.models import (
    CODE_MAX, NAME_MAX, CodeMode, CouponDefinition, CouponKind, CouponSource, CouponStatus,
)
from kehu.sales.models import ProductLine
from kehu.validators import REMARKS_MAX

DATE = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


class DefinitionForm(forms.Form):
    ref = forms.CharField(label=_("batch code"), max_length=40,
                          help_text=_("A short code for this coupon batch, e.g. 2026-SPRING-50."))
    name_zh = forms.CharField(label=_("name (Chinese)"), max_length=NAME_MAX, required=False)
    name_en = forms.CharField(label=_("name (English)"), max_length=NAME_MAX, required=False)
    kind = forms.ChoiceField(label=_("kind"), choices=CouponKind.choices)
    value = forms.DecimalField(label=_("value"), max_digits=12, decimal_places=2, min_value=0,
                               help_text=_("Yuan off for an amount coupon; per cent off for a percentage coupon "
                                           "(10: 10 per cent off)."))
    min_spend = forms.DecimalField(label=_("minimum spend"), max_digits=16, decimal_places=2, min_value=0,
                                   initial=0, required=False)
    product_lines = forms.ModelMultipleChoiceField(label=_("product lines"), queryset=ProductLine.objects.all(),
                                                   required=False,
                                                   help_text=_("Only these lines count; none: the whole order."))
    valid_from = forms.DateField(label=_("valid from"), required=False, widget=DATE)
    valid_until = forms.DateField(label=_("valid until"), required=False, widget=DATE)
    valid_days = forms.IntegerField(label=_("valid for (days)"), required=False, min_value=1, max_value=3650,
                                    help_text=_("Each coupon is valid this many days from its issue (instead of a "
                                                "fixed end date)."))
    per_customer_limit = forms.IntegerField(label=_("per customer"), min_value=1, max_value=1000, initial=1)
    total_quantity = forms.IntegerField(label=_("quantity limit"), required=False, min_value=1,
                                        help_text=_("At most this many coupons are issued in all; empty: no limit."))
    points_price = forms.IntegerField(label=_("points price"), required=False, min_value=1, max_value=2_000_000_000,
                                      help_text=_("A member may exchange this many points for one coupon of this "
                                                  "kind; empty: not for points."))
    code_mode = forms.ChoiceField(label=_("codes"), choices=CodeMode.choices)
    shared_code = forms.CharField(label=_("shared code"), max_length=CODE_MAX, required=False,
                                  help_text=_("Only for one shared code, e.g. SPRING2026."))
    active = forms.BooleanField(label=_("issuing"), required=False, initial=True)

    def service_data(self):
        d = dict(self.cleaned_data)
        lines = d.pop("product_lines", [])
        if d.get("min_spend") is None:
            d["min_spend"] = 0
        return d, list(lines)


class DefinitionFilterForm(forms.Form):
    q = forms.CharField(label=_("Search"), required=False, max_length=100)
    kind = forms.ChoiceField(label=_("kind"), required=False, choices=[("", _("Any kind"))] + list(CouponKind.choices))
    active = forms.ChoiceField(label=_("issuing"), required=False,
                               choices=[("", _("All")), ("yes", _("Issuing")), ("no", _("Stopped"))])


class CouponFilterForm(forms.Form):
    q = forms.CharField(label=pgettext_lazy("coupon", "Code"), required=False, max_length=40)
    status = forms.ChoiceField(label=_("status"), required=False,
                               choices=[("", _("Any status"))] + list(CouponStatus.choices))
    definition = forms.TypedChoiceField(label=_("coupon kind"), required=False, coerce=int, empty_value=None)
    source = forms.ChoiceField(label=_("source"), required=False,
                               choices=[("", _("Any source"))] + list(CouponSource.choices))
    customer = forms.IntegerField(label="", required=False, min_value=1, widget=forms.HiddenInput)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["definition"].choices = [("", _("Any kind"))] + [
            (d.pk, f"{d.ref} · {d}") for d in CouponDefinition.objects.order_by("-id")[:500]]


class IssueForm(forms.Form):
    target = forms.ChoiceField(label=_("issue to"), choices=[("customer", _("One customer")),
                                                             ("segment", _("A saved segment"))],
                               widget=forms.RadioSelect, initial="customer")
    customer = forms.CharField(label=_("customer code"), required=False, max_length=40,
                               help_text=_("The customer's code, e.g. C00000123."))
    segment = forms.TypedChoiceField(label=_("segment"), required=False, coerce=int, empty_value=None)
    notify = forms.BooleanField(label=_("tell the customers by e-mail"), required=False,
                                help_text=_("Through the sending gate: only customers who agreed to marketing "
                                            "e-mail receive it; the others are logged as held back."))

    def __init__(self, *args, segments=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["segment"].choices = [("", "—")] + [(s.pk, s.name) for s in segments]

    def clean(self):
        d = super().clean()
        if d.get("target") == "customer" and not (d.get("customer") or "").strip():
            self.add_error("customer", _("Enter the customer's code."))
        if d.get("target") == "segment" and not d.get("segment"):
            self.add_error("segment", _("Choose a segment."))
        return d


class RedeemForm(forms.Form):
    code = forms.CharField(label=_("coupon code"), max_length=40)


class VoidForm(forms.Form):
    reason = forms.CharField(label=_("why"), required=False, max_length=REMARKS_MAX,
                             widget=forms.Textarea(attrs={"rows": 2}))


class SetForm(forms.Form):
    name_zh = forms.CharField(label=_("name (Chinese)"), max_length=NAME_MAX, required=False)
    name_en = forms.CharField(label=_("name (English)"), max_length=NAME_MAX, required=False)
    members = forms.ModelMultipleChoiceField(label=_("coupon kinds to collect"),
                                             queryset=CouponDefinition.objects.filter(collect_set__isnull=True))
    reward = forms.ModelChoiceField(label=_("reward"), queryset=CouponDefinition.objects.all(),
                                    help_text=_("Issued once to whoever holds a coupon of every kind in the set."))

