"""Forms of the case pages: registering and editing a case, the queue's filters,
moves, validity, steps, comments and assignment. They only read input; the
services decide (their field errors are shown on the form)."""

from __future__ import annotations

from django import forms
from django.forms.utils import flatatt
from django.utils.html import format_html, format_html_join
from django.utils.safestring import mark_safe
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from kehu.service.models import (
    CaseChannel, CaseKind, CaseStatus, CauseCategory, CompensationKind, CustomerWant,
)
from kehu.validators import REMARKS_MAX, SUMMARY_MAX


class FastSelect(forms.Select):
    """A ``<select>`` whose options are written here, not one template each: the same
    HTML as Django's ``Select``, a few milliseconds less per page with a hundred
    people to choose from (the case page, ``kehu bench service``)."""

    def render(self, name, value, attrs=None, renderer=None):
        widget = self.get_context(name, value, attrs)["widget"]
        parts = []
        for group_name, options, _index in widget["optgroups"]:
            html = format_html_join("", "<option value=\"{}\"{}>{}</option>", (
                (o["value"], flatatt(o["attrs"]), o["label"]) for o in options))
            parts.append(format_html("<optgroup label=\"{}\">{}</optgroup>", group_name, html)
                         if group_name is not None else html)
        return format_html("<select name=\"{}\"{}>{}</select>", widget["name"], flatatt(widget["attrs"]),
                           mark_safe("".join(parts)))


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
    serial_number = forms.CharField(label=_("Serial number"), max_length=100, required=False)
    assignee = forms.TypedChoiceField(label=_("Assignee"), coerce=int, required=False, empty_value=None,
                                      widget=FastSelect)

    def __init__(self, *args, categories=(), users=(), **kwargs):
        super().__init__(*args, **kwargs)
        self._users = {u.pk: u for u in users}
        self._categories = {c.pk: c for c in categories}
        self.fields["category"].choices = [("", "—")] + [
            (c.pk, f"— {c.name}" if c.parent_id else c.name) for c in categories]
        self.fields["assignee"].choices = [("", _("Nobody yet (the queue)"))] + [(u.pk, str(u)) for u in users]

    def service_data(self) -> dict:
        d = dict(self.cleaned_data)
        d["category"] = self._categories.get(d.get("category"))
        d["assignee"] = self._users.get(d.get("assignee"))
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
    q = forms.CharField(label=_("Search"), required=False, max_length=100)
    sort = forms.ChoiceField(label=_("Sort"), choices=SORT_CHOICES, required=False)

    def values(self) -> dict:
        d = self.cleaned_data if self.is_bound and self.is_valid() else {}
        status = d.get("status") if self.is_bound and "status" in self.data else "open"
        return {"queue": d.get("queue") or "mine", "status": status or "", "kind": d.get("kind") or "",
                "severity": d.get("severity"), "q": (d.get("q") or "").strip(), "sort": d.get("sort") or "-created"}
