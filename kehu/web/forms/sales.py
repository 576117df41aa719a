"""Orders, payments and products."""

from __future__ import annotations

from decimal import Decimal

from django import forms
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from kehu.sales.models import Order, Product, ProductLine
from kehu.web.forms.customers import DateInput, ServiceModelForm


class OrderForm(ServiceModelForm):
    custom_record_type = "order"

    class Meta:
        model = Order
        fields = ["order_date", "ref", "status", "payment_due_on", "partner", "partner_margin_pct", "remarks"]
        widgets = {"order_date": DateInput(), "payment_due_on": DateInput(),
                   "remarks": forms.Textarea(attrs={"rows": 2})}

    def __init__(self, *args, policy=None, customer=None, **kwargs):
        super().__init__(*args, **kwargs)
        if self.instance.pk is None:
            self.fields["ref"].required = False
            self.fields["ref"].help_text = _("Leave empty for a new number.")
        if not self.is_bound:
            self.initial.setdefault("order_date", timezone.localdate())
        if policy is None or policy.is_partner:
            # a partner user's order is their partner's, at its margin (kehu.sales.services)
            del self.fields["partner"], self.fields["partner_margin_pct"]
            return
        self.fields["partner"].queryset = policy.partner_choices()
        self.fields["partner"].help_text = _("Sold through this partner; its margin applies when none is given.")
        self.fields["partner_margin_pct"].help_text = _("Empty: the partner's margin.")
        if self.instance.pk is None and customer is not None and not self.is_bound:
            self.initial.setdefault("partner", customer.partner_id)


class OrderLineForm(forms.Form):
    product = forms.ModelChoiceField(label=_("Product"), queryset=Product.objects.none(), required=False)
    description = forms.CharField(label=_("Description"), max_length=200, required=False)
    serial_number = forms.CharField(label=_("Serial number"), max_length=100, required=False,
                                    help_text=_("Serial number of the item, or the heat number (炉号) of steel."))
    quantity = forms.DecimalField(label=_("Quantity"), max_digits=14, decimal_places=3, min_value=Decimal("0.001"),
                                  initial=Decimal("1"))
    unit_price = forms.DecimalField(label=_("Unit price"), max_digits=16, decimal_places=2, min_value=0,
                                    required=False, help_text=_("Empty: the product's list price."))
    unit_cost = forms.DecimalField(label=_("Unit cost"), max_digits=16, decimal_places=2, min_value=0,
                                   required=False, help_text=_("Empty: the product's cost."))

    def __init__(self, *args, products=None, kept_product_ids=(), show_cost=True, **kwargs):
        super().__init__(*args, **kwargs)
        if not show_cost:   # the company's cost is not the viewer's (policy.may_see_cost): the product's
            del self.fields["unit_cost"]
        field = self.fields["product"]
        # Inactive products are not offered, but an order being changed keeps
        # the ones it already has.
        field.queryset = Product.objects.filter(Q(active=True) | Q(pk__in=list(kept_product_ids)))
        if products is not None:
            field.choices = [("", field.empty_label)] + [(p.pk, f"{p.ref} · {p.name}") for p in products]

    def clean(self):
        data = super().clean()
        if not data.get("product") and data.get("unit_price") is None and not self.errors:
            raise forms.ValidationError(_("Choose a product or give a unit price."))
        return data


class BaseLineFormSet(forms.BaseFormSet):
    """The lines of an order. A new row counts when it is filled in; a row of
    an order being changed counts unless its Remove box is ticked."""

    def add_fields(self, form, index):
        super().add_fields(form, index)
        if "DELETE" in form.fields:
            form.fields["DELETE"].label = _("Remove")
            form.fields["DELETE"].widget.attrs["aria-label"] = _("Remove")

    def _counts(self, i, form) -> bool:
        if self.can_delete and self._should_delete_form(form):
            return False
        return i < self.initial_form_count() or form.has_changed()

    def clean(self):
        super().clean()
        if any(self.errors):
            return
        if not any(self._counts(i, f) for i, f in enumerate(self.forms)):
            raise forms.ValidationError(_("An order needs at least one line."))

    def lines(self, kept=()) -> list[dict]:
        """The lines for the order services. ``kept``: the order's current
        lines, one per initial row; a row left as it was keeps its amount and
        cost to the cent (its unit cost on the form is rounded)."""
        out = []
        for i, f in enumerate(self.forms):
            if not self._counts(i, f) or not f.cleaned_data:
                continue
            d = f.cleaned_data
            line = {"product": d.get("product"), "description": d.get("description") or "",
                    "serial_number": (d.get("serial_number") or "").strip(), "quantity": d["quantity"]}
            if d.get("unit_price") is not None:
                line["unit_price"] = d["unit_price"]
            if i < len(kept) and not f.has_changed():
                line.update(amount=kept[i].amount, cost=kept[i].cost)
            elif d.get("unit_cost") is not None:
                line["unit_cost"] = d["unit_cost"]
            out.append(line)
        return out


def line_initial(lines) -> list[dict]:
    """Form rows for an order's current lines."""
    return [{"product": ln.product_id, "description": ln.description, "serial_number": ln.serial_number,
             "quantity": ln.quantity,
             "unit_price": ln.unit_price,
             "unit_cost": (ln.cost / ln.quantity).quantize(Decimal("0.01")) if ln.quantity else ln.cost}
            for ln in lines]


OrderLineFormSet = forms.formset_factory(OrderLineForm, formset=BaseLineFormSet, extra=4, max_num=200,
                                         validate_max=True)
# Changing an order: its lines (as many as the API allows) with a Remove box, and two empty rows.
OrderLineEditFormSet = forms.formset_factory(OrderLineForm, formset=BaseLineFormSet, extra=2, max_num=1000,
                                             validate_max=True, can_delete=True)


class PaymentForm(forms.Form):
    amount = forms.DecimalField(label=_("Amount"), max_digits=16, decimal_places=2, min_value=Decimal("0.01"))
    received_on = forms.DateField(label=_("Received on"), widget=DateInput())
    method = forms.CharField(label=_("Method"), max_length=30, required=False,
                             help_text=_("For example bank transfer, cash, WeChat Pay."))
    reference = forms.CharField(label=_("Reference"), max_length=60, required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if not self.is_bound:
            self.initial.setdefault("received_on", timezone.localdate())


class ProductForm(ServiceModelForm):
    class Meta:
        model = Product
        fields = ["ref", "name", "line", "unit", "unit_price", "unit_cost", "active", "warranty_months",
                  "return_days", "exchange_days"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["line"].queryset = ProductLine.objects.order_by("name")
        for name in ("warranty_months", "return_days", "exchange_days"):
            # a product's own 三包 term overrides its line's (kehu/analytics/warranty.py)
            self.fields[name].help_text = _("Empty: the product line's term. 0: none.")


class ProductLineForm(ServiceModelForm):
    class Meta:
        model = ProductLine
        fields = ["code", "name"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.instance.pk:
            # Renaming only: the code is how imports and other systems name the line.
            self.fields["code"].disabled = True
            self.fields["code"].help_text = _("The code cannot be changed.")
        else:
            self.fields["code"].help_text = _("A short unique code, for example PLATE.")


class OrderFilterForm(forms.Form):
    q = forms.CharField(label=_("Order number"), required=False, max_length=60)
    date_from = forms.DateField(label=pgettext_lazy("date range", "From"), required=False, widget=DateInput())
    date_to = forms.DateField(label=pgettext_lazy("date range", "To"), required=False, widget=DateInput())
