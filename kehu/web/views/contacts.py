"""Contacts of a customer (决策链): create, edit, delete."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _

from kehu.customers.selectors import contact_get
from kehu.customers.services import contact_create as contact_create_service
from kehu.customers.services import contact_delete as contact_delete_service
from kehu.customers.services import contact_update
from kehu.org.policies import policy_for
from kehu.web.forms.customers import ContactForm
from kehu.web.views.common import add_service_errors


def _changeable_contact(request, pk):
    contact = contact_get(viewer=request.user, pk=pk)
    if not policy_for(request.user).can_change(contact.customer):
        raise PermissionDenied
    return contact


def _back(customer):
    return redirect(reverse("customer_detail", args=[customer.pk]) + "#contacts")


@login_required
def contact_create(request, pk):
    customer = policy_for(request.user).get_changeable(pk)
    form = ContactForm(request.POST or None, customer=customer)
    if request.method == "POST" and form.is_valid():
        try:
            contact = contact_create_service(actor=request.user, customer=customer, data=form.service_data())
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, _("Contact %(name)s added.") % {"name": contact.name})
            return _back(customer)
    return render(request, "web/contacts/form.html", {
        "nav_active": "customers", "title": _("New contact at %(customer)s") % {"customer": customer.name},
        "form": form, "customer": customer,
    })


@login_required
def contact_edit(request, pk):
    contact = _changeable_contact(request, pk)
    customer = contact.customer
    form = ContactForm(request.POST or None, instance=contact, customer=customer)
    if request.method == "POST" and form.is_valid():
        try:
            contact_update(actor=request.user, contact=contact, data=form.service_data())
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, _("Contact %(name)s saved.") % {"name": contact.name})
            return _back(customer)
    return render(request, "web/contacts/form.html", {
        "nav_active": "customers", "title": _("Edit contact %(name)s") % {"name": contact.name},
        "form": form, "customer": customer, "contact": contact,
    })


@login_required
def contact_delete(request, pk):
    contact = _changeable_contact(request, pk)
    customer = contact.customer
    if request.method == "POST":
        contact_delete_service(actor=request.user, contact=contact)
        messages.success(request, _("Contact %(name)s deleted.") % {"name": contact.name})
        return _back(customer)
    return render(request, "web/contacts/delete.html", {
        "nav_active": "customers", "title": _("Delete contact %(name)s") % {"name": contact.name},
        "contact": contact, "customer": customer,
    })
