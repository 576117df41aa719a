"""Tasks: adding one, completing or cancelling it, and the list's filters."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from kehu.engagement.models import Channel, TaskSource, TaskStatus
from kehu.web.forms.customers import DateInput


class TaskForm(forms.Form):
    title = forms.CharField(label=_("Task"), max_length=200,
                            help_text=_("What must be done, e.g. “Call back about the late delivery”."))
    description = forms.CharField(label=_("Details"), required=False, widget=forms.Textarea(attrs={"rows": 3}))
    due_on = forms.DateField(label=_("Due"), required=False, widget=DateInput())
    assigned_to = forms.TypedChoiceField(label=_("Assigned to"), coerce=int, required=False, empty_value=None,
                                         help_text=_("Someone who may see the customer; you by default."))

    def __init__(self, *args, users=(), **kwargs):
        super().__init__(*args, **kwargs)
        self._users = {u.pk: u for u in users}
        self.fields["assigned_to"].choices = [("", _("Me"))] + [(u.pk, str(u)) for u in users]

    def service_data(self) -> dict:
        d = dict(self.cleaned_data)
        d["assigned_to"] = self._users.get(d.get("assigned_to"))
        if d["assigned_to"] is None:
            d.pop("assigned_to")
        return d


class TaskCompleteForm(forms.Form):
    outcome = forms.CharField(label=_("Outcome"), widget=forms.Textarea(attrs={"rows": 4}),
                              help_text=_("What happened and what was agreed with the customer."))
    log_interaction = forms.BooleanField(label=_("Also log it as an interaction on the customer's timeline"),
                                         required=False, initial=True)
    channel = forms.ChoiceField(label=_("Channel"), choices=Channel.choices, initial=Channel.PHONE)


class TaskCancelForm(forms.Form):
    reason = forms.CharField(label=_("Why is it no longer needed?"), required=False,
                             widget=forms.Textarea(attrs={"rows": 2}))


SCOPE_CHOICES = [("mine", _("My tasks")), ("team", _("My team's tasks")), ("all", _("All tasks I can see"))]
STATUS_CHOICES = [("open", pgettext_lazy("task", "Open")), ("done", _("Done")), ("cancelled", _("Cancelled")), ("all", _("Any status"))]
DUE_CHOICES = [("", _("Any due date")), ("overdue", _("Overdue")), ("today", _("Due today")),
               ("week", _("Due in the next 7 days")), ("none", _("No due date"))]
SORT_CHOICES = [("due", _("Due date, soonest first")), ("-due", _("Due date, latest first")),
                ("-created", _("Newest first")), ("created", _("Oldest first"))]


class TaskFilterForm(forms.Form):
    scope = forms.ChoiceField(label=_("Whose"), choices=SCOPE_CHOICES, required=False)
    status = forms.ChoiceField(label=_("Status"), choices=STATUS_CHOICES, required=False)
    source = forms.ChoiceField(label=_("Source"), choices=[("", _("Any source"))] + list(TaskSource.choices),
                               required=False)
    due = forms.ChoiceField(label=_("Due"), choices=DUE_CHOICES, required=False)
    sort = forms.ChoiceField(label=_("Sort"), choices=SORT_CHOICES, required=False)

    def __init__(self, *args, team: bool = False, **kwargs):
        super().__init__(*args, **kwargs)
        if not team:
            self.fields["scope"].choices = [c for c in SCOPE_CHOICES if c[0] != "team"]

    def values(self) -> dict:
        d = self.cleaned_data if self.is_bound and self.is_valid() else {}
        return {"scope": d.get("scope") or "mine", "status": d.get("status") or TaskStatus.OPEN,
                "source": d.get("source") or "", "due": d.get("due") or "", "sort": d.get("sort") or "due"}
