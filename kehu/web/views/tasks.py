"""Tasks (待办): the list (mine by default, my team's for managers), one
task with the survey answers that set it off, completing it with an outcome
or cancelling it, and adding one from the customer 360 page. Reads through
``kehu.engagement.selectors``, writes through ``kehu.engagement.services``."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Q
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from kehu.engagement import selectors
from kehu.engagement.models import TaskSource, TaskStatus
from kehu.engagement.services import task_cancel, task_complete, task_create, task_update
from kehu.org.policies import policy_for
from kehu.pagination import Tier
from kehu.web.forms.tasks import TaskCancelForm, TaskCompleteForm, TaskFilterForm, TaskForm
from kehu.web.lists import list_context
from kehu.web.views.common import add_service_errors, next_url, paginate

# Keyset orderings per sort; tasks without a due date come last whichever way
# the due dates run (a nullable column cannot be part of a row-value key).
SORT_TIERS = {
    "due": [Tier(Q(due_on__isnull=False), ("due_on", "id")), Tier(Q(due_on__isnull=True), ("id",))],
    "-due": [Tier(Q(due_on__isnull=False), ("-due_on", "-id")), Tier(Q(due_on__isnull=True), ("-id",))],
    "-created": [Tier(Q(), ("-created_at", "-id"))],
    "created": [Tier(Q(), ("created_at", "id"))],
}


@login_required
def task_list(request):
    team = selectors.may_see_team_tasks(request.user)
    form = TaskFilterForm(request.GET or None, team=team)
    f = form.values()
    qs = selectors.task_list(viewer=request.user, scope=f["scope"], status=f["status"], source=f["source"],
                             due=f["due"])
    page = paginate(request, qs, tiers=SORT_TIERS[f["sort"]])
    today = timezone.localdate()
    for t in page.items:
        t.is_overdue = t.status == TaskStatus.OPEN and t.due_on is not None and t.due_on < today
    actions = []
    if f["scope"] == "mine" and f["status"] in (TaskStatus.OPEN, "all"):
        from kehu.surveys.selectors_loop import overdue_actions

        actions = overdue_actions(owner=request.user)
    return render(request, "web/tasks/list.html", {
        "nav_active": "tasks", "title": _("Tasks"), "form": form, "page": page, "filters": f,
        "today": today, "overdue_actions": actions,
        **list_context(request, "tasks", sort=f["sort"]),
    })


def _answers_context(task, viewer) -> dict:
    """The survey answers of a follow-up task (source ``survey``)."""
    from kehu.surveys.selectors_loop import task_answers

    return task_answers(task, viewer)


@login_required
def task_detail(request, pk):
    task = selectors.task_get(viewer=request.user, pk=pk)
    can_change = selectors.task_may_change(viewer=request.user, task=task)
    context = {
        "nav_active": "tasks", "title": task.title, "task": task, "can_change": can_change,
        "today": timezone.localdate(), **_answers_context(task, request.user),
    }
    if can_change and task.status == TaskStatus.OPEN:
        form = TaskCompleteForm(initial={"log_interaction": task.customer_id is not None})
        if task.customer_id is None:
            del form.fields["log_interaction"], form.fields["channel"]
        context["complete_form"] = form
    return render(request, "web/tasks/detail.html", context)


def _changeable_task(request, pk):
    task = selectors.task_get(viewer=request.user, pk=pk)
    if not selectors.task_may_change(viewer=request.user, task=task):
        raise PermissionDenied
    return task


@login_required
def task_complete_view(request, pk):
    task = _changeable_task(request, pk)
    if task.status != TaskStatus.OPEN:
        messages.info(request, _("This task is already closed."))
        return redirect("task_detail", pk=task.pk)
    form = TaskCompleteForm(request.POST or None)
    if task.customer_id is None:
        del form.fields["log_interaction"], form.fields["channel"]
    if request.method == "POST" and form.is_valid():
        d = form.cleaned_data
        try:
            task_complete(actor=request.user, task=task, outcome=d["outcome"],
                          log_interaction=bool(d.get("log_interaction")), channel=d.get("channel") or "phone")
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, _("Task done: %(title)s") % {"title": task.title})
            return redirect(next_url(request, reverse("task_list")))
    return render(request, "web/tasks/complete.html", {
        "nav_active": "tasks", "title": _("Complete a task"), "task": task, "form": form,
        **_answers_context(task, request.user),
    })


@login_required
def task_cancel_view(request, pk):
    """Cancelling asks first: the page says what will happen, the POST does it."""
    task = _changeable_task(request, pk)
    if task.status != TaskStatus.OPEN:
        messages.info(request, _("This task is already closed."))
        return redirect("task_detail", pk=task.pk)
    form = TaskCancelForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        task_cancel(actor=request.user, task=task, reason=form.cleaned_data["reason"])
        messages.success(request, _("Task cancelled: %(title)s") % {"title": task.title})
        return redirect(next_url(request, reverse("task_list")))
    return render(request, "web/tasks/cancel.html", {
        "nav_active": "tasks", "title": _("Cancel a task"), "task": task, "form": form,
    })


def _assignable(request, customer):
    """People the user may give a task about ``customer`` to (who may see it)."""
    from kehu.org.policies import users_who_may_view

    users = policy_for(request.user).assignable_users().exclude(pk=request.user.pk)
    if customer is not None:
        users = users_who_may_view(customer, users)
    return list(users.order_by("display_name", "username")[:500])


@login_required
def task_create_view(request, customer_pk):
    customer = policy_for(request.user).get_changeable(customer_pk)
    users = _assignable(request, customer)
    form = TaskForm(request.POST or None, users=users)
    if request.method == "POST" and form.is_valid():
        try:
            task = task_create(actor=request.user, customer=customer, data=form.service_data())
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, _("Task added: %(title)s") % {"title": task.title})
            return redirect(reverse("customer_detail", args=[customer.pk]) + "#tasks")
    return render(request, "web/tasks/form.html", {
        "nav_active": "customers", "title": _("New task for %(customer)s") % {"customer": customer.name},
        "customer": customer, "form": form,
        "back": reverse("customer_detail", args=[customer.pk]) + "#tasks",
    })


@login_required
def task_edit_view(request, pk):
    task = _changeable_task(request, pk)
    if task.status != TaskStatus.OPEN:
        messages.info(request, _("This task is already closed."))
        return redirect("task_detail", pk=task.pk)
    users = _assignable(request, task.customer)
    if task.assigned_to is not None and task.assigned_to not in users and task.assigned_to != request.user:
        users.append(task.assigned_to)
    initial = {"title": task.title, "description": task.description, "due_on": task.due_on,
               "assigned_to": task.assigned_to_id if task.assigned_to_id != request.user.pk else None}
    form = TaskForm(request.POST or None, users=users, initial=initial)
    if request.method == "POST" and form.is_valid():
        data = form.service_data()
        data.setdefault("assigned_to", request.user)
        try:
            task_update(actor=request.user, task=task, data=data)
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, _("Task saved."))
            return redirect("task_detail", pk=task.pk)
    return render(request, "web/tasks/form.html", {
        "nav_active": "tasks", "title": _("Edit a task"), "customer": task.customer, "form": form, "task": task,
        "back": reverse("task_detail", args=[task.pk]),
    })
