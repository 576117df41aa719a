"""Pages of personal information: the reveal (htmx), the export and the erasure."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from kehu.org.policies import policy_for
from kehu.privacy import services
from kehu.privacy.forms import EraseForm
from kehu.web.views.common import add_service_errors, int_or_none


@login_required
@require_POST
def reveal(request, pk):
    """One masked value in full (htmx fragment); audited by the service."""
    field = request.POST.get("field", "")
    contact_id = int_or_none(request.POST.get("contact"))
    try:
        value = services.personal_data_reveal(actor=request.user, customer_id=pk, field=field,
                                              contact_id=contact_id)
    except ValidationError as exc:
        return HttpResponse(" ".join(exc.messages), status=400)
    return render(request, "privacy/_revealed.html", {"value": value or "—", "field": field})


@login_required
@require_POST
def export(request, pk):
    name, data = services.personal_data_export(actor=request.user, customer_id=pk)
    response = HttpResponse(data, content_type="application/zip")
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    return response


@login_required
def erase(request, pk):
    policy = policy_for(request.user)
    customer = policy.get_visible(pk)
    if not policy.may_erase_personal_data:
        raise PermissionDenied
    form = EraseForm(request.POST or None, customer=customer)
    if request.method == "POST" and form.is_valid():
        try:
            services.customer_erase(actor=request.user, customer_id=customer.pk, reason=form.cleaned_data["reason"])
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, _("The personal data of %(ref)s was erased.") % {"ref": customer.ref})
            return redirect("customer_detail", pk=customer.pk)
    return render(request, "privacy/erase.html", {
        "nav_active": "customers", "title": _("Erase personal data"), "customer": customer, "form": form,
    })
