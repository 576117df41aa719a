"""Orders and payments (回款)."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _

from kehu.customers.models import Customer
from kehu.org.policies import policy_for
from kehu.sales.models import Product
from kehu.sales.selectors import order_get, order_list as order_selector
from kehu.sales.services import order_create as order_create_service
from kehu.sales.services import payment_record
from kehu.web.forms.sales import OrderFilterForm, OrderForm, OrderLineFormSet, PaymentForm
from kehu.web.views.common import add_service_errors, int_or_none, paginate


@login_required
def order_list(request):
    policy = policy_for(request.user)
    form = OrderFilterForm(request.GET or None)
    customer = None
    customer_id = int_or_none(request.GET.get("customer"))
    if customer_id:
        customer = policy.get_visible(customer_id)
    qs = order_selector(viewer=request.user, customer_id=customer.pk if customer else None)
    if form.is_bound and form.is_valid():
        d = form.cleaned_data
        if d.get("q"):
            qs = qs.filter(ref__startswith=d["q"].strip())
        if d.get("date_from"):
            qs = qs.filter(order_date__gte=d["date_from"])
        if d.get("date_to"):
            qs = qs.filter(order_date__lte=d["date_to"])
    page = paginate(request, qs, ("-order_date", "-id"))
    return render(request, "web/orders/list.html", {
        "nav_active": "orders", "title": _("Orders"), "form": form, "page": page, "customer": customer,
    })


@login_required
def order_detail(request, pk):
    order = order_get(viewer=request.user, pk=pk)
    can_change = policy_for(request.user).can_change(order.customer)
    return render(request, "web/orders/detail.html", {
        "nav_active": "orders", "title": _("Order %(ref)s") % {"ref": order.ref},
        "order": order, "lines": list(order.lines.all()), "payments": list(order.payments.all()),
        "can_change": can_change, "payment_form": PaymentForm() if can_change else None,
    })


@login_required
def payment_create(request, pk):
    order = order_get(viewer=request.user, pk=pk)
    if not policy_for(request.user).can_change(order.customer):
        raise PermissionDenied
    form = PaymentForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        d = form.cleaned_data
        try:
            payment_record(actor=request.user, order=order, amount=d["amount"], received_on=d["received_on"],
                           method=d["method"], reference=d["reference"])
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, _("Payment recorded."))
            return redirect("order_detail", pk=order.pk)
    return render(request, "web/orders/payment_form.html", {
        "nav_active": "orders", "title": _("Record a payment for %(ref)s") % {"ref": order.ref},
        "order": order, "form": form,
    })


@login_required
def order_create(request, pk):
    customer = policy_for(request.user).get_changeable(pk, Customer.objects.select_related("owner"))
    products = list(Product.objects.filter(active=True).order_by("name", "id")[:1000])
    form_kwargs = {"products": products}
    if request.method == "POST":
        form = OrderForm(request.POST)
        formset = OrderLineFormSet(request.POST, prefix="lines", form_kwargs=form_kwargs)
        if form.is_valid() and formset.is_valid():
            data = form.service_data()
            if not data.get("ref"):
                data.pop("ref", None)
            data["salesperson"] = request.user
            try:
                order = order_create_service(actor=request.user, customer=customer, data=data,
                                             lines=formset.lines())
            except ValidationError as exc:
                add_service_errors(form, exc)
            else:
                messages.success(request, _("Order %(ref)s created.") % {"ref": order.ref})
                return redirect("order_detail", pk=order.pk)
    else:
        form = OrderForm()
        formset = OrderLineFormSet(prefix="lines", form_kwargs=form_kwargs)
    return render(request, "web/orders/form.html", {
        "nav_active": "orders", "title": _("New order for %(customer)s") % {"customer": customer.name},
        "customer": customer, "form": form, "formset": formset,
    })
