"""The administrators' pages of teams and users: the team tree (create, rename, move), the
users list, a user's create and edit pages, deactivation with the reassignment of their
customers, and a password reset link by e-mail. Everything goes through kehu.org.services
(audited); every page is for administrators only (403 otherwise)."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.utils.translation import gettext_lazy, pgettext_lazy
from django.views.decorators.http import require_POST

from kehu.org import selectors, services
from kehu.org.forms import DeactivateForm, TeamForm, UserFilterForm, UserForm
from kehu.org.models import Team, User
from kehu.org.policies import policy_for
from kehu.web.lists import Column, ListSpec, chosen_sort, list_context
from kehu.web.views.common import add_service_errors, paginate


def _admin(request):
    if not policy_for(request.user).is_admin:
        raise PermissionDenied


def _posted(request):
    """The form data of a POST (even an empty one, which must still be validated), else None."""
    return request.POST if request.method == "POST" else None


def _user_rows(viewer):
    return User.objects.all() if policy_for(viewer).is_admin else User.objects.none()


USERS_LIST = ListSpec(
    name="users", label=gettext_lazy("Users"), url_name="user_list",
    columns=(
        Column("username", gettext_lazy("Username"), "username"),
        Column("name", gettext_lazy("Name"), "name"),
        Column("role", gettext_lazy("Role"), "role"),
        Column("team", gettext_lazy("Team"), "team", "hide-sm"),
        Column("email", gettext_lazy("E-mail"), cls="hide-sm"),
        Column("active", pgettext_lazy("user", "Active")),
        Column("last_login", gettext_lazy("Last sign-in"), "last_login", "hide-sm nowrap"),
    ),
    rows=_user_rows,
    row_label=lambda u: u.username,
    may_change=lambda viewer: policy_for(viewer).is_admin,
)

SORTS = {
    "username": ("username", "id"), "-username": ("-username", "-id"),
    "name": ("display_name", "username", "id"), "-name": ("-display_name", "-username", "-id"),
    "role": ("role", "username", "id"), "-role": ("-role", "-username", "-id"),
    "team": ("team__path", "username", "id"), "-team": ("-team__path", "-username", "-id"),
    "last_login": ("last_login", "id"), "-last_login": ("-last_login", "-id"),
}


# -- teams ---------------------------------------------------------------------


@login_required
def team_list(request):
    _admin(request)
    teams = selectors.team_tree()
    for team in teams:  # the tree's indentation (no style attributes: the Content-Security-Policy)
        team.indent = "\u2003" * max(team.depth - 1, 0)
    return render(request, "org/team_list.html", {
        "nav_active": "users", "title": _("Teams"), "teams": teams})


@login_required
def team_create(request):
    _admin(request)
    form = TeamForm(_posted(request), initial={"parent": request.GET.get("parent")})
    if request.method == "POST" and form.is_valid():
        try:
            team = services.team_create(name=form.cleaned_data["name"], parent=form.cleaned_data.get("parent"),
                                        actor=request.user)
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, _("Team %(name)s created.") % {"name": team.name})
            return redirect("team_list")
    return render(request, "org/team_form.html", {"nav_active": "users", "title": _("New team"), "form": form})


@login_required
def team_edit(request, pk):
    _admin(request)
    team = get_object_or_404(Team, pk=pk)
    form = TeamForm(_posted(request), team=team,
                    initial={"name": team.name, "parent": team.parent_id})
    if request.method == "POST" and form.is_valid():
        kwargs = {"name": form.cleaned_data["name"]}
        if "parent" in form.fields:
            kwargs["parent"] = form.cleaned_data["parent"]
        try:
            services.team_update(team=team, actor=request.user, **kwargs)
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, _("Team %(name)s saved.") % {"name": team.name})
            return redirect("team_list")
    return render(request, "org/team_form.html", {
        "nav_active": "users", "title": _("Edit team %(name)s") % {"name": team.name}, "form": form,
        "team": team})


# -- users ---------------------------------------------------------------------


@login_required
def user_list(request):
    _admin(request)
    form = UserFilterForm(request.GET or None, initial={"active": "yes"})
    filters = selectors.UserFilters(active="yes")
    if form.is_bound and form.is_valid():
        d = form.cleaned_data
        filters = selectors.UserFilters(q=d.get("q", ""), team=d.get("team"), role=d.get("role", ""),
                                        active=d.get("active", ""))
    sort = chosen_sort(request, SORTS, "username")
    page = paginate(request, selectors.user_list(filters), SORTS[sort])
    return render(request, "org/user_list.html", {
        "nav_active": "users", "title": _("Users"), "form": form, "page": page, "sort": sort,
        "filtered": bool(filters.q or filters.team or filters.role or filters.active != "yes"),
        **list_context(request, "users", sort=sort),
    })


@login_required
def user_create(request):
    _admin(request)
    form = UserForm(_posted(request), initial={"role": "salesperson"})
    if request.method == "POST" and form.is_valid():
        d = form.cleaned_data
        try:
            user = services.user_create(
                username=d["username"], password=d["password"] or None, role=d["role"], team=d["team"],
                display_name=d["display_name"], email=d["email"], language=d["language"],
                is_superuser=d["role"] == "admin", actor=request.user)
            if d["phone"]:
                services.user_update(user=user, data={"phone": d["phone"]}, actor=request.user)
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, _("User %(name)s created.") % {"name": user.username})
            return redirect("user_edit", pk=user.pk)
    return render(request, "org/user_form.html", {"nav_active": "users", "title": _("New user"), "form": form})


@login_required
def user_edit(request, pk):
    _admin(request)
    person = get_object_or_404(User.objects.select_related("team"), pk=pk)
    fields = ("display_name", "email", "phone", "role", "team", "language")
    form = UserForm(_posted(request), user=person, initial={f: getattr(person, f) for f in fields})
    if request.method == "POST" and form.is_valid():
        try:
            services.user_update(user=person, data={f: form.cleaned_data[f] for f in fields}, actor=request.user)
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, _("User %(name)s saved.") % {"name": person.username})
            return redirect("user_edit", pk=person.pk)
    return render(request, "org/user_form.html", {
        "nav_active": "users", "title": _("User %(name)s") % {"name": person.username}, "form": form,
        "person": person, "owned": selectors.owned_customer_count(person)})


@login_required
def user_deactivate(request, pk):
    """A confirmation page that says how many customers the user owns and asks who takes
    them over; the POST deactivates and moves them (the bulk reassignment)."""
    _admin(request)
    person = get_object_or_404(User, pk=pk, is_active=True)
    form = DeactivateForm(_posted(request), user=person)
    owned = selectors.owned_customer_count(person)
    if request.method == "POST" and form.is_valid():
        try:
            moved = services.user_deactivate(user=person, reassign_to=form.cleaned_data["reassign_to"],
                                             actor=request.user)
        except (ValidationError, PermissionDenied) as exc:
            if isinstance(exc, PermissionDenied):
                exc = ValidationError(str(exc))
            add_service_errors(form, exc)
        else:
            messages.success(request, ngettext(
                "%(name)s is deactivated; %(count)d customer moved.",
                "%(name)s is deactivated; %(count)d customers moved.", moved) % {
                "name": person.username, "count": moved})
            return redirect("user_list")
    return render(request, "org/user_deactivate.html", {
        "nav_active": "users", "title": _("Deactivate %(name)s") % {"name": person.username},
        "person": person, "form": form, "owned": owned})


@login_required
@require_POST
def user_activate(request, pk):
    _admin(request)
    person = get_object_or_404(User, pk=pk, is_active=False)
    services.user_update(user=person, data={"is_active": True}, actor=request.user)
    messages.success(request, _("%(name)s is active again.") % {"name": person.username})
    return redirect("user_edit", pk=person.pk)


@login_required
def user_password_reset(request, pk):
    """A confirmation page; the POST e-mails the user a link to choose a new password."""
    _admin(request)
    person = get_object_or_404(User, pk=pk)
    error = ""
    if request.method == "POST":
        try:
            services.user_send_password_reset(user=person, actor=request.user,
                                              base_url=f"{request.scheme}://{request.get_host()}")
        except ValidationError as exc:
            error = " ".join(exc.messages)
        else:
            messages.success(request, _("A reset link was sent to %(email)s.") % {"email": person.email})
            return redirect("user_edit", pk=person.pk)
    return render(request, "org/user_reset.html", {
        "nav_active": "users", "title": _("Send %(name)s a reset link") % {"name": person.username},
        "person": person, "error": error})
