"""Forms of the case pages: registering and editing a case, the queue's filters,
moves, validity, steps, comments and assignment. They only read input; the
services decide (their field errors are shown on the form)."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from kehu.org.models import Partner
from kehu.service.models import (
    CaseChannel, CaseKind, CaseStatus, CauseCategory, CompensationKind, CustomerWant, RepairResult,
    ReturnVisitChannel, ReturnVisitMode,
)
from kehu.validators import REMARKS_MAX, SUMMARY_MAX
from kehu.web.widgets import FastSelect


class CaseForm(forms.Form):
    kind = forms.ChoiceField(label=_("Kind"), choices=CaseKind.choices, initial=CaseKind.COMPLAINT)
    channel = forms.ChoiceField(label=_("Channel"), choices=CaseChannel.choices, initial=CaseChannel.HOTLINE)
    severity = forms.TypedChoiceField(label=_("Severity"), coerce=int, initial=3, choices=[
        (1, _("1 — critical")), (2, _("2 — high")), (3, _("3 — normal")), (4, _("4 — low"))])
    subject = forms.CharField(label=_("Subject"), max_length=200)
    description = forms.CharField(label=_("Description"), required=False, max_length=SUMMARY_MAX,
                                  widget=forms.Textarea(attrs={"rows": 4}))
    caller_name = forms.CharField(label=_("Caller's name"), max_length=100, required=False,
                                  help_text=_("For a caller not yet matched to a customer."))
    caller_phone = forms.CharField(label=_("Caller's phone"), max_length=30, required=False)
    caller_email = forms.EmailField(label=_("Caller's email"), max_length=254, required=False)
    category = forms.TypedChoiceField(label=_("Category"), coerce=int, required=False, empty_value=None,
                                      widget=FastSelect)
    wants = forms.ChoiceField(label=_("The customer asks for"), required=False,
                              choices=[("", "—")] + list(CustomerWant.choices))
    serial_number = forms.CharField(
        label=_("Serial number"), max_length=100, required=False,
        help_text=_("Serial or heat number (炉号): the order line it names fills in the customer, order and product."),
        widget=forms.TextInput(attrs={"hx-trigger": "input changed delay:400ms, change",
                                      "hx-target": "#serial-lookup", "hx-swap": "innerHTML",
                                      "data-testid": "case-serial"}))
    assignee = forms.TypedChoiceField(label=_("Assignee"), coerce=int, required=False, empty_value=None,
                                      widget=FastSelect)
    partner = forms.ModelChoiceField(label=_("Responsible partner"), queryset=Partner.objects.none(),
                                     required=False, help_text=_("Empty: the customer's partner, if any."))

    def __init__(self, *args, categories=(), users=(), partners=None, **kwargs):
        super().__init__(*args, **kwargs)
        if partners is None:
            del self.fields["partner"]
        else:
            self.fields["partner"].queryset = partners
        self._users = {u.pk: u for u in users}
        self._categories = {c.pk: c for c in categories}
        self.fields["category"].choices = [("", "—")] + [
            (c.pk, f"— {c.name}" if c.parent_id else c.name) for c in categories]
        self.fields["assignee"].choices = [("", _("Nobody yet (the queue)"))] + [(u.pk, str(u)) for u in users]

    def service_data(self) -> dict:
        d = dict(self.cleaned_data)
        d["category"] = self._categories.get(d.get("category"))
        d["assignee"] = self._users.get(d.get("assignee"))
        if d.get("partner") is None:
            d.pop("partner", None)   # routed by the service: the customer's partner
        return d


class CaseEditForm(forms.Form):
    """The details worked on while the case is handled."""

    version = forms.IntegerField(widget=forms.HiddenInput())
    severity = CaseForm.base_fields["severity"]
    subject = forms.CharField(label=_("Subject"), max_length=200)
    description = forms.CharField(label=_("Description"), required=False, max_length=SUMMARY_MAX,
                                  widget=forms.Textarea(attrs={"rows": 3}))
    category = forms.TypedChoiceField(label=_("Category"), coerce=int, required=False, empty_value=None,
                                      widget=FastSelect)
    wants = CaseForm.base_fields["wants"]
    cause_category = forms.ChoiceField(label=_("Cause category"), required=False, choices=CauseCategory.choices)
    root_cause = forms.CharField(label=_("Root cause"), required=False, max_length=REMARKS_MAX,
                                 widget=forms.Textarea(attrs={"rows": 2}))
    resolution = forms.CharField(label=_("Resolution"), required=False, max_length=REMARKS_MAX,
                                 widget=forms.Textarea(attrs={"rows": 3}))
    compensation_kind = forms.ChoiceField(label=_("Compensation"), required=False, choices=CompensationKind.choices)
    compensation_amount = forms.DecimalField(label=_("Compensation amount"), required=False, min_value=0,
                                             max_digits=12, decimal_places=2)
    compensation_approved_by = forms.TypedChoiceField(label=_("Compensation approved by"), coerce=int,
                                                      required=False, empty_value=None, widget=FastSelect)

    def __init__(self, *args, categories=(), approvers=(), **kwargs):
        super().__init__(*args, **kwargs)
        self._categories = {c.pk: c for c in categories}
        self._approvers = {u.pk: u for u in approvers}
        self.fields["category"].choices = [("", "—")] + [
            (c.pk, f"— {c.name}" if c.parent_id else c.name) for c in categories]
        self.fields["compensation_approved_by"].choices = [("", "—")] + [(u.pk, str(u)) for u in approvers]

    def service_data(self) -> tuple[dict, int]:
        d = dict(self.cleaned_data)
        version = d.pop("version")
        d["category"] = self._categories.get(d.get("category"))
        d["compensation_approved_by"] = self._approvers.get(d.get("compensation_approved_by"))
        return d, version


class TransitionForm(forms.Form):
    to = forms.ChoiceField(choices=CaseStatus.choices, widget=forms.HiddenInput())
    version = forms.IntegerField(widget=forms.HiddenInput())
    note = forms.CharField(label=_("Note"), required=False, max_length=REMARKS_MAX,
                           widget=forms.Textarea(attrs={"rows": 2}))


class JudgeForm(forms.Form):
    version = forms.IntegerField(widget=forms.HiddenInput())
    valid = forms.TypedChoiceField(label=_("This complaint is"), coerce=lambda v: v == "yes",
                                   choices=[("yes", _("Valid")), ("no", _("Invalid"))], widget=forms.RadioSelect)
    explanation = forms.CharField(label=_("Explanation given to the customer"), required=False,
                                  max_length=REMARKS_MAX, widget=forms.Textarea(attrs={"rows": 2}),
                                  help_text=_("Required when the complaint is invalid."))


class StepForm(forms.Form):
    version = forms.IntegerField(widget=forms.HiddenInput())
    done = forms.BooleanField(label=_("Done"), required=False)
    note = forms.CharField(label=_("Note"), required=False, max_length=REMARKS_MAX)


class CommentForm(forms.Form):
    note = forms.CharField(label=_("Comment"), max_length=REMARKS_MAX, widget=forms.Textarea(attrs={"rows": 2}))
    internal = forms.BooleanField(
        label=_("Internal note: not shown to partners"), required=False,
        help_text=_("Only the company's people see it (on this page, the customer's timeline and the API)."))

    def __init__(self, *args, may_write_internal: bool = True, **kwargs):
        super().__init__(*args, **kwargs)
        if not may_write_internal:   # a partner user's comments are never internal
            del self.fields["internal"]


class AssignForm(forms.Form):
    version = forms.IntegerField(widget=forms.HiddenInput())
    assignee = forms.TypedChoiceField(label=_("Assignee"), coerce=int, required=False, empty_value=None,
                                      widget=FastSelect)

    def __init__(self, *args, users=(), **kwargs):
        super().__init__(*args, **kwargs)
        self._users = {u.pk: u for u in users}
        self.fields["assignee"].choices = [("", _("Nobody (back to the queue)"))] + [(u.pk, str(u)) for u in users]

    def user(self):
        return self._users.get(self.cleaned_data.get("assignee"))


QUEUE_CHOICES = [("mine", _("My cases")), ("team", _("My team's cases")), ("unassigned", _("Unassigned")),
                 ("breaching", _("Breaching soon")), ("all", _("All cases I can see"))]
SORT_CHOICES = [("-created", _("Newest first")), ("created", _("Oldest first")),
                ("severity", _("Most severe first")), ("-severity", _("Least severe first")),
                ("due", _("Resolution due, soonest first"))]


class CaseFilterForm(forms.Form):
    queue = forms.ChoiceField(label=_("Queue"), choices=QUEUE_CHOICES, required=False)
    status = forms.ChoiceField(label=_("Status"), required=False, choices=[
        ("open", pgettext_lazy("case status", "Open")), ("", _("Any status"))] + list(CaseStatus.choices))
    kind = forms.ChoiceField(label=_("Kind"), required=False, choices=[("", _("Any kind"))] + list(CaseKind.choices))
    severity = forms.TypedChoiceField(label=_("Severity"), required=False, coerce=int, empty_value=None,
                                      choices=[("", _("Any severity")), (1, "1"), (2, "2"), (3, "3"), (4, "4")])
    partner = forms.ModelChoiceField(label=_("Responsible partner"), queryset=Partner.objects.none(),
                                     required=False, empty_label=_("Any partner"))
    q = forms.CharField(label=_("Search"), required=False, max_length=100)
    sort = forms.ChoiceField(label=_("Sort"), choices=SORT_CHOICES, required=False)

    def __init__(self, *args, partners=None, **kwargs):
        super().__init__(*args, **kwargs)
        if partners is None or not partners.exists():
            del self.fields["partner"]
        else:
            self.fields["partner"].queryset = partners

    def values(self) -> dict:
        d = self.cleaned_data if self.is_bound and self.is_valid() else {}
        status = d.get("status") if self.is_bound and "status" in self.data else "open"
        partner = d.get("partner")
        return {"queue": d.get("queue") or "mine", "status": status or "", "kind": d.get("kind") or "",
                "severity": d.get("severity"), "q": (d.get("q") or "").strip(), "sort": d.get("sort") or "-created",
                "partner_id": partner.pk if partner else None}


# -- the public form and its links -------------------------------------------------------------------

PUBLIC_DESCRIPTION_MAX = REMARKS_MAX


class PublicCaseForm(forms.Form):
    """What a member of the public sends (no login). ``website`` is the honeypot:
    hidden from people by the stylesheet, filled in by robots."""

    name = forms.CharField(label=_("Your name"), max_length=100)
    phone = forms.CharField(label=_("Phone"), max_length=30, required=False,
                            widget=forms.TextInput(attrs={"type": "tel", "autocomplete": "tel", "inputmode": "tel"}))
    email = forms.EmailField(label=_("E-mail"), max_length=254, required=False,
                             widget=forms.EmailInput(attrs={"autocomplete": "email"}))
    kind = forms.ChoiceField(label=_("What is it about?"), choices=[
        (CaseKind.COMPLAINT, _("Complaint")), (CaseKind.SERVICE, _("Service request")),
        (CaseKind.REPAIR, _("Repair")), (CaseKind.ENQUIRY, _("Enquiry")), (CaseKind.SUGGESTION, _("Suggestion"))])
    reference = forms.CharField(label=_("Order number or serial number"), max_length=100, required=False,
                                help_text=_("Optional; helps us find your purchase."))
    description = forms.CharField(label=_("Your message"), max_length=PUBLIC_DESCRIPTION_MAX,
                                  widget=forms.Textarea(attrs={"rows": 6}))
    attachment = forms.FileField(label=_("A photo or document (optional)"), required=False)
    website = forms.CharField(label=_("Leave this field empty"), required=False, max_length=200,
                              widget=forms.TextInput(attrs={"autocomplete": "off", "tabindex": "-1"}))

    def clean_phone(self):
        from kehu.validators import validate_phone

        phone = self.cleaned_data["phone"].strip()
        if phone:
            validate_phone(phone)
        return phone

    def clean(self):
        cleaned = super().clean()
        for field in ("name", "description", "reference"):
            value = cleaned.get(field)
            if isinstance(value, str):
                value = value.replace("\x00", "").strip()
                cleaned[field] = value
        if "name" in cleaned and not cleaned["name"]:
            self.add_error("name", _("Tell us your name."))
        if "description" in cleaned and not cleaned["description"]:
            self.add_error("description", _("Describe your request."))
        if not self.errors.get("phone") and not self.errors.get("email") \
                and not cleaned.get("phone") and not cleaned.get("email"):
            self.add_error("phone", _("Give a phone number or an e-mail address so that we can answer you."))
        return cleaned

    @property
    def is_robot(self) -> bool:
        return bool((self.data.get("website") or "").strip())


class IntakeLinkForm(forms.Form):
    name = forms.CharField(label=_("Name"), max_length=100,
                           help_text=_("Shown to your staff only, e.g. “Shanghai service centre”."))
    slug = forms.SlugField(label=_("Address code"), max_length=40, required=False,
                           help_text=_("Optional; made from the name when left empty."))
    product_line = forms.TypedChoiceField(label=_("Product line"), coerce=int, required=False, empty_value=None)
    team = forms.TypedChoiceField(label=_("Service centre"), coerce=int, required=False, empty_value=None)

    def __init__(self, *args, product_lines=(), teams=(), **kwargs):
        super().__init__(*args, **kwargs)
        self._lines = {p.pk: p for p in product_lines}
        self._teams = {t.pk: t for t in teams}
        self.fields["product_line"].choices = [("", _("Any (the whole company)"))] + [
            (p.pk, str(p)) for p in product_lines]
        self.fields["team"].choices = [("", _("None (the unassigned queue)"))] + [(t.pk, str(t)) for t in teams]

    def service_data(self) -> dict:
        d = dict(self.cleaned_data)
        d["product_line"] = self._lines.get(d.get("product_line"))
        d["team"] = self._teams.get(d.get("team"))
        if not d.get("slug"):
            d.pop("slug", None)
        return d


class ReturnVisitStartForm(forms.Form):
    channel = forms.ChoiceField(label=_("Return visit by"), choices=ReturnVisitChannel.choices)


class ReturnVisitResultForm(forms.Form):
    version = forms.IntegerField(widget=forms.HiddenInput())
    result = forms.ChoiceField(label=_("Result"), widget=forms.RadioSelect, choices=[
        ("satisfied", _("Satisfied: close the case")),
        ("dissatisfied", _("Not satisfied: reopen and escalate the case"))])
    note = forms.CharField(label=_("What the customer said"), required=False, max_length=REMARKS_MAX,
                           widget=forms.Textarea(attrs={"rows": 2}),
                           help_text=_("Needed when the customer is not satisfied."))
    score = forms.FloatField(label=_("Score (0–100)"), required=False, min_value=0, max_value=100)


class ServiceSettingsForm(forms.Form):
    """Which return visit each kind of case gets on resolution, and the survey sent."""

    return_visit_survey = forms.TypedChoiceField(
        label=_("Return-visit survey"), coerce=int, required=False, empty_value=None,
        help_text=_("Empty: the survey made from the shipped template “complaint-return-visit” (made the first "
                    "time a case needs it)."))

    def __init__(self, *args, surveys=(), **kwargs):
        super().__init__(*args, **kwargs)
        self._surveys = {s.pk: s for s in surveys}
        self.fields["return_visit_survey"].choices = [("", "—")] + [(s.pk, s.code) for s in surveys]
        for value, label in CaseKind.choices:
            self.fields[f"kind_{value}"] = forms.ChoiceField(label=label, choices=ReturnVisitMode.choices)

    def values(self) -> tuple[dict, object]:
        d = self.cleaned_data
        modes = {value: d[f"kind_{value}"] for value in CaseKind.values}
        return modes, self._surveys.get(d["return_visit_survey"])


class RepairForm(forms.Form):
    """A repair record on a case. ``in_warranty`` and ``charged`` start from the
    case's warranty; the services check that a repair in warranty is not charged."""

    fault = forms.CharField(label=_("Fault"), max_length=REMARKS_MAX, widget=forms.Textarea(attrs={"rows": 2}))
    parts = forms.CharField(label=_("Parts"), required=False, max_length=REMARKS_MAX,
                            widget=forms.Textarea(attrs={"rows": 2}),
                            help_text=_("The parts used, one a line (part, quantity)."))
    labour_hours = forms.DecimalField(label=_("Labour hours"), min_value=0, max_digits=7, decimal_places=2,
                                      required=False)
    parts_cost = forms.DecimalField(label=_("Parts cost"), min_value=0, max_digits=12, decimal_places=2,
                                    required=False)
    labour_cost = forms.DecimalField(label=_("Labour cost"), min_value=0, max_digits=12, decimal_places=2,
                                     required=False)
    technician = forms.TypedChoiceField(label=_("Technician"), coerce=int, required=False, empty_value=None)
    visited_on = forms.DateField(label=_("First visit"), required=False,
                                 widget=forms.DateInput(attrs={"type": "date"}))
    revisited_on = forms.DateField(label=_("Last visit"), required=False,
                                   widget=forms.DateInput(attrs={"type": "date"}))
    result = forms.ChoiceField(label=_("Result"), required=False, choices=RepairResult.choices)
    in_warranty = forms.BooleanField(label=_("In warranty (free repair)"), required=False)
    charged = forms.BooleanField(label=_("Charged to the customer"), required=False)

    def __init__(self, *args, users=(), **kwargs):
        super().__init__(*args, **kwargs)
        self._users = {u.pk: u for u in users}
        self.fields["technician"].choices = [("", "—")] + [(u.pk, str(u)) for u in users]

    def service_data(self) -> dict:
        d = dict(self.cleaned_data)
        d["technician"] = self._users.get(d.get("technician"))
        for key in ("labour_hours", "parts_cost", "labour_cost"):
            if d.get(key) is None:
                d[key] = 0
        return d


class WarrantyTermsForm(forms.Form):
    """A product line's 三包 terms; empty is "not set", 0 is "none"."""

    warranty_months = forms.IntegerField(label=_("Warranty (months)"), min_value=0, max_value=600, required=False)
    return_days = forms.IntegerField(label=_("Return within (days)"), min_value=0, max_value=3650, required=False)
    exchange_days = forms.IntegerField(label=_("Exchange within (days)"), min_value=0, max_value=3650,
                                       required=False)


MAX_RANGE_DAYS = 5 * 366


class AnalyticsForm(forms.Form):
    """The range and filters of the service analytics (kehu.service.analytics)."""

    date_from = forms.DateField(label=pgettext_lazy("date range", "From"), required=False,
                                widget=forms.DateInput(attrs={"type": "date"}))
    date_to = forms.DateField(label=pgettext_lazy("date range", "To"), required=False,
                              widget=forms.DateInput(attrs={"type": "date"}))
    team = forms.TypedChoiceField(label=_("Team"), coerce=int, required=False, empty_value=None)
    kind = forms.ChoiceField(label=_("Kind"), required=False, choices=[("", _("Any kind"))] + list(CaseKind.choices))
    line = forms.TypedChoiceField(label=_("Product line"), coerce=int, required=False, empty_value=None)
    follow_up = forms.IntegerField(label=_("Follow-up period (days)"), required=False, min_value=7, max_value=730,
                                   help_text=_("How long after a complaint was put right buying again and "
                                               "satisfaction are looked for (recovery test)."))

    def __init__(self, data=None, *, teams=(), lines=(), **kwargs):
        if data is not None:
            # the URL's short names: ?from=&to=&team=&kind=&line=&follow_up=
            data = {("date_from" if k == "from" else "date_to" if k == "to" else k): v for k, v in data.items()}
        super().__init__(data, **kwargs)
        self.fields["team"].choices = [("", _("All teams"))] + [(t.pk, t.name) for t in teams]
        self.fields["line"].choices = [("", _("All product lines"))] + [(p.pk, p.name) for p in lines]

    def clean(self):
        data = super().clean()
        a, b = data.get("date_from"), data.get("date_to")
        if a and b and b < a:
            self.add_error("date_to", _("The end of the range must not be before its start."))
        elif a and b and (b - a).days > MAX_RANGE_DAYS:
            self.add_error("date_to", _("The range may span five years at most."))
        return data

    def filters(self):
        """The filters to compute: the form's when valid, else the default (last 12 months)."""
        from kehu.service.analytics import FOLLOW_UP_DAYS, AnalyticsFilters

        d = self.cleaned_data if self.is_bound and self.is_valid() else {}
        base = AnalyticsFilters.default()
        a, b = d.get("date_from"), d.get("date_to")
        if a and not b:
            b = max(a, base.date_to)
        if b and not a:
            a = AnalyticsFilters.default(today=b).date_from
        return AnalyticsFilters(date_from=a or base.date_from, date_to=b or base.date_to, team_id=d.get("team"),
                                kind=d.get("kind") or "", line_id=d.get("line"),
                                follow_up_days=d.get("follow_up") or FOLLOW_UP_DAYS)
