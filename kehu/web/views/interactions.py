"""Interactions: the company-wide list, logging one from the 360 page, and
changing or deleting one (from the timeline or the list)."""

from __future__ import annotations

import datetime as dt

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from kehu.customers.models import Contact
from kehu.engagement.selectors import interaction_get, interaction_list as interaction_selector
from kehu.engagement.services import interaction_delete as interaction_delete_service
from kehu.engagement.services import interaction_log, interaction_update
from kehu.org.policies import policy_for
from kehu.web.forms.engagement import InteractionFilterForm, InteractionForm
from kehu.customfields.values import list_filtered
from kehu.web.lists import chosen_sort, list_context
from kehu.web.views.common import add_service_errors, changeable_customer_ids, next_url, paginate
from kehu.web.views.customers import filter_users, timeline_context


# the sorts the list offers (kehu.web.lists): each a keyset ordering ending in id
INTERACTION_SORTS = {"-when": ("-occurred_at", "-id"), "when": ("occurred_at", "id")}


@login_required
def interaction_list(request):
    policy = policy_for(request.user)
    form = InteractionFilterForm(request.GET or None, users=filter_users(policy))
    qs = interaction_selector(viewer=request.user)
    if form.is_bound and form.is_valid():
        d = form.cleaned_data
        if d.get("channel"):
            qs = qs.filter(channel=d["channel"])
        if d.get("user"):
            qs = qs.filter(user_id=d["user"])
        tz = timezone.get_current_timezone()
        if d.get("date_from"):
            qs = qs.filter(occurred_at__gte=timezone.make_aware(dt.datetime.combine(d["date_from"], dt.time()), tz))
        if d.get("date_to"):
            end = dt.datetime.combine(d["date_to"] + dt.timedelta(days=1), dt.time())
            qs = qs.filter(occurred_at__lt=timezone.make_aware(end, tz))
    qs, _custom_filtered = list_filtered("interactions", qs, request)
    sort = chosen_sort(request, INTERACTION_SORTS, "-when")
    page = paginate(request, qs, INTERACTION_SORTS[sort])
    return render(request, "web/interactions/list.html", {
        "nav_active": "interactions", "title": _("Interactions"), "form": form, "page": page, "sort": sort,
        "changeable": changeable_customer_ids(policy, {it.customer_id for it in page.items}),
        "filtered": form.is_bound and any(v for k, v in request.GET.items() if k not in ("per", "sort", "cursor", "cols")),
        "can_create": not policy.change_scope.nothing,
        **list_context(request, "interactions", sort=sort),
    })


@login_required
def interaction_create(request, pk):
    """Log a touch point. With htmx the panel is swapped in place and the
    timeline refreshed out of band; without JS a POST redirects to the 360 page."""
    customer = policy_for(request.user).get_changeable(pk)
    contacts = list(Contact.objects.filter(customer=customer).order_by("name", "id"))
    partial = bool(getattr(request, "htmx", False))
    saved = None
    if request.method == "POST":
        form = InteractionForm(request.POST, customer=customer, contacts=contacts)
        if form.is_valid():
            try:
                saved = interaction_log(actor=request.user, customer=customer, data=form.service_data())
            except ValidationError as exc:
                add_service_errors(form, exc)
            else:
                if not partial:
                    messages.success(request, _("Interaction logged."))
                    return redirect(reverse("customer_detail", args=[customer.pk]) + "#timeline")
                form = InteractionForm(customer=customer, contacts=contacts)
    else:
        form = InteractionForm(customer=customer, contacts=contacts)
    context = {"customer": customer, "interaction_form": form, "saved": saved}
    if partial:
        if saved is not None:
            context.update(timeline_context(customer, request.user))
            context.update(oob_timeline=True, can_change=True)
        return render(request, "web/customers/_interaction_panel.html", context)
    return render(request, "web/interactions/form.html", {
        **context, "nav_active": "customers",
        "title": _("Log an interaction with %(customer)s") % {"customer": customer.name},
    })


def _changeable_interaction(request, pk):
    """An interaction whose customer the user may change: 404 when they may
    not see it, 403 when they may only look."""
    interaction = interaction_get(viewer=request.user, pk=pk)
    if not policy_for(request.user).can_change(interaction.customer):
        raise PermissionDenied
    return interaction


def _back(request, interaction):
    return next_url(request, reverse("customer_detail", args=[interaction.customer_id]) + "#timeline")


@login_required
def interaction_edit(request, pk):
    interaction = _changeable_interaction(request, pk)
    customer = interaction.customer
    back = _back(request, interaction)
    form = InteractionForm(request.POST or None, instance=interaction, customer=customer)
    if request.method == "POST" and form.is_valid():
        try:
            interaction_update(actor=request.user, interaction=interaction, data=form.changed_service_data())
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, _("Interaction saved."))
            return redirect(back)
    return render(request, "web/interactions/edit.html", {
        "nav_active": "interactions", "title": _("Edit an interaction with %(customer)s") % {"customer": customer.name},
        "form": form, "interaction": interaction, "customer": customer, "back": back,
    })


@login_required
def interaction_delete(request, pk):
    interaction = _changeable_interaction(request, pk)
    back = _back(request, interaction)
    if request.method == "POST":
        interaction_delete_service(actor=request.user, interaction=interaction)
        messages.success(request, _("Interaction deleted."))
        return redirect(back)
    return render(request, "web/interactions/delete.html", {
        "nav_active": "interactions", "title": _("Delete an interaction with %(customer)s") % {
            "customer": interaction.customer.name},
        "interaction": interaction, "customer": interaction.customer, "back": back,
    })
