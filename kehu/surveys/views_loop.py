"""Improvement actions (改进措施) of a survey, as a tab of its pages: the list
with whether each action's indicator moved, and adding, changing and
deleting actions (deleting asks first)."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from kehu.org.models import User
from kehu.surveys import selectors, selectors_loop
from kehu.surveys.forms_loop import ActionForm
from kehu.surveys.models import ActionStatus
from kehu.surveys.navigation import survey_tabs
from kehu.surveys.services.loop import action_create as create_service
from kehu.surveys.services.loop import action_delete as delete_service
from kehu.surveys.services.loop import action_update as update_service
from kehu.web.views.common import add_service_errors


def _context(request, survey, **extra) -> dict:
    can_manage = selectors_loop.may_manage_actions(request.user)
    return {"nav_active": "surveys", "survey": survey, "tabs": survey_tabs(survey, "actions"), "tab": "actions",
            "can_manage": can_manage, **extra}


def _form(request, survey, **kwargs) -> ActionForm:
    return ActionForm(
        request.POST or None, survey=survey,
        users=list(User.objects.filter(is_active=True).order_by("display_name", "username")[:500]),
        waves=list(reversed(selectors_loop.waves_in_order(survey))),
        indicators=list(selectors.indicators(survey)), **kwargs)


VERDICTS = {
    "up": ("ok", gettext_lazy("Improved (significant)")),
    "down": ("bad", gettext_lazy("Worse (significant)")),
    "no_change": ("", gettext_lazy("No significant change")),
    "not_tested": ("", gettext_lazy("Changed; too few answers to test")),
    "not_measured": ("", gettext_lazy("Not measured again yet")),
    "no_baseline": ("", gettext_lazy("No baseline")),
}


@login_required
def action_list(request, pk):
    survey = selectors.survey_get(viewer=request.user, pk=pk)
    status = request.GET.get("status", "")
    actions = list(selectors_loop.action_list(survey=survey, status=status))
    rows = []
    for movement in selectors_loop.survey_movements(survey, actions):
        css, label = VERDICTS[movement.verdict]
        rows.append({"action": movement.action, "movement": movement, "verdict_css": css, "verdict": str(label),
                     "can_change": selectors_loop.may_change_action(request.user, movement.action)})
    return render(request, "surveys/loop/actions.html", _context(
        request, survey, title=_("Improvement actions"), rows=rows, status=status,
        statuses=ActionStatus.choices))


@login_required
def action_create(request, pk):
    survey = selectors.survey_get(viewer=request.user, pk=pk)
    if not selectors_loop.may_manage_actions(request.user):
        raise PermissionDenied
    initial = {}
    if request.GET.get("indicator"):
        initial["indicator"] = request.GET["indicator"]
    form = _form(request, survey, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            action = create_service(actor=request.user, survey=survey, data=form.service_data())
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, _("Improvement action saved: %(title)s") % {"title": action.title})
            return redirect("survey_actions", pk=survey.pk)
    return render(request, "surveys/loop/action_form.html", _context(
        request, survey, title=_("New improvement action"), form=form))


@login_required
def action_edit(request, pk, a):
    survey = selectors.survey_get(viewer=request.user, pk=pk)
    action = selectors_loop.action_get(survey=survey, pk=a)
    if not selectors_loop.may_change_action(request.user, action):
        raise PermissionDenied
    manager = selectors_loop.may_manage_actions(request.user)
    initial = {"title": action.title, "indicator": action.indicator_id, "description": action.description,
               "owner": action.owner_id, "due_on": action.due_on, "status": action.status,
               "baseline_wave": action.baseline_wave_id, "target": action.target}
    form = _form(request, survey, initial=initial)
    if not manager:
        for name, field in form.fields.items():
            if name not in ("status", "description"):
                field.disabled = True
    if request.method == "POST" and form.is_valid():
        data = form.service_data(only=None if manager else {"status", "description"})
        try:
            update_service(actor=request.user, action=action, data=data)
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, _("Improvement action saved: %(title)s") % {"title": action.title})
            return redirect("survey_actions", pk=survey.pk)
    movement = selectors_loop.action_movement(action)
    return render(request, "surveys/loop/action_form.html", _context(
        request, survey, title=_("Edit an improvement action"), form=form, action=action, movement=movement,
        can_delete=manager))


@login_required
def action_delete(request, pk, a):
    survey = selectors.survey_get(viewer=request.user, pk=pk)
    action = selectors_loop.action_get(survey=survey, pk=a)
    if not selectors_loop.may_manage_actions(request.user):
        raise PermissionDenied
    if request.method == "POST":
        delete_service(actor=request.user, action=action)
        messages.success(request, _("Improvement action deleted: %(title)s") % {"title": action.title})
        return redirect("survey_actions", pk=survey.pk)
    return render(request, "surveys/loop/action_delete.html", _context(
        request, survey, title=_("Delete an improvement action"), action=action))
