"""The administrators' custom fields page: list, define, change, deactivate, delete."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _

from kehu.customfields import registry
from kehu.customfields.forms import DefinitionForm
from kehu.customfields.models import CustomFieldDefinition
from kehu.customfields.selectors import definition_list, value_count
from kehu.customfields.services import (
    definition_create, definition_delete, definition_deactivate, definition_update,
)
from kehu.org.policies import policy_for
from kehu.web.views.common import add_service_errors


def _admin(request):
    if not policy_for(request.user).is_admin:
        raise PermissionDenied


@login_required
def custom_field_list(request):
    _admin(request)
    defs = list(definition_list())
    groups = [{"key": rt.key, "label": rt.label, "fields": [d for d in defs if d.record_type == rt.key]}
              for rt in registry.RECORD_TYPES.values()]
    return render(request, "customfields/list.html", {
        "nav_active": "custom_fields", "title": _("Custom fields"), "groups": groups})


@login_required
def custom_field_create(request):
    _admin(request)
    if request.method == "POST":
        form = DefinitionForm(request.POST)
        if form.is_valid():
            try:
                defn = definition_create(actor=request.user, data=form.service_data())
            except ValidationError as exc:
                add_service_errors(form, exc)
            else:
                messages.success(request, _("Custom field %(label)s created.") % {"label": defn.label})
                return redirect("custom_field_list")
    else:
        rt = request.GET.get("record_type")
        form = DefinitionForm(initial={"record_type": rt if rt in registry.RECORD_TYPES else "customer"})
    return render(request, "customfields/form.html", {
        "nav_active": "custom_fields", "title": _("New custom field"), "form": form})


@login_required
def custom_field_edit(request, pk):
    _admin(request)
    defn = get_object_or_404(CustomFieldDefinition, pk=pk)
    if request.method == "POST":
        form = DefinitionForm(request.POST, definition=defn)
        if form.is_valid():
            data = form.service_data()
            data.pop("record_type", None)
            data.pop("key", None)
            try:
                definition_update(actor=request.user, definition=defn, data=data)
            except ValidationError as exc:
                add_service_errors(form, exc)
            else:
                messages.success(request, _("Custom field %(label)s saved.") % {"label": defn.label})
                return redirect("custom_field_list")
    else:
        form = DefinitionForm(definition=defn)
    return render(request, "customfields/form.html", {
        "nav_active": "custom_fields", "title": _("Edit %(label)s") % {"label": defn.label}, "form": form,
        "definition": defn})


@login_required
def custom_field_deactivate(request, pk):
    """Deactivate (after a confirmation page that says how many records hold a
    value), or activate again (POST only)."""
    _admin(request)
    defn = get_object_or_404(CustomFieldDefinition, pk=pk)
    if request.method == "POST":
        if request.POST.get("activate"):
            definition_update(actor=request.user, definition=defn, data={"active": True})
            messages.success(request, _("Custom field %(label)s is active again.") % {"label": defn.label})
        else:
            definition_deactivate(actor=request.user, definition=defn)
            messages.success(request, _("Custom field %(label)s deactivated; its values are kept.") % {
                "label": defn.label})
        return redirect("custom_field_list")
    return render(request, "customfields/confirm.html", {
        "nav_active": "custom_fields", "title": _("Deactivate %(label)s") % {"label": defn.label},
        "definition": defn, "count": value_count(defn), "action": "deactivate"})


@login_required
def custom_field_delete(request, pk):
    _admin(request)
    defn = get_object_or_404(CustomFieldDefinition, pk=pk)
    if request.method == "POST":
        cleared = definition_delete(actor=request.user, definition=defn)
        messages.success(request, _("Custom field %(label)s deleted; %(count)d values removed.") % {
            "label": defn.label, "count": cleared})
        return redirect("custom_field_list")
    return render(request, "customfields/confirm.html", {
        "nav_active": "custom_fields", "title": _("Delete %(label)s") % {"label": defn.label},
        "definition": defn, "count": value_count(defn), "action": "delete"})
