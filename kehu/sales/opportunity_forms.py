"""Forms of the opportunity pages: open and edit an opportunity (its lines as a
formset, its contacts with their roles), the list's and the board's filters, and the
stage moves. They only read input; the services decide (their field errors are shown
on the form)."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from kehu.customers.models import DecisionRole, Source
from kehu.sales.models import StageOutcome
from kehu.validators import REMARKS_MAX
from kehu.web.widgets import FastSelect

SORTS = ("-created", "created", "name", "-name", "amount", "-amount", "close", "-close")


class OpportunityForm(forms.Form):
    name = forms.CharField(label=pgettext_lazy("opportunity", "Name"), max_length=200)
    pipeline = forms.TypedChoiceField(label=_("Pipeline"), coerce=int, required=False, empty_value=None)
    stage = forms.TypedChoiceField(label=_("Stage"), coerce=int, required=False, empty_value=None,
                                   help_text=_("Empty: the pipeline's first stage."))
    probability = forms.IntegerField(label=_("Probability (%)"), min_value=0, max_value=100, required=False,
                                     help_text=_("Empty: the stage's default probability."))
    expected_close = forms.DateField(label=_("Expected close date"), required=False,
                                     widget=forms.DateInput(attrs={"type": "date"}))
    competitor = forms.CharField(label=_("Competitor"), max_length=200, required=False)
    source = forms.ChoiceField(label=pgettext_lazy("customer", "Source"), required=False,
                               choices=[("", "—")] + list(Source.choices))
    owner = forms.TypedChoiceField(label=_("Owner"), coerce=int, required=False, empty_value=None)
    next_step = forms.CharField(label=_("Next step"), max_length=200, required=False)
    next_step_on = forms.DateField(label=_("Next step date"), required=False,
                                   widget=forms.DateInput(attrs={"type": "date"}))

    def __init__(self, *args, pipelines=(), stages=(), users=(), editing=False, **kwargs):
        super().__init__(*args, **kwargs)
        self._pipelines = {p.pk: p for p in pipelines}
        self._stages = {s.pk: s for s in stages}
        self._users = {u.pk: u for u in users}
        if editing:
            del self.fields["pipeline"], self.fields["stage"]
        else:
            self.fields["pipeline"].choices = [(p.pk, p.name) for p in pipelines]
            self.fields["stage"].choices = [("", "—")] + [
                (s.pk, f"{s.pipeline.name} · {s.name}") for s in stages if s.outcome == StageOutcome.OPEN]
        self.fields["owner"].choices = [("", "—" if editing else _("Me"))] + [(u.pk, str(u)) for u in users]

    def service_data(self) -> dict:
        d = dict(self.cleaned_data)
        if "pipeline" in d:
            d["pipeline"] = self._pipelines.get(d["pipeline"])
            d["stage"] = self._stages.get(d["stage"])
        d["owner"] = self._users.get(d.get("owner"))
        if d["owner"] is None:
            d.pop("owner")
        return d


class LineForm(forms.Form):
    product_line = forms.TypedChoiceField(label=_("Product line"), coerce=int, required=False, empty_value=None)
    amount = forms.DecimalField(label=_("Amount"), min_value=0, max_digits=16, decimal_places=2, required=False)
    note = forms.CharField(label=_("Note"), max_length=200, required=False)

    def __init__(self, *args, product_lines=(), **kwargs):
        super().__init__(*args, **kwargs)
        self._lines = {pl.pk: pl for pl in product_lines}
        self.fields["product_line"].choices = [("", "—")] + [(pl.pk, pl.name) for pl in product_lines]

    def clean(self):
        d = super().clean()
        if d.get("product_line") and d.get("amount") is None:
            self.add_error("amount", _("Give the amount of this product line."))
        if d.get("amount") is not None and not d.get("product_line"):
            self.add_error("product_line", _("Choose the product line."))
        return d

    def service_line(self) -> dict | None:
        d = self.cleaned_data
        if not d.get("product_line"):
            return None
        return {"product_line": self._lines.get(d["product_line"]), "amount": d["amount"], "note": d["note"]}


LineFormSet = forms.formset_factory(LineForm, extra=3, max_num=50, validate_max=True)


def contact_choices(contacts, chosen: dict[int, str]) -> list[dict]:
    """Rows of the contacts part of the form: each contact of the customer, ticked when
    on the opportunity, with its role (default: the contact's role in the buying decision)."""
    return [{"contact": c, "checked": c.pk in chosen, "role": chosen.get(c.pk, c.decision_role)}
            for c in contacts]


def contacts_from_post(post, contacts) -> list[dict]:
    by_pk = {c.pk: c for c in contacts}
    out = []
    for raw in post.getlist("contacts"):
        try:
            contact = by_pk[int(raw)]
        except (KeyError, ValueError):
            continue
        role = post.get(f"role_{contact.pk}", "")
        out.append({"contact": contact, "role": role if role in DecisionRole.values else ""})
    return out


class FilterForm(forms.Form):
    q = forms.CharField(label=_("Search"), required=False, max_length=100)
    pipeline = forms.TypedChoiceField(label=_("Pipeline"), coerce=int, required=False, empty_value=None,
                                      widget=FastSelect)
    stage = forms.TypedChoiceField(label=_("Stage"), coerce=int, required=False, empty_value=None,
                                   widget=FastSelect)
    outcome = forms.ChoiceField(label=_("Outcome"), required=False,
                                choices=[("", pgettext_lazy("outcome", "All"))] + list(StageOutcome.choices))
    owner = forms.TypedChoiceField(label=_("Owner"), coerce=int, required=False, empty_value=None,
                                   widget=FastSelect)
    product_line = forms.TypedChoiceField(label=_("Product line"), coerce=int, required=False, empty_value=None,
                                          widget=FastSelect)
    close_from = forms.DateField(label=_("Closing from"), required=False,
                                 widget=forms.DateInput(attrs={"type": "date"}))
    close_to = forms.DateField(label=_("Closing until"), required=False,
                               widget=forms.DateInput(attrs={"type": "date"}))
    sort = forms.ChoiceField(required=False, choices=[(s, s) for s in SORTS], widget=forms.HiddenInput())

    def __init__(self, *args, pipelines=(), stages=(), users=(), product_lines=(), board=False, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["pipeline"].choices = ([] if board else [("", "—")]) + [(p.pk, p.name) for p in pipelines]
        self.fields["stage"].choices = [("", "—")] + [(s.pk, f"{s.pipeline.name} · {s.name}") for s in stages]
        self.fields["owner"].choices = [("", "—")] + [(u.pk, str(u)) for u in users]
        self.fields["product_line"].choices = [("", "—")] + [(pl.pk, pl.name) for pl in product_lines]
        if board:   # the board shows every stage of one pipeline
            del self.fields["stage"], self.fields["outcome"], self.fields["sort"]

    def values(self) -> dict:
        blank = {"q": "", "pipeline": None, "stage": None, "outcome": "", "owner": None, "product_line": None,
                 "close_from": None, "close_to": None, "sort": "-created"}
        if not self.is_bound or not self.is_valid():
            return blank
        values = {**blank, **{k: v for k, v in self.cleaned_data.items() if v not in (None, "")}}
        return values


class MoveForm(forms.Form):
    stage = forms.IntegerField()
    version = forms.IntegerField(required=False)
    note = forms.CharField(required=False, max_length=REMARKS_MAX)
    lost_reason = forms.IntegerField(required=False)
    lost_note = forms.CharField(required=False, max_length=REMARKS_MAX)
    next = forms.CharField(required=False, max_length=2000)


class FunnelForm(forms.Form):
    """The funnel page's filters: the period (opportunities created in it), the pipeline,
    owner, team, product line, source, and the breakdown."""

    BY = [("", _("No breakdown")), ("owner", _("By owner")), ("team", _("By team")),
          ("line", _("By product line")), ("source", _("By source"))]

    date_from = forms.DateField(label=_("Created from"), required=False,
                                widget=forms.DateInput(attrs={"type": "date"}))
    date_to = forms.DateField(label=_("Created until"), required=False,
                              widget=forms.DateInput(attrs={"type": "date"}))
    pipeline = forms.TypedChoiceField(label=_("Pipeline"), coerce=int, required=False, empty_value=None)
    owner = forms.TypedChoiceField(label=_("Owner"), coerce=int, required=False, empty_value=None)
    team = forms.TypedChoiceField(label=_("Team"), coerce=int, required=False, empty_value=None)
    product_line = forms.TypedChoiceField(label=_("Product line"), coerce=int, required=False, empty_value=None)
    source = forms.ChoiceField(label=pgettext_lazy("customer", "Source"), required=False)
    by = forms.ChoiceField(label=_("Breakdown"), required=False, choices=BY)

    def __init__(self, *args, pipelines=(), users=(), product_lines=(), stages=(), **kwargs):
        from kehu.customers.models import Source
        from kehu.org.models import Team

        super().__init__(*args, **kwargs)
        self.fields["pipeline"].choices = [(p.pk, p.name) for p in pipelines]
        self.fields["owner"].choices = [("", "—")] + [(u.pk, str(u)) for u in users]
        self.fields["team"].choices = [("", "—")] + [(t.pk, t.name) for t in Team.objects.order_by("name")[:500]]
        self.fields["product_line"].choices = [("", "—")] + [(pl.pk, pl.name) for pl in product_lines]
        self.fields["source"].choices = [("", "—")] + list(Source.choices)

    def clean(self):
        d = super().clean()
        if d.get("date_from") and d.get("date_to") and d["date_from"] > d["date_to"]:
            self.add_error("date_to", _("The end is before the start."))
        return d

    def values(self) -> dict:
        blank = {"date_from": None, "date_to": None, "pipeline_id": None, "owner_id": None, "team_id": None,
                 "product_line_id": None, "source": "", "by": ""}
        if not self.is_bound or not self.is_valid():
            return blank
        d = self.cleaned_data
        return {"date_from": d.get("date_from"), "date_to": d.get("date_to"), "pipeline_id": d.get("pipeline"),
                "owner_id": d.get("owner"), "team_id": d.get("team"), "product_line_id": d.get("product_line"),
                "source": d.get("source") or "", "by": d.get("by") or ""}
