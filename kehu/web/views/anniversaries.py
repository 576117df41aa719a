"""A customer's dates to remember (纪念日): add, change, delete from the 360 page."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _

from kehu.customers.selectors import anniversary_get
from kehu.customers.services import anniversary_create as anniversary_create_service
from kehu.customers.services import anniversary_delete as anniversary_delete_service
from kehu.customers.services import anniversary_update
from kehu.org.policies import policy_for
from kehu.web.forms.customers import AnniversaryForm
from kehu.web.views.common import add_service_errors


def _changeable_anniversary(request, pk):
    """404 when the customer is not visible, 403 when it may only be looked at."""
    anniversary = anniversary_get(viewer=request.user, pk=pk)
    if not policy_for(request.user).can_change(anniversary.customer):
        raise PermissionDenied
    return anniversary


def _back(customer):
    return redirect(reverse("customer_detail", args=[customer.pk]) + "#anniversaries")


def _form_page(request, form, customer, title, anniversary=None):
    return render(request, "web/anniversaries/form.html", {
        "nav_active": "customers", "title": title, "form": form, "customer": customer, "anniversary": anniversary,
    })


@login_required
def anniversary_create(request, pk):
    customer = policy_for(request.user).get_changeable(pk)
    form = AnniversaryForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            anniversary = anniversary_create_service(actor=request.user, customer=customer, data=form.service_data())
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, _("Anniversary %(label)s added.") % {"label": anniversary.label})
            return _back(customer)
    return _form_page(request, form, customer, _("New anniversary of %(customer)s") % {"customer": customer.name})


@login_required
def anniversary_edit(request, pk):
    anniversary = _changeable_anniversary(request, pk)
    customer = anniversary.customer
    form = AnniversaryForm(request.POST or None, instance=anniversary)
    if request.method == "POST" and form.is_valid():
        try:
            anniversary_update(actor=request.user, anniversary=anniversary, data=form.changed_service_data())
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, _("Anniversary %(label)s saved.") % {"label": anniversary.label})
            return _back(customer)
    return _form_page(request, form, customer,
                      _("Edit the anniversary %(label)s") % {"label": anniversary.label}, anniversary)


@login_required
def anniversary_delete(request, pk):
    anniversary = _changeable_anniversary(request, pk)
    customer = anniversary.customer
    if request.method == "POST":
        anniversary_delete_service(actor=request.user, anniversary=anniversary)
        messages.success(request, _("Anniversary %(label)s deleted.") % {"label": anniversary.label})
        return _back(customer)
    return render(request, "web/anniversaries/delete.html", {
        "nav_active": "customers", "title": _("Delete the anniversary %(label)s") % {"label": anniversary.label},
        "anniversary": anniversary, "customer": customer,
    })
