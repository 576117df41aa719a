"""Orders and payments (回款): create, change, cancel and delete orders; record payments."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _

from kehu.customers.models import Customer
from kehu.org.policies import policy_for
from kehu.sales.models import OrderStatus, Product
from kehu.sales.selectors import order_get, order_list as order_selector
from kehu.sales.services import order_create as order_create_service
from kehu.sales.services import order_delete as order_delete_service
from kehu.sales.services import ApprovalNotPending, order_approve, order_reject
from kehu.sales.services import order_update, order_warnings, payment_record
from kehu.validators import REMARKS_MAX
from kehu.web.forms.sales import (
    OrderFilterForm, OrderForm, OrderLineEditFormSet, OrderLineFormSet, PaymentForm, line_initial,
)
from kehu.customfields.values import list_filtered
from kehu.web.lists import chosen_sort, list_context
from kehu.web.views.common import add_service_errors, int_or_none, paginate


# the sorts the list offers (kehu.web.lists): each a keyset ordering ending in id
ORDER_SORTS = {
    "-date": ("-order_date", "-id"), "date": ("order_date", "id"),
    "ref": ("ref", "id"), "-ref": ("-ref", "-id"),
    "amount": ("amount", "id"), "-amount": ("-amount", "-id"),
}


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
    qs, custom_filtered = list_filtered("orders", qs, request)
    sort = chosen_sort(request, ORDER_SORTS, "-date")
    page = paginate(request, qs, ORDER_SORTS[sort])
    return render(request, "web/orders/list.html", {
        "nav_active": "orders", "title": _("Orders"), "form": form, "page": page, "customer": customer,
        "sort": sort, "filtered": bool(request.GET.get("q") or request.GET.get("date_from")
                                        or request.GET.get("date_to") or custom_filtered),
        "can_create": not policy_for(request.user).change_scope.nothing,
        **list_context(request, "orders", sort=sort),
    })


@login_required
def order_detail(request, pk):
    order = order_get(viewer=request.user, pk=pk)
    can_change = policy_for(request.user).can_change(order.customer)
    return render(request, "web/orders/detail.html", {
        "nav_active": "orders", "title": _("Order %(ref)s") % {"ref": order.ref},
        "order": order, "lines": list(order.lines.all()), "payments": list(order.payments.all()),
        "can_change": can_change, "payment_form": PaymentForm() if can_change else None,
        "can_approve": order.approval == "pending" and policy_for(request.user).can_approve_order(order),
        "note_max": REMARKS_MAX,
    })


def _changeable_order(request, pk):
    """An order of a customer the user may change: 404 when they may not see
    it, 403 when they may only look."""
    order = order_get(viewer=request.user, pk=pk)
    if not policy_for(request.user).can_change(order.customer):
        raise PermissionDenied
    return order


@login_required
def payment_create(request, pk):
    order = _changeable_order(request, pk)
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


def _offered_products(kept_ids=frozenset()) -> list[Product]:
    """The products a line may name: the active ones, and those an order
    being changed already has (active or not)."""
    products = list(Product.objects.filter(active=True).order_by("name", "id")[:1000])
    missing = set(kept_ids) - {p.pk for p in products}
    if missing:
        products += list(Product.objects.filter(pk__in=missing).order_by("name", "id"))
    return products


@login_required
def order_create(request, pk):
    policy = policy_for(request.user)
    customer = policy.get_changeable(pk, Customer.objects.select_related("owner"))
    form_kwargs = {"products": _offered_products(), "show_cost": policy.may_see_cost}
    if request.method == "POST":
        form = OrderForm(request.POST, policy=policy, customer=customer)
        formset = OrderLineFormSet(request.POST, prefix="lines", form_kwargs=form_kwargs)
        if form.is_valid() and formset.is_valid():
            data = form.service_data()
            if not data.get("ref"):
                data.pop("ref", None)
            if not policy.is_partner:   # a partner user's order has no salesperson of the company
                data["salesperson"] = request.user
            try:
                order = order_create_service(actor=request.user, customer=customer, data=data,
                                             lines=formset.lines())
            except ValidationError as exc:
                add_service_errors(form, exc)
            else:
                messages.success(request, _("Order %(ref)s created.") % {"ref": order.ref})
                for warning in order_warnings(order, viewer=request.user):
                    messages.warning(request, warning)
                return redirect("order_detail", pk=order.pk)
    else:
        form = OrderForm(policy=policy, customer=customer)
        formset = OrderLineFormSet(prefix="lines", form_kwargs=form_kwargs)
    return render(request, "web/orders/form.html", {
        "nav_active": "orders", "title": _("New order for %(customer)s") % {"customer": customer.name},
        "customer": customer, "form": form, "formset": formset, "credit": _credit_notice(customer),
    })


def _credit_notice(customer) -> list[str]:
    """What the order form warns about before an order is entered: overdue payments, and
    how much of the credit limit is left (an order beyond it waits for a manager)."""
    from kehu.sales.key_account_selectors import credit_position
    from kehu.sales.services import CENT, order_date_today
    from kehu.sales.terms import customer_terms

    position = credit_position(customer, today=order_date_today())
    limit = customer_terms(customer).credit_limit
    out = []
    if position["overdue"] > 0:
        out.append(_("The customer has overdue payments (%(amount)s): a new order will wait for a manager's "
                     "approval.") % {"amount": position["overdue"].quantize(CENT)})
    if limit is not None:
        out.append(_("Credit limit %(limit)s; the customer owes %(owed)s. An order that takes it beyond the "
                     "limit waits for a manager's approval.") % {"limit": limit.quantize(CENT),
                                                                 "owed": position["outstanding"].quantize(CENT)})
    return out


@login_required
def order_decide(request, pk):
    """Approve or reject an order waiting for approval (POST; the policy decides: 403)."""
    order = order_get(viewer=request.user, pk=pk)
    if request.method != "POST":
        return redirect("order_detail", pk=order.pk)
    note = request.POST.get("note", "")
    try:
        if request.POST.get("decision") == "reject":
            order_reject(actor=request.user, order=order, note=note)
            messages.success(request, _("Order %(ref)s rejected and cancelled.") % {"ref": order.ref})
        else:
            order_approve(actor=request.user, order=order, note=note)
            messages.success(request, _("Order %(ref)s approved.") % {"ref": order.ref})
    except ValidationError as exc:
        for m in exc.messages:
            messages.error(request, m)
    except ApprovalNotPending as exc:
        messages.error(request, str(exc))
    return redirect("order_detail", pk=order.pk)


@login_required
def order_edit(request, pk):
    """Change an order's header and lines on the form it was created with.
    Lines are only rewritten when a row changed; untouched rows keep their
    amounts to the cent."""
    order = _changeable_order(request, pk)
    current = list(order.lines.all())
    kept_ids = {ln.product_id for ln in current if ln.product_id}
    form_kwargs = {"products": _offered_products(kept_ids), "kept_product_ids": kept_ids,
                   "show_cost": policy_for(request.user).may_see_cost}
    initial = line_initial(current)
    if request.method == "POST":
        form = OrderForm(request.POST, instance=order, policy=policy_for(request.user))
        formset = OrderLineEditFormSet(request.POST, prefix="lines", initial=initial, form_kwargs=form_kwargs)
        if form.is_valid() and formset.is_valid():
            lines = formset.lines(kept=current) if formset.has_changed() else None
            try:
                order_update(actor=request.user, order=order, data=form.changed_service_data(), lines=lines)
            except ValidationError as exc:
                add_service_errors(form, exc)
            else:
                messages.success(request, _("Order %(ref)s saved.") % {"ref": order.ref})
                for warning in order_warnings(order, viewer=request.user):
                    messages.warning(request, warning)
                return redirect("order_detail", pk=order.pk)
    else:
        form = OrderForm(instance=order, policy=policy_for(request.user))
        formset = OrderLineEditFormSet(prefix="lines", initial=initial, form_kwargs=form_kwargs)
    return render(request, "web/orders/form.html", {
        "nav_active": "orders", "title": _("Edit order %(ref)s") % {"ref": order.ref},
        "customer": order.customer, "order": order, "form": form, "formset": formset,
    })


@login_required
def order_cancel(request, pk):
    """Cancel an order after a confirmation: it stays, out of the totals."""
    order = _changeable_order(request, pk)
    if order.status == OrderStatus.CANCELLED:
        messages.info(request, _("Order %(ref)s is already cancelled.") % {"ref": order.ref})
        return redirect("order_detail", pk=order.pk)
    if request.method == "POST":
        order_update(actor=request.user, order=order, data={"status": OrderStatus.CANCELLED})
        messages.success(request, _("Order %(ref)s cancelled.") % {"ref": order.ref})
        return redirect("order_detail", pk=order.pk)
    return render(request, "web/orders/cancel.html", {
        "nav_active": "orders", "title": _("Cancel order %(ref)s") % {"ref": order.ref}, "order": order,
    })


@login_required
def order_delete(request, pk):
    """Delete an order after a confirmation; one with payments cannot be
    deleted (the page says so and offers to cancel it)."""
    order = _changeable_order(request, pk)
    if request.method == "POST":
        try:
            order_delete_service(actor=request.user, order=order)
        except ValidationError as exc:
            for message in exc.messages:
                messages.error(request, message)
            return redirect("order_detail", pk=order.pk)
        messages.success(request, _("Order %(ref)s deleted.") % {"ref": order.ref})
        return redirect(reverse("customer_detail", args=[order.customer_id]) + "#orders")
    return render(request, "web/orders/delete.html", {
        "nav_active": "orders", "title": _("Delete order %(ref)s") % {"ref": order.ref}, "order": order,
        "payment_count": len(order.payments.all()), "line_count": len(order.lines.all()),
    })
