"""Pages of the care calendar: my week (everyone), the rules (marketing and administrators manage)."""

from __future__ import annotations

import datetime as dt

from django.contrib import messages as flash
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from kehu.customers.models import Customer
from kehu.marketing.permissions import require_marketing
from kehu.org.policies import policy_for
from kehu.web.lists import chosen_sort, list_context
from kehu.web.views.common import add_service_errors, is_partial, paginate

from . import dates, selectors, services
from .forms import MomentFilterForm, RuleForm
from .models import CareRule, MomentStatus


def _week_start(request) -> dt.date:
    today = services.today_local()
    raw = request.GET.get("week", "")
    try:
        day = dt.date.fromisoformat(raw) if raw else today
    except ValueError:
        day = today
    return day - dt.timedelta(days=day.weekday())


@login_required
def calendar(request):
    """The person's care moments of a week, by due day: those made and those to come."""
    monday = _week_start(request)
    days = [monday + dt.timedelta(days=i) for i in range(7)]
    items, truncated = selectors.upcoming(viewer=request.user, start=days[0], end=days[-1])
    by_day = [(d, [u for u in items if u.due_on == d]) for d in days]
    return render(request, "care/calendar.html", {
        "nav_active": "care", "title": _("My care calendar"), "by_day": by_day, "items": items,
        "truncated": truncated, "today": services.today_local(), "may_manage": services.may_manage(request.user),
        "prev_week": (monday - dt.timedelta(days=7)).isoformat(), "next_week": (monday + dt.timedelta(days=7)).isoformat(),
        "week": monday.isoformat()})


MOMENT_SORTS = {"due": ("due_on", "id"), "-due": ("-due_on", "-id"), "occasion": ("occasion", "id"),
                "-occasion": ("-occasion", "-id"), "status": ("status", "due_on", "id"),
                "-status": ("-status", "-due_on", "-id")}
OPEN = (MomentStatus.PLANNED, MomentStatus.TASK, MomentStatus.HELD)


@login_required
def moment_list(request):
    """The care moments made by the daily run, as a list beside the week's calendar: filters by rule,
    status, whose (mine by default) and due dates; sortable; done or skipped in place (htmx)."""
    form = MomentFilterForm(request.GET or None)
    d = form.cleaned_data if form.is_bound and form.is_valid() else {}
    owner = d.get("owner") or (None if d.get("who") == "all" else request.user)
    qs = selectors.moment_list(viewer=request.user, rule_id=d.get("rule") and d["rule"].pk, status=d.get("status", ""),
                               due_from=d.get("due_from"), due_to=d.get("due_to"), owner=owner)
    sort = chosen_sort(request, MOMENT_SORTS, "due")
    page = paginate(request, qs, MOMENT_SORTS[sort])
    filtered = any(d.get(k) for k in ("owner", "rule", "status", "due_from", "due_to")) or d.get("who") == "all"
    return render(request, "care/moment_list.html", {
        "nav_active": "care", "title": _("Care moments"), "form": form, "page": page, "sort": sort,
        "filtered": filtered, "may_manage": services.may_manage(request.user), "open": OPEN,
        **list_context(request, "care_moments", sort=sort),
    })


@login_required
@require_POST
def mark(request):
    try:
        rule = CareRule.objects.get(pk=int(request.POST.get("rule", "")))
        customer = policy_for(request.user).visible(Customer.objects.all()).get(pk=int(request.POST.get("customer", "")))
        occasion = dt.date.fromisoformat(request.POST.get("occasion", ""))
    except (ValueError, CareRule.DoesNotExist, Customer.DoesNotExist):
        raise Http404 from None
    status = request.POST.get("status", "")
    error = ""
    try:
        services.moment_mark(actor=request.user, rule=rule, customer=customer, occasion=occasion, status=status)
    except ValidationError as exc:
        error = " ".join(exc.messages)
    if is_partial(request) and request.POST.get("row") == "1":   # the list's row, in place
        moment = selectors.moment_list(viewer=request.user).filter(
            key=dates.moment_key(rule.pk, customer.pk, occasion)).first()
        if moment is None:
            raise Http404
        return render(request, "care/_moment_row.html", {
            "m": moment, "open": OPEN, "error": error, **list_context(request, "care_moments", sort="due")})
    if error:
        flash.error(request, error)
    else:
        flash.success(request, _("Marked done.") if status == MomentStatus.DONE else _("Skipped."))
    week = request.POST.get("week", "")
    return redirect(reverse("care_calendar") + (f"?week={week}" if week else ""))


@login_required
def rule_list(request):
    require_marketing(request.user)
    page = paginate(request, selectors.rule_list(), ("name_zh", "id"))
    return render(request, "care/rule_list.html", {"nav_active": "care", "title": _("Care rules"), "page": page})


def _rule_form(request, rule=None):
    require_marketing(request.user)
    form = RuleForm(request.POST or None, instance=rule if rule is not None and request.method != "POST" else None)
    if request.method == "POST" and form.is_valid():
        data = {k: form.cleaned_data[k] for k in RuleForm.Meta.fields}
        try:
            if rule is None:
                rule = services.rule_create(actor=request.user, data=data)
            else:
                rule = services.rule_update(actor=request.user, rule=rule, data=data)
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            flash.success(request, _("Care rule %(name)s saved.") % {"name": rule.name})
            return redirect("care_rules")
    return render(request, "care/rule_form.html", {
        "nav_active": "care", "title": _("New care rule") if rule is None else _("Edit %(name)s") % {"name": rule.name},
        "form": form})


@login_required
def rule_create(request):
    return _rule_form(request)


@login_required
def rule_edit(request, pk):
    require_marketing(request.user)
    return _rule_form(request, selectors.rule_get(pk))


@login_required
def rule_delete(request, pk):
    require_marketing(request.user)
    rule = selectors.rule_get(pk)
    if request.method == "POST":
        services.rule_delete(actor=request.user, rule=rule)
        flash.success(request, _("Care rule %(name)s deleted.") % {"name": rule.name})
        return redirect("care_rules")
    return render(request, "care/confirm.html", {
        "nav_active": "care", "title": _("Delete %(name)s") % {"name": rule.name},
        "question": _("Delete this care rule and its moments? The messages already sent stay in the message log."),
        "button": _("Delete care rule"), "back": reverse("care_rules")})
