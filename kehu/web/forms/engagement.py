"""Logging an interaction (联系纪要)."""

from __future__ import annotations

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from kehu.customers.models import Contact
from kehu.engagement.models import Channel, Interaction
from kehu.web.forms.customers import DateInput, DateTimeInput, ServiceModelForm


class InteractionForm(ServiceModelForm):
    custom_record_type = "interaction"

    class Meta:
        model = Interaction
        fields = ["channel", "direction", "occurred_at", "contact", "participants", "subject", "summary",
                  "next_step", "next_step_on"]
        widgets = {
            "occurred_at": DateTimeInput(),
            "next_step_on": DateInput(),
            "summary": forms.Textarea(attrs={"rows": 4}),
        }

    def __init__(self, *args, customer, contacts=None, **kwargs):
        super().__init__(*args, **kwargs)
        if contacts is not None:
            # Reuse the contacts already loaded for the page (no extra query).
            field = self.fields["contact"]
            field.queryset = Contact.objects.filter(customer=customer)
            field.choices = [("", field.empty_label)] + [(c.pk, c.name) for c in contacts]
        else:
            self.fields["contact"].queryset = Contact.objects.filter(customer=customer).order_by("name", "id")
        if self.instance.pk and self.instance.occurred_at:
            # The form shows minutes: compare and save against minutes too.
            self.initial["occurred_at"] = self.instance.occurred_at.replace(second=0, microsecond=0)
        if not self.is_bound:
            self.initial.setdefault("channel", "phone")
            self.initial.setdefault("occurred_at", timezone.localtime().replace(second=0, microsecond=0))


class InteractionFilterForm(forms.Form):
    channel = forms.ChoiceField(label=_("Channel"), required=False,
                                choices=[("", _("All channels"))] + list(Channel.choices))
    user = forms.TypedChoiceField(label=_("Logged by"), required=False, coerce=int, empty_value=None)
    date_from = forms.DateField(label=pgettext_lazy("date range", "From"), required=False, widget=DateInput())
    date_to = forms.DateField(label=pgettext_lazy("date range", "To"), required=False, widget=DateInput())

    def __init__(self, *args, users=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["user"].choices = [("", _("Everyone"))] + [(u.pk, str(u)) for u in users]
