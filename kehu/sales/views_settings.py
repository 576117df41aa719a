"""The administrators' pipeline pages (/settings/pipelines/): the pipelines with their
stages, and the reasons for losing; create, change, (de)activate, and delete a stage
nothing was ever in (with confirmation). Writes through kehu/sales/pipeline_settings.py,
which holds the rules; anyone but an administrator gets 403."""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, pgettext_lazy

from kehu.org.policies import policy_for
from kehu.sales.models import LostReason, Pipeline, ProductLine, Stage, StageOutcome
from kehu.sales.pipeline_settings import (
    StageInUse, lost_reason_create, lost_reason_update, pipeline_create, pipeline_update, stage_add, stage_delete,
    stage_in_use, stage_update,
)
from kehu.web.views.common import add_service_errors

CODE_HELP = gettext_lazy("Letters, digits and hyphens; left empty, it is made from the English name.")


class PipelineForm(forms.Form):
    name_zh = forms.CharField(label=gettext_lazy("Name (Chinese)"), max_length=100)
    name_en = forms.CharField(label=gettext_lazy("Name (English)"), max_length=100)
    product_line = forms.ModelChoiceField(label=gettext_lazy("Product line"), required=False,
                                          queryset=ProductLine.objects.order_by("name"),
                                          help_text=gettext_lazy("Leave empty for a pipeline of any product line."))
    is_default = forms.BooleanField(label=gettext_lazy("Default pipeline"), required=False,
                                    help_text=gettext_lazy("New opportunities go into it unless another is chosen."))
    active = forms.BooleanField(label=pgettext_lazy("pipeline", "Active"), required=False, initial=True,
                                help_text=gettext_lazy("An inactive pipeline takes no new opportunities; its "
                                                       "opportunities stay."))


class StageForm(forms.Form):
    name_zh = forms.CharField(label=gettext_lazy("Name (Chinese)"), max_length=100)
    name_en = forms.CharField(label=gettext_lazy("Name (English)"), max_length=100)
    code = forms.SlugField(label=gettext_lazy("Code"), max_length=40, required=False, help_text=CODE_HELP)
    position = forms.IntegerField(label=gettext_lazy("Position"), min_value=0, max_value=32767, required=False,
                                  help_text=gettext_lazy("Stages are shown in this order; empty: after the last."))
    probability = forms.IntegerField(label=gettext_lazy("Default probability"), min_value=0, max_value=100,
                                     required=False, help_text=gettext_lazy("In per cent, 0 to 100. Empty: 100 "
                                                                            "for the won stage, 0 otherwise."))
    outcome = forms.ChoiceField(label=gettext_lazy("Outcome"), choices=StageOutcome.choices,
                                help_text=gettext_lazy("A pipeline has exactly one won stage and at least one "
                                                       "lost stage."))
    active = forms.BooleanField(label=pgettext_lazy("stage", "Active"), required=False, initial=True,
                                help_text=gettext_lazy("No opportunity moves into an inactive stage; the board "
                                                       "shows it while opportunities are still in it."))


class LostReasonForm(forms.Form):
    name_zh = forms.CharField(label=gettext_lazy("Name (Chinese)"), max_length=100)
    name_en = forms.CharField(label=gettext_lazy("Name (English)"), max_length=100)
    code = forms.SlugField(label=gettext_lazy("Code"), max_length=40, required=False, help_text=CODE_HELP)
    position = forms.IntegerField(label=gettext_lazy("Position"), min_value=0, max_value=32767, required=False)
    active = forms.BooleanField(label=pgettext_lazy("lost reason", "Active"), required=False, initial=True,
                                help_text=gettext_lazy("An inactive reason is no longer offered; the "
                                                       "opportunities lost for it keep it."))


def _admin(request) -> None:
    if not policy_for(request.user).is_admin:
        raise PermissionDenied


def _get(model, pk):
    obj = model.objects.filter(pk=pk).first()
    if obj is None:
        raise Http404
    return obj


def _data(form) -> dict:
    return {k: v for k, v in form.cleaned_data.items() if v not in ("", None) or k in ("product_line",)}


@login_required
def pipeline_settings_view(request):
    _admin(request)
    pipelines = list(Pipeline.objects.select_related("product_line").prefetch_related("stages")
                     .order_by("-is_default", "-active", "name_en", "id"))
    for p in pipelines:
        p.stage_list = sorted(p.stages.all(), key=lambda s: (s.position, s.pk))
    return render(request, "sales/settings/pipelines.html", {
        "nav_active": "settings", "title": _("Pipelines and reasons for losing"), "pipelines": pipelines,
        "reasons": LostReason.objects.order_by("-active", "position", "code")})


def _form_page(request, form, title, back, save):
    if request.method == "POST" and form.is_valid():
        try:
            message = save(_data(form))
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, message)
            return redirect(back)
    return render(request, "sales/settings/form.html", {"nav_active": "settings", "title": title, "form": form,
                                                        "back": back})


@login_required
def pipeline_create_view(request):
    _admin(request)
    form = PipelineForm(request.POST or None, initial={"active": True})

    def save(data):
        p = pipeline_create(actor=request.user, data=data)
        return _("Pipeline “%(name)s” created with the default pipeline's stages.") % {"name": p}
    return _form_page(request, form, _("New pipeline"), "pipeline_settings", save)


@login_required
def pipeline_edit_view(request, pk):
    _admin(request)
    pipeline = _get(Pipeline, pk)
    form = PipelineForm(request.POST or None, initial={f: getattr(pipeline, f) for f in PipelineForm.base_fields})

    def save(data):
        data.setdefault("product_line", None)
        pipeline_update(actor=request.user, pipeline=pipeline, data=data)
        return _("Pipeline “%(name)s” saved.") % {"name": pipeline}
    return _form_page(request, form, _("Edit %(name)s") % {"name": pipeline}, "pipeline_settings", save)


@login_required
def stage_create_view(request, pk):
    _admin(request)
    pipeline = _get(Pipeline, pk)
    form = StageForm(request.POST or None, initial={"active": True, "outcome": StageOutcome.OPEN})

    def save(data):
        s = stage_add(actor=request.user, pipeline=pipeline, data=data)
        return _("Stage “%(name)s” added.") % {"name": s}
    return _form_page(request, form, _("New stage of %(pipeline)s") % {"pipeline": pipeline}, "pipeline_settings",
                      save)


@login_required
def stage_edit_view(request, pk):
    _admin(request)
    stage = _get(Stage, pk)
    form = StageForm(request.POST or None, initial={f: getattr(stage, f) for f in StageForm.base_fields})

    def save(data):
        stage_update(actor=request.user, stage=stage, data=data)
        return _("Stage “%(name)s” saved.") % {"name": stage}
    return _form_page(request, form, _("Edit %(name)s") % {"name": stage}, "pipeline_settings", save)


@login_required
def stage_delete_view(request, pk):
    """GET: the confirmation (or why it cannot be deleted); POST: delete."""
    _admin(request)
    stage = _get(Stage, pk)
    in_use = stage_in_use(stage)
    error = ""
    if request.method == "POST" and not in_use:
        name = str(stage)
        try:
            stage_delete(actor=request.user, stage=stage)
        except (StageInUse, ValidationError) as exc:
            error = "; ".join(getattr(exc, "messages", None) or [str(exc)])
        else:
            messages.success(request, _("Stage “%(name)s” deleted.") % {"name": name})
            return redirect("pipeline_settings")
    return render(request, "sales/settings/stage_confirm.html", {
        "nav_active": "settings", "title": _("Delete %(name)s") % {"name": stage}, "stage": stage,
        "in_use": in_use, "error": error})


@login_required
def lost_reason_create_view(request):
    _admin(request)
    form = LostReasonForm(request.POST or None, initial={"active": True})

    def save(data):
        r = lost_reason_create(actor=request.user, data=data)
        return _("Reason “%(name)s” added.") % {"name": r}
    return _form_page(request, form, _("New reason for losing"), "pipeline_settings", save)


@login_required
def lost_reason_edit_view(request, pk):
    _admin(request)
    reason = _get(LostReason, pk)
    form = LostReasonForm(request.POST or None, initial={f: getattr(reason, f) for f in LostReasonForm.base_fields})

    def save(data):
        lost_reason_update(actor=request.user, reason=reason, data=data)
        return _("Reason “%(name)s” saved.") % {"name": reason}
    return _form_page(request, form, _("Edit %(name)s") % {"name": reason}, "pipeline_settings", save)
