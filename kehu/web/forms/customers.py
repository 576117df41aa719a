"""Customer, contact, share and reassign forms."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from kehu.customers.models import Anniversary, Contact, Customer, CustomerType, LifecycleStage, Region
from kehu.org.models import Team, User

CLASSIFICATION_FIELDS = [
    "region", "province", "city", "city_tier", "source", "lifecycle_stage", "relationship_level",
]
ORGANIZATION_FIELDS = ["industry", "size", "annual_budget", "share_of_wallet", "strategic_importance"]
INDIVIDUAL_FIELDS = [
    "gender", "age_band", "occupation", "income_band", "education", "preferred_channel", "birthday", "id_number",
    "lifestyle", "personality",
]
BEHAVIOUR_FIELDS = ["usage_rate", "benefit_sought", "user_status", "loyalty_level", "attitude"]
CONSENT_FIELDS = ["consent_marketing", "consent_data_processing", "opt_out_email", "opt_out_sms"]
BASIC_FIELDS = ["kind", "name", "ref", "owner", "partner", "phone", "email", "website", "address"]
NOTE_FIELDS = ["preferences", "remarks"]

CUSTOMER_FORM_FIELDS = (
    BASIC_FIELDS + CLASSIFICATION_FIELDS + ORGANIZATION_FIELDS + INDIVIDUAL_FIELDS
    + BEHAVIOUR_FIELDS + NOTE_FIELDS + CONSENT_FIELDS
)


class DateInput(forms.DateInput):
    input_type = "date"

    def __init__(self, attrs=None):
        super().__init__(attrs=attrs, format="%Y-%m-%d")


class DateTimeInput(forms.DateTimeInput):
    input_type = "datetime-local"

    def __init__(self, attrs=None):
        super().__init__(attrs=attrs, format="%Y-%m-%dT%H:%M")


class ServiceModelForm(forms.ModelForm):
    """A ModelForm that only parses: the service builds, validates and saves
    the instance. (A plain ModelForm would write the input onto the instance
    before the service could take its "before" snapshot for the audit.)"""

    # The record type whose custom fields (kehu.customfields) the form shows, if any.
    custom_record_type: str | None = None

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.custom_defs = []
        if self.custom_record_type:
            from kehu.customfields.forms import attach

            attach(self, self.custom_record_type, self.instance if self.instance.pk else None)

    def _post_clean(self):
        pass

    def service_data(self, exclude=()) -> dict:
        data = {name: self.cleaned_data[name] for name in self._meta.fields
                if name in self.cleaned_data and name not in exclude}
        if self.custom_record_type and "custom" not in exclude:
            from kehu.customfields.forms import values

            data["custom"] = values(self)
        return data

    def changed_service_data(self, exclude=()) -> dict:
        """Only what the user changed, so that an edit's audit record says what
        was changed rather than what the form rounded (a time's seconds)."""
        from kehu.customfields.forms import changed

        return {name: value for name, value in self.service_data(exclude).items()
                if name in self.changed_data or (name == "custom" and changed(self))}

    def custom_fields(self):
        """The bound custom fields, in their order."""
        return [self["cf_" + d.key] for d in self.custom_defs]


class CustomerForm(ServiceModelForm):
    custom_record_type = "customer"
    tags = forms.CharField(
        label=_("Tags"), required=False, max_length=3000,
        help_text=_("Separate tags with commas."),
    )

    class Meta:
        model = Customer
        fields = CUSTOMER_FORM_FIELDS
        widgets = {
            "birthday": DateInput(),
            "preferences": forms.Textarea(attrs={"rows": 3}),
            "remarks": forms.Textarea(attrs={"rows": 3}),
        }

    sections = [
        ("basic", _("Customer"), BASIC_FIELDS + ["tags"]),
        ("classification", _("Classification"), CLASSIFICATION_FIELDS),
        ("organization", _("Organisation"), ORGANIZATION_FIELDS),
        ("individual", _("Individual"), INDIVIDUAL_FIELDS),
        ("behaviour", _("Behaviour"), BEHAVIOUR_FIELDS),
        ("notes", _("Preferences and remarks"), NOTE_FIELDS),
        ("consent", _("Consent"), CONSENT_FIELDS),
    ]

    def __init__(self, *args, policy, **kwargs):
        super().__init__(*args, **kwargs)
        users = policy.assignable_users()
        current_owner = self.instance.owner_id if self.instance.pk else None
        if current_owner:
            users = users | User.objects.filter(pk=current_owner)
        self.fields["owner"].queryset = users.distinct().order_by("display_name", "username")
        # New customers default to the acting user; an existing one always keeps an owner.
        self.fields["owner"].required = bool(self.instance.pk)
        if not self.instance.pk:
            self.fields["ref"].required = False
            self.fields["ref"].help_text = _("Leave empty for a new code.")
            self.fields["owner"].initial = policy.viewer.pk
            self.fields["owner"].empty_label = _("Me")
        else:
            self.fields["tags"].initial = ", ".join(t.name for t in self.instance.tags.all())
        self.fields["kind"].widget.attrs["data-kind-switch"] = "1"
        self._partner_field(policy)

    def _partner_field(self, policy) -> None:
        """The partner that serves the customer (伙伴): any active partner for the company's
        people; for a partner user their own partner or a sub-partner, and no owner to
        choose (the partner's channel manager owns what they register)."""
        from kehu.org.models import Partner

        field = self.fields["partner"]
        current = self.instance.partner_id if self.instance.pk else None
        if policy.is_partner:
            del self.fields["owner"]
            field.queryset = Partner.objects.filter(pk__in=policy.partner_ids).order_by("path")
            field.required = True
            field.empty_label = None
            if not self.instance.pk:
                field.initial = policy.viewer.partner_id
            return
        partners = Partner.objects.filter(is_active=True)
        if current:
            partners = partners | Partner.objects.filter(pk=current)
        field.queryset = partners.distinct().order_by("path")
        field.help_text = _("The partner (agent, distributor…) that serves this customer, if any.")

    def tag_list(self) -> list[str]:
        raw = self.cleaned_data.get("tags", "")
        return [t.strip() for t in raw.replace("，", ",").split(",") if t.strip()]

    def grouped(self):
        """``[(key, title, [bound fields])]`` for the template."""
        out = [(key, title, [self[name] for name in names if name in self.fields])
               for key, title, names in self.sections]
        if self.custom_defs:
            out.insert(1, ("custom", _("Custom fields"), self.custom_fields()))
        return out


class CreateCustomerForm(CustomerForm):
    create_anyway = forms.BooleanField(
        label=_("These are different customers: create anyway"), required=False,
    )


class ContactForm(ServiceModelForm):
    class Meta:
        model = Contact
        fields = ["name", "title", "department", "decision_role", "reports_to", "phone", "email", "birthday", "remarks"]
        widgets = {"birthday": DateInput(), "remarks": forms.Textarea(attrs={"rows": 3})}

    def __init__(self, *args, customer, **kwargs):
        super().__init__(*args, **kwargs)
        qs = Contact.objects.filter(customer=customer).order_by("name", "id")
        if self.instance.pk:
            qs = qs.exclude(pk=self.instance.pk)
        self.fields["reports_to"].queryset = qs


# The occasion is free text; these are offered as it is typed (a <datalist>).
ANNIVERSARY_SUGGESTIONS = [
    pgettext_lazy("anniversary", "Company founding day"), pgettext_lazy("anniversary", "Wedding anniversary"),
    pgettext_lazy("anniversary", "First order"), pgettext_lazy("anniversary", "Contract signed"),
    pgettext_lazy("anniversary", "Became a key account"),
]


class AnniversaryForm(ServiceModelForm):
    """A date to remember (纪念日); the occasion is free text, with common ones suggested."""

    class Meta:
        model = Anniversary
        fields = ["label", "date"]
        widgets = {"label": forms.TextInput(attrs={"list": "anniversary-suggestions", "autocomplete": "off"}),
                   "date": DateInput()}
        help_texts = {"label": _("For example company founding day, wedding anniversary, first order.")}

    suggestions = ANNIVERSARY_SUGGESTIONS


class ShareForm(forms.Form):
    user = forms.ModelChoiceField(label=_("User"), queryset=User.objects.none(), required=False)
    team = forms.ModelChoiceField(label=_("Team"), queryset=Team.objects.none(), required=False)
    can_edit = forms.BooleanField(label=_("May edit"), required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["user"].queryset = User.objects.filter(is_active=True).order_by("display_name", "username")
        self.fields["team"].queryset = Team.objects.order_by("path")

    def clean(self):
        data = super().clean()
        if bool(data.get("user")) == bool(data.get("team")):
            raise forms.ValidationError(_("Choose either a user or a team."))
        return data


class ReassignForm(forms.Form):
    from_owner = forms.ModelChoiceField(label=_("From owner"), queryset=User.objects.none())
    to_owner = forms.ModelChoiceField(label=_("To owner"), queryset=User.objects.none())
    customer_ids = forms.CharField(
        label=_("Only these customers"), required=False, widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_("Optional: customer ids or codes separated by commas or spaces. Empty moves all of the owner's customers."),
    )

    def __init__(self, *args, policy, **kwargs):
        super().__init__(*args, **kwargs)
        users = policy.assignable_users().order_by("display_name", "username")
        self.fields["from_owner"].queryset = User.objects.filter(pk__in=policy.assignable_users().values("pk")).order_by("display_name", "username")
        self.fields["to_owner"].queryset = users

    def clean(self):
        data = super().clean()
        if data.get("from_owner") and data.get("from_owner") == data.get("to_owner"):
            raise forms.ValidationError(_("Choose two different owners."))
        return data

    def selected(self) -> tuple[list[int], list[str]] | None:
        """Ids and codes typed in, or None for "all of them"."""
        raw = (self.cleaned_data.get("customer_ids") or "").replace("，", ",").replace(",", " ").split()
        if not raw:
            return None
        ids = [int(t) for t in raw if t.isdigit()]
        refs = [t for t in raw if not t.isdigit()]
        return ids, refs


# Choices for the list filters
KIND_CHOICES = [("", _("All types"))] + list(CustomerType.choices)
STAGE_CHOICES = [("", _("All stages"))] + list(LifecycleStage.choices)
REGION_CHOICES = [("", _("All regions"))] + list(Region.choices)
