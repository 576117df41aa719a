"""The product catalogue and its product lines: company-wide; administrators
and sales managers change them."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Count
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _

from kehu.sales.models import Product, ProductLine
from kehu.sales.selectors import product_line_list as product_line_list_selector
from kehu.sales.selectors import product_list as product_selector
from kehu.sales.services import _may_manage_catalogue as may_manage_catalogue
from kehu.sales.services import product_create as product_create_service
from kehu.sales.services import product_line_create as product_line_create_service
from kehu.sales.services import product_line_rename, product_update
from kehu.web.forms.sales import ProductForm, ProductLineForm
from kehu.web.views.common import add_service_errors, paginate


@login_required
def product_list(request):
    q = request.GET.get("q", "").strip()[:100]
    active = {"1": True, "0": False}.get(request.GET.get("active", ""))
    qs = product_selector(q=q, active=active)
    page = paginate(request, qs, ("name", "id"))
    return render(request, "web/products/list.html", {
        "nav_active": "products", "title": _("Products"), "page": page, "q": q,
        "active": request.GET.get("active", ""), "can_manage": may_manage_catalogue(request.user),
    })


def _product_form(request, product=None):
    if not may_manage_catalogue(request.user):
        raise PermissionDenied
    form = ProductForm(request.POST or None, instance=product)
    if request.method == "POST" and form.is_valid():
        try:
            if product is None:
                product = product_create_service(actor=request.user, data=form.service_data())
            else:
                product_update(actor=request.user, product=product, data=form.service_data())
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, _("Product %(name)s saved.") % {"name": product.name})
            return redirect("product_list")
    title = _("New product") if product is None else _("Edit %(name)s") % {"name": product.name}
    return render(request, "web/products/form.html", {
        "nav_active": "products", "title": title, "form": form, "product": product,
    })


@login_required
def product_create(request):
    return _product_form(request)


@login_required
def product_edit(request, pk):
    if not may_manage_catalogue(request.user):
        raise PermissionDenied
    return _product_form(request, get_object_or_404(Product, pk=pk))


# -- product lines ------------------------------------------------------------------

@login_required
def product_line_list(request):
    lines = product_line_list_selector().annotate(product_count=Count("products")).order_by("name", "id")
    return render(request, "web/products/lines.html", {
        "nav_active": "products", "title": _("Product lines"), "lines": lines,
        "can_manage": may_manage_catalogue(request.user),
    })


def _product_line_form(request, line=None):
    if not may_manage_catalogue(request.user):
        raise PermissionDenied
    form = ProductLineForm(request.POST or None, instance=line)
    if request.method == "POST" and form.is_valid():
        d = form.cleaned_data
        try:
            if line is None:
                line = product_line_create_service(actor=request.user, code=d["code"], name=d["name"])
            else:
                product_line_rename(actor=request.user, line=line, name=d["name"])
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, _("Product line %(name)s saved.") % {"name": line.name})
            return redirect("product_line_list")
    title = _("New product line") if line is None else _("Rename %(name)s") % {"name": line.name}
    return render(request, "web/products/line_form.html", {
        "nav_active": "products", "title": title, "form": form, "line": line,
    })


@login_required
def product_line_create(request):
    return _product_line_form(request)


@login_required
def product_line_edit(request, pk):
    if not may_manage_catalogue(request.user):
        raise PermissionDenied
    return _product_line_form(request, get_object_or_404(ProductLine, pk=pk))
