"""The visit pages: "My visits" (a week with the days as columns, or one day as
a list — phone width first) with the day target against what was done; a
visit's page with its five elements and the actions (check in, done, move,
skip); planning a visit by hand; the manager's list of their subtree's visits
(where and when); and the personal iCalendar feed (a secret address, no login).
Reads through ``kehu.engagement.selectors``, writes through
``kehu.engagement.visits``; the policy decides (404 / 403)."""

from __future__ import annotations

import datetime as dt

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Q
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from kehu.analytics.visit_plan import WORKING_DAYS, week_of, week_start
from kehu.engagement import selectors
from kehu.engagement.forms import CheckInForm, DoneForm, MoveForm, SkipForm, TeamVisitFilterForm, VisitForm
from kehu.engagement.visits import (
    day_target, feed_token, feed_user, visit_check_in, visit_create, visit_done, visit_evidence, visit_move,
    visit_skip, visits_ics,
)
from kehu.org.policies import policy_for
from kehu.pagination import Tier
from kehu.web.views.common import add_service_errors, int_or_none, next_url, paginate


def _week_param(request) -> str:
    week = (request.GET.get("week") or "").upper()
    try:
        week_start(week)
    except ValueError:
        return week_of(timezone.localdate())
    return week


def _day_param(request, monday: dt.date) -> dt.date:
    try:
        day = dt.date.fromisoformat(request.GET.get("day") or "")
    except ValueError:
        today = timezone.localdate()
        return today if monday <= today < monday + dt.timedelta(days=7) else monday
    return day


@login_required
def visit_week(request):
    """My visits: the week (days as columns) or one day (a list), with the day
    target ("7 + 3") against the visits done. ``?view=day&day=2026-12-07``."""
    user = request.user
    view = "day" if request.GET.get("view") == "day" else "week"
    week = _week_param(request)
    monday = week_start(week)
    if view == "day":
        day = _day_param(request, monday)
        week, monday = week_of(day), week_start(week_of(day))
        days = [day]
    else:
        day = None
        days = [monday + dt.timedelta(days=i) for i in range(7)]
    visits = list(selectors.visit_list(viewer=user, filters=selectors.VisitFilters(
        salesperson_id=user.pk, date_from=days[0], date_to=days[-1])).order_by("planned_on", "planned_time", "id"))
    for v in visits:
        v.evidence = visit_evidence(v)
    existing_target, new_target = day_target(user.role)
    columns = selectors.visit_day_counts(visits=visits, days=days)
    for c in columns:
        c["working"] = c["day"].weekday() < WORKING_DAYS
        c["visits_total"] = len(c["visits"])
    if view == "week":
        # the weekend shows only when something is planned on it
        columns = [c for c in columns if c["working"] or c["visits_total"]]
    token = getattr(getattr(user, "visit_feed", None), "token", None)
    feed_url = request.build_absolute_uri(reverse("visit_feed", args=[token])) if token else ""
    policy = policy_for(user)
    return render(request, "engagement/visits_week.html", {
        "nav_active": "visits", "title": _("My visits"), "view": view, "week": week, "day": day, "columns": columns,
        "target": {"existing": existing_target, "new": new_target},
        "prev_week": week_of(monday - dt.timedelta(days=7)), "next_week": week_of(monday + dt.timedelta(days=7)),
        "prev_day": (day - dt.timedelta(days=1)).isoformat() if day else "",
        "next_day": (day + dt.timedelta(days=1)).isoformat() if day else "",
        "today": timezone.localdate(), "feed_url": feed_url,
        "sees_team": policy.sees_team_visits, "can_plan": not policy.read_only,
    })


@login_required
def visit_detail(request, pk):
    visit = selectors.visit_get(viewer=request.user, pk=pk)
    visit.evidence = visit_evidence(visit)
    return render(request, "engagement/visit_detail.html", _detail_context(request, visit))


def _detail_context(request, visit, **forms) -> dict:
    can_change = policy_for(request.user).can_change_visit(visit) and visit.is_open
    return {
        "nav_active": "visits", "title": _("Visit to %(customer)s") % {"customer": visit.customer.name},
        "visit": visit, "can_change": can_change,
        "move_form": forms.get("move_form") or MoveForm(initial={"planned_on": visit.planned_on,
                                                                 "planned_time": visit.planned_time}),
        "done_form": forms.get("done_form") or DoneForm(),
        "skip_form": forms.get("skip_form") or SkipForm(),
        "back": reverse("visit_week") + f"?week={visit.week}",
    }


def _changeable(request, pk):
    visit = selectors.visit_get(viewer=request.user, pk=pk)
    if not policy_for(request.user).can_change_visit(visit):
        raise PermissionDenied
    return visit


def _after(request, visit):
    return redirect(next_url(request, reverse("visit_detail", args=[visit.pk])))


def _form_action(request, pk, form_class, key, act, done_message):
    visit = _changeable(request, pk)
    form = form_class(request.POST)
    if form.is_valid():
        try:
            act(visit, form.cleaned_data)
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, done_message)
            return _after(request, visit)
    visit.evidence = visit_evidence(visit)
    return render(request, "engagement/visit_detail.html", _detail_context(request, visit, **{key: form}), status=422)


@login_required
@require_POST
def visit_move_view(request, pk):
    return _form_action(request, pk, MoveForm, "move_form", lambda v, d: visit_move(
        actor=request.user, visit=v, planned_on=d["planned_on"], planned_time=d["planned_time"]), _("Visit moved."))


@login_required
@require_POST
def visit_done_view(request, pk):
    return _form_action(request, pk, DoneForm, "done_form", lambda v, d: visit_done(
        actor=request.user, visit=v, result=d["result"]), _("Visit done; its result is on the customer's timeline."))


@login_required
@require_POST
def visit_skip_view(request, pk):
    return _form_action(request, pk, SkipForm, "skip_form", lambda v, d: visit_skip(
        actor=request.user, visit=v, reason=d["skip_reason"]), _("Visit skipped."))


@login_required
@require_POST
def visit_check_in_view(request, pk):
    """Check in. The location comes only when the browser's geolocation was allowed
    (visits.js fills the hidden fields); without it the time alone is recorded."""
    visit = _changeable(request, pk)
    form = CheckInForm(request.POST)
    if not form.is_valid():
        for errors in form.errors.values():
            for message in errors:
                messages.error(request, message)
        return _after(request, visit)
    data = form.cleaned_data
    try:
        visit_check_in(actor=request.user, visit=visit, latitude=data.get("latitude"),
                       longitude=data.get("longitude"), accuracy=data.get("accuracy"))
    except ValidationError as exc:
        for message in exc.messages:
            messages.error(request, message)
    else:
        if visit.check_in_latitude is not None:
            messages.success(request, _("Checked in with your location."))
        else:
            messages.success(request, _("Checked in (without a location)."))
    return _after(request, visit)


@login_required
def visit_create_view(request):
    """Plan a visit by hand, for the customer of ``?customer=`` (from the 360 page)."""
    policy = policy_for(request.user)
    if policy.read_only:
        raise PermissionDenied
    customer_id = int_or_none(request.POST.get("customer") or request.GET.get("customer"))
    if not customer_id:
        raise Http404
    customer = policy.get_visible(customer_id)
    form = VisitForm(request.POST or None, customer=customer,
                     initial={"planned_on": timezone.localdate() + dt.timedelta(days=1)})
    if request.method == "POST" and form.is_valid():
        try:
            visit = visit_create(actor=request.user, customer=customer, data=dict(form.cleaned_data))
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, _("Visit planned."))
            return redirect("visit_detail", pk=visit.pk)
    return render(request, "engagement/visit_form.html", {
        "nav_active": "visits", "title": _("Plan a visit"), "form": form, "customer": customer,
        "back": reverse("customer_detail", args=[customer.pk]),
    })


@login_required
def visit_team(request):
    """Where and when the visits of the viewer's subtree were made: a list with
    filters by person, team, status and date, check-in time and distance."""
    policy = policy_for(request.user)
    if not policy.sees_team_visits:
        raise PermissionDenied
    people = policy.visit_people().order_by("display_name", "username")[:500]
    form = TeamVisitFilterForm(request.GET or None, people=list(people), teams=list(policy.visible_teams()))
    f = form.values()
    filters = selectors.VisitFilters(salesperson_id=f["person"], team_id=f["team"], status=f["status"] or "",
                                     date_from=f["date_from"], date_to=f["date_to"])
    qs = selectors.visit_list(viewer=request.user, filters=filters)
    page = paginate(request, qs, tiers=[Tier(Q(), ("-planned_on", "-id"))])
    return render(request, "engagement/visits_team.html", {
        "nav_active": "visits", "title": _("Team visits"), "form": form, "page": page,
    })


@login_required
@require_POST
def visit_feed_regenerate(request):
    """Make (or renew: the old address stops working) the personal calendar feed."""
    feed_token(user=request.user, regenerate=request.POST.get("renew") == "1")
    messages.success(request, _("Your calendar address is ready. Anyone who has it can read your planned visits."))
    return redirect(reverse("visit_week"))


@require_GET
def visit_feed(request, token):
    """The personal iCalendar feed: no login, the secret in the address."""
    user = feed_user(token)
    if user is None:
        raise Http404
    since = timezone.localdate() - dt.timedelta(days=30)
    visits = (selectors.visit_list(viewer=user, filters=selectors.VisitFilters(salesperson_id=user.pk,
                                                                                date_from=since))
              .exclude(status="skipped").order_by("planned_on", "id")[:1000])
    body = visits_ics(user=user, visits=visits, host=request.get_host().split(":")[0] or "kehu")
    response = HttpResponse(body, content_type="text/calendar; charset=utf-8")
    response["Content-Disposition"] = 'inline; filename="visits.ics"'
    response["Cache-Control"] = "private, max-age=300"
    return response
