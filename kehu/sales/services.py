"""Writes to products, orders and payments. Order totals are recomputed from lines here."""

from __future__ import annotations

from decimal import Decimal, InvalidOperation
from typing import Any, Iterable

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Sum
from django.utils.translation import gettext as _

from kehu.audit.services import audit_record, diff, snapshot
from kehu.customers.models import Customer
from kehu.org.models import Role
from kehu.numbering.services import save_numbered
from kehu.org.policies import policy_for
from kehu.sales.models import Order, OrderApproval, OrderLine, Payment, Product, ProductLine
from kehu.sales.purchase_summary import orders_written
from kehu.validators import REMARKS_MAX

CENT = Decimal("0.01")


def _may_manage_catalogue(actor) -> bool:
    policy = policy_for(actor)
    return policy.is_admin or (policy.active and policy.role == Role.SALES_MANAGER)


def product_line_create(*, actor, code: str, name: str) -> ProductLine:
    """Add a product line. Codes are unique whatever their case: ``plate``
    and ``PLATE`` would name the same line in an import."""
    if not _may_manage_catalogue(actor):
        raise PermissionDenied(_("Only administrators and sales managers manage products."))
    line = ProductLine(code=code.strip(), name=name.strip())
    with transaction.atomic():
        if line.code and ProductLine.objects.filter(code__iexact=line.code).exists():
            raise ValidationError({"code": _("A product line with the code %(code)s already exists.") % {
                "code": line.code}})
        line.full_clean()
        line.save()
        audit_record(actor=actor, action="create", instance=line, changes=snapshot(line), summary=line.name)
    return line


def product_line_rename(*, actor, line: ProductLine, name: str) -> ProductLine:
    """Give a product line a new name. Its code stays: it is how imports and
    other systems name the line."""
    if not _may_manage_catalogue(actor):
        raise PermissionDenied(_("Only administrators and sales managers manage products."))
    before = snapshot(line)
    line.name = name.strip()
    with transaction.atomic():
        line.full_clean()
        line.save()
        changes = diff(before, snapshot(line))
        if changes:
            audit_record(actor=actor, action="update", instance=line, changes=changes, summary=line.name)
    return line


WARRANTY_FIELDS = ("warranty_months", "return_days", "exchange_days")


def product_line_set_warranty(*, actor, line: ProductLine, data: dict[str, Any]) -> ProductLine:
    """Set a product line's "three guarantees" (三包) terms: ``warranty_months``,
    ``return_days``, ``exchange_days`` — each a whole number ≥ 0, or None for "not
    set" (0 means "none"). Only the terms given change."""
    if not _may_manage_catalogue(actor):
        raise PermissionDenied(_("Only administrators and sales managers manage products."))
    unknown = set(data) - set(WARRANTY_FIELDS)
    if unknown:
        raise ValidationError({k: _("Unknown field.") for k in sorted(unknown)})
    before = snapshot(line, list(WARRANTY_FIELDS))
    for k, v in data.items():
        setattr(line, k, v)
    with transaction.atomic():
        line.full_clean()
        line.save(update_fields=[*data, "updated_at"] if data else None)
        changes = diff(before, snapshot(line, list(WARRANTY_FIELDS)))
        if changes:
            audit_record(actor=actor, action="update", instance=line, changes=changes, summary=line.name)
    return line


PRODUCT_FIELDS = {"ref", "name", "line", "unit", "unit_price", "unit_cost", "active", *WARRANTY_FIELDS}


def product_create(*, actor, data: dict[str, Any]) -> Product:
    if not _may_manage_catalogue(actor):
        raise PermissionDenied(_("Only administrators and sales managers manage products."))
    unknown = set(data) - PRODUCT_FIELDS
    if unknown:
        raise ValidationError({k: _("Unknown field.") for k in unknown})
    product = Product(**data)
    with transaction.atomic():
        product.full_clean()
        product.save()
        audit_record(actor=actor, action="create", instance=product, changes=snapshot(product), summary=product.name)
    return product


def product_update(*, actor, product: Product, data: dict[str, Any]) -> Product:
    if not _may_manage_catalogue(actor):
        raise PermissionDenied(_("Only administrators and sales managers manage products."))
    unknown = set(data) - PRODUCT_FIELDS
    if unknown:
        raise ValidationError({k: _("Unknown field.") for k in unknown})
    before = snapshot(product)
    for k, v in data.items():
        setattr(product, k, v)
    with transaction.atomic():
        product.full_clean()
        product.save()
        changes = diff(before, snapshot(product))
        if changes:
            audit_record(actor=actor, action="update", instance=product, changes=changes, summary=product.name)
    return product


def product_delete(*, actor, product: Product) -> None:
    if not _may_manage_catalogue(actor):
        raise PermissionDenied(_("Only administrators and sales managers manage products."))
    if product.order_lines.exists():
        raise ValidationError(_("This product has been ordered and cannot be deleted; mark it inactive instead."))
    if product.quote_lines.exists():
        raise ValidationError(_("This product is on a quote and cannot be deleted; mark it inactive instead."))
    with transaction.atomic():
        audit_record(actor=actor, action="delete", instance=product, changes=snapshot(product), summary=product.name)
        product.delete()


def _money(value, field: str) -> Decimal:
    try:
        d = Decimal(str(value))
    except (InvalidOperation, ValueError, TypeError):
        raise ValidationError({field: _("Enter a number.")}) from None
    if not d.is_finite():
        raise ValidationError({field: _("Enter a number.")})
    return d


def build_lines(lines: Iterable[dict[str, Any]]) -> list[OrderLine]:
    """Order lines from dicts with ``product`` (optional), ``quantity``,
    ``unit_price`` and/or ``amount``, and ``cost`` (total) or ``unit_cost``.

    Missing prices come from the product; the line amount is quantity × unit
    price unless given.
    """
    built = []
    for i, raw in enumerate(lines, start=1):
        product: Product | None = raw.get("product")
        qty = _money(raw.get("quantity", 1) or 1, f"lines.{i}.quantity")
        if qty <= 0:
            raise ValidationError({f"lines.{i}.quantity": _("The quantity must be greater than zero.")})
        if raw.get("unit_price") not in (None, ""):
            unit_price = _money(raw["unit_price"], f"lines.{i}.unit_price")
        elif raw.get("amount") not in (None, ""):
            unit_price = (_money(raw["amount"], f"lines.{i}.amount") / qty).quantize(CENT)
        elif product is not None:
            unit_price = product.unit_price
        else:
            raise ValidationError({f"lines.{i}.unit_price": _("Give a unit price or an amount.")})
        amount = (
            _money(raw["amount"], f"lines.{i}.amount") if raw.get("amount") not in (None, "")
            else (qty * unit_price).quantize(CENT)
        )
        if raw.get("cost") not in (None, ""):
            cost = _money(raw["cost"], f"lines.{i}.cost")
        elif raw.get("unit_cost") not in (None, ""):
            cost = (qty * _money(raw["unit_cost"], f"lines.{i}.unit_cost")).quantize(CENT)
        elif product is not None:
            cost = (qty * product.unit_cost).quantize(CENT)
        else:
            cost = Decimal("0")
        if amount < 0 or cost < 0:
            raise ValidationError({f"lines.{i}.amount": _("Amounts cannot be negative.")})
        serial = str(raw.get("serial_number") or "").strip()
        if len(serial) > 100:
            raise ValidationError({f"lines.{i}.serial_number": _("At most 100 characters.")})
        built.append(OrderLine(product=product, description=raw.get("description", "")[:200], serial_number=serial,
                               quantity=qty, unit_price=unit_price, amount=amount.quantize(CENT),
                               cost=cost.quantize(CENT)))
    if not built:
        raise ValidationError({"lines": _("An order needs at least one line.")})
    return built


ORDER_FIELDS = {"ref", "order_date", "status", "currency", "payment_due_on", "salesperson", "remarks", "custom",
                "partner", "partner_margin_pct"}
PARTNER_SET_FIELDS = ("partner", "partner_margin_pct", "salesperson")


def _refuse_cost(*, actor, lines: list[dict[str, Any]]) -> None:
    """A partner user sets no cost (the company's, confidential: ``policy.may_see_cost``);
    their lines cost what the product costs, as when no cost is given."""
    if policy_for(actor).may_see_cost:
        return
    given = {f"lines.{i}.{k}": _("The company sets the cost; leave it out.")
             for i, raw in enumerate(lines, start=1) for k in ("cost", "unit_cost") if raw.get(k) not in (None, "")}
    if given:
        raise ValidationError(given)


def _order_partner(*, actor, customer: Customer, data: dict[str, Any], check_permissions: bool) -> None:
    """Who the order is sold through (伙伴), filled into ``data`` for a new order.

    A partner user's order is their partner's, at its margin — they choose neither, nor a
    salesperson. The company's people name a partner (default: the customer's partner) and a
    margin (default: the partner's); no partner, no margin."""
    from kehu.org.models import Partner

    policy = policy_for(actor) if check_permissions else None
    if policy is not None and policy.is_partner:
        given = [k for k in PARTNER_SET_FIELDS if data.get(k) not in (None, "")]
        if given:
            raise ValidationError({k: _("The company sets this for orders sold through partners.") for k in given})
        partner = Partner.objects.get(pk=actor.partner_id)
        data["partner"], data["partner_margin_pct"] = partner, partner.margin_pct
        return
    if "partner" not in data and customer.partner_id:
        data["partner"] = Partner.objects.get(pk=customer.partner_id)
    partner = data.get("partner")
    if partner is None:
        if data.get("partner_margin_pct") not in (None, ""):
            raise ValidationError({"partner_margin_pct": _("A margin needs a partner.")})
        data["partner_margin_pct"] = None
    elif data.get("partner_margin_pct") in (None, ""):
        data["partner_margin_pct"] = partner.margin_pct


def next_order_ref() -> str:
    """A new order number ``SO`` + 9 digits, from the order counter (atomic; skips numbers
    typed by hand: :mod:`kehu.numbering.services`)."""
    from kehu.numbering.services import next_code

    return next_code("order")


def order_create(*, actor, customer: Customer, data: dict[str, Any], lines: Iterable[dict[str, Any]],
                 check_permissions: bool = True, enforce_terms: bool | None = None) -> Order:
    """A new order. ``enforce_terms`` (default: as ``check_permissions``, so a user's
    order): an order that takes the customer beyond its credit limit, or from a
    customer with overdue payments, is created waiting for a manager's approval
    (:func:`order_credit_check`) and the team's manager gets a task. System writes
    (``check_permissions=False``: the demo, tests' factories) and imports of historical
    orders (kehu/imports, which insert rows directly) leave ``approval`` "not needed"."""
    if enforce_terms is None:
        enforce_terms = check_permissions
    if check_permissions and not policy_for(actor).can_change(customer):
        raise PermissionDenied(_("You may not change this customer."))
    unknown = set(data) - ORDER_FIELDS
    if unknown:
        raise ValidationError({k: _("Unknown field.") for k in unknown})
    data = dict(data)
    if "custom" in data or check_permissions:   # a user's order: its custom fields, required ones too
        from kehu.customfields.values import clean_custom_values

        data["custom"] = clean_custom_values("order", data.get("custom"))
    _order_partner(actor=actor, customer=customer, data=data, check_permissions=check_permissions)
    lines = list(lines)
    if check_permissions:
        _refuse_cost(actor=actor, lines=lines)
    numbered = not data.get("ref")
    if numbered:
        data["ref"] = next_order_ref()
    built = build_lines(lines)
    order = Order(customer=customer, **data)
    order.amount = sum((ln.amount for ln in built), Decimal("0"))
    order.cost = sum((ln.cost for ln in built), Decimal("0"))
    check = None
    if enforce_terms and order.status != "cancelled":
        check = order_credit_check(customer, order.amount, today=order_date_today())
        if check.needs_approval:
            order.approval = OrderApproval.PENDING
            order.approval_reason = "\n".join(credit_check_messages(check))
    with transaction.atomic():
        order.full_clean()
        save_numbered(order, series="order" if numbered else None,
                      taken=_("An order with this number already exists."))
        for ln in built:
            ln.order = order
        OrderLine.objects.bulk_create(built)
        audit_record(actor=actor, action="create", instance=order, customer_id=customer.pk,
                     changes=snapshot(order), summary=f"{order.ref} {order.amount}")
        if order.status != "cancelled":   # an order makes a customer (kehu/sales/lifecycle.py)
            from kehu.customers.models import LifecycleStage
            from kehu.sales.lifecycle import lifecycle_advance

            lifecycle_advance(customer=customer, to_stage=LifecycleStage.CUSTOMER, actor=actor,
                              reason=_("Order %(ref)s") % {"ref": order.ref})
            from kehu.marketing.winback.services import winback_on_order

            winback_on_order(order=order, actor=actor)   # a lost customer's new order wins it back
        if order.approval == OrderApproval.PENDING:
            _approval_task(order, actor)
        orders_written([customer.pk], order=order)
    return order


# -- the enforced terms: credit limit and overdue payments (issue 15, item 5) ----------------

def order_date_today():
    from django.utils import timezone

    return timezone.localdate()


def order_credit_check(customer: Customer, amount: Decimal, *, today):
    """The credit check of a new order of ``amount`` for ``customer``: its terms
    (kehu/sales/terms.py: the tier's, or the active key-account plan's) against what it
    owes now (kehu/analytics/key_accounts.py)."""
    from kehu.analytics.key_accounts import credit_check
    from kehu.sales.key_account_selectors import credit_position
    from kehu.sales.terms import customer_terms

    position = credit_position(customer, today=today)
    return credit_check(outstanding=position["outstanding"], order_amount=amount,
                        credit_limit=customer_terms(customer).credit_limit, overdue_amount=position["overdue"])


def credit_check_messages(check) -> list[str]:
    """Why an order waits for approval, for the order form, the order page and the task."""
    out = []
    if check.over_limit:
        out.append(_("With this order the customer would owe %(projected)s, beyond its credit limit of "
                     "%(limit)s.") % {"projected": check.projected.quantize(CENT),
                                      "limit": check.credit_limit.quantize(CENT)})
    if check.overdue:
        out.append(_("The customer has overdue payments: %(amount)s past the payment date.") % {
            "amount": check.overdue_amount.quantize(CENT)})
    return out


def approval_manager(order: Order):
    """Who is asked to approve: the manager of the salesperson's team (else of the
    customer owner's team), up the teams, else the head office's manager."""
    from kehu.service.sla import _manager_of, head_office_person

    person = order.salesperson or order.customer.owner
    team = getattr(person, "team", None)
    while team is not None:
        manager = _manager_of(team)
        if manager is not None:
            return manager
        team = team.parent
    return head_office_person()


def _approval_task(order: Order, actor) -> None:
    from kehu.engagement.services import task_create_from_source

    manager = approval_manager(order)
    if manager is None:
        return
    task_create_from_source(
        customer=order.customer, assigned_to=manager, source="manual", source_ref={"order_approval": order.pk},
        title=_("Approve order %(ref)s for %(customer)s") % {"ref": order.ref, "customer": order.customer.name},
        description=order.approval_reason, due_on=order_date_today(),
        created_by=actor if getattr(actor, "pk", None) else None)


class ApprovalNotPending(Exception):
    """The order is not waiting for approval (the API's 409)."""


def _decide(*, actor, order: Order, to: str, note: str) -> Order:
    from django.utils import timezone

    if not policy_for(actor).can_approve_order(order):
        raise PermissionDenied(_("Only a sales manager of the customer's team or an administrator approves orders."))
    note = (note or "").strip()
    if len(note) > REMARKS_MAX:
        raise ValidationError({"note": _("At most %(count)s characters.") % {"count": REMARKS_MAX}})
    if to == OrderApproval.REJECTED and not note:
        raise ValidationError({"note": _("Say why the order is rejected.")})
    with transaction.atomic():
        locked = Order.objects.select_for_update().get(pk=order.pk)
        if locked.approval != OrderApproval.PENDING:
            raise ApprovalNotPending(_("Order %(ref)s is not waiting for approval.") % {"ref": order.ref})
        before = snapshot(order)
        order.approval, order.approval_by, order.approval_at, order.approval_note = to, actor, timezone.now(), note
        fields = ["approval", "approval_by", "approval_at", "approval_note", "updated_at"]
        if to == OrderApproval.REJECTED:
            order.status = "cancelled"   # a rejected order is not sold: it no longer counts as owed
            fields.append("status")
        order.save(update_fields=fields)
        audit_record(actor=actor, action="approve" if to == OrderApproval.APPROVED else "reject", instance=order,
                     customer_id=order.customer_id, changes=diff(before, snapshot(order)), summary=order.ref)
        _close_approval_task(order, actor)
        if to == OrderApproval.REJECTED:   # cancelled: the customer's summary and scores follow
            orders_written([order.customer_id], order=order)
    return order


def _close_approval_task(order: Order, actor) -> None:
    from kehu.engagement.models import Task

    Task.objects.filter(source="manual", source_ref__order_approval=order.pk, status="open").update(
        status="done", completed_at=order.approval_at)


def order_approve(*, actor, order: Order, note: str = "") -> Order:
    """A manager lets a pending order go ahead (audited)."""
    return _decide(actor=actor, order=order, to=OrderApproval.APPROVED, note=note)


def order_reject(*, actor, order: Order, note: str) -> Order:
    """A manager refuses a pending order, saying why; the order is cancelled (audited)."""
    return _decide(actor=actor, order=order, to=OrderApproval.REJECTED, note=note)


def _line_text(line: OrderLine) -> str:
    """An order line as the change history shows it: ``P001 Steel coil × 3 = 300.00``."""
    what = " ".join(x for x in (line.product.ref if line.product_id else "", line.description) if x) or "—"
    return f"{what} × {format(line.quantity.normalize(), 'f')} = {line.amount.quantize(CENT)}"


def order_update(*, actor, order: Order, data: dict[str, Any], lines: Iterable[dict[str, Any]] | None = None,
                 custom_partial: bool = False) -> Order:
    """Change an order; ``lines``, when given, replace all its lines and the
    totals follow. Payments stay. The audit record lists the lines before and
    after when they changed. ``data["custom"]``: as for ``customer_update``."""
    if not policy_for(actor).can_change(order.customer):
        raise PermissionDenied(_("You may not change this customer."))
    unknown = set(data) - ORDER_FIELDS
    if unknown:
        raise ValidationError({k: _("Unknown field.") for k in unknown})
    if policy_for(actor).is_partner:
        changed = [k for k in PARTNER_SET_FIELDS if k in data
                   and getattr(data[k], "pk", data[k]) != getattr(order, k if k != "partner" and k != "salesperson"
                                                                   else f"{k}_id")]
        if changed:
            raise ValidationError({k: _("The company sets this for orders sold through partners.") for k in changed})
    if "custom" in data:
        from kehu.customfields.values import clean_custom_values

        data = {**data, "custom": clean_custom_values("order", data["custom"], current=order.custom,
                                                      partial=custom_partial)}
    if lines is not None:
        lines = list(lines)
        _refuse_cost(actor=actor, lines=lines)
    before = snapshot(order)
    lines_before = [_line_text(ln) for ln in order.lines.select_related("product")] if lines is not None else None
    for k, v in data.items():
        setattr(order, k, v)
    with transaction.atomic():
        if lines is not None:
            built = build_lines(lines)
            order.lines.all().delete()
            for ln in built:
                ln.order = order
            OrderLine.objects.bulk_create(built)
            order.amount = sum((ln.amount for ln in built), Decimal("0"))
            order.cost = sum((ln.cost for ln in built), Decimal("0"))
        order.full_clean()
        if order.amount < order.paid_amount:
            raise ValidationError({"lines": _(
                "The new total (%(amount)s) is less than what has been paid (%(paid)s).") % {
                "amount": order.amount.quantize(CENT), "paid": order.paid_amount.quantize(CENT)}})
        order.save()
        changes = diff(before, snapshot(order))
        if lines is not None:
            lines_after = [_line_text(ln) for ln in built]
            if lines_after != lines_before:
                changes["lines"] = [lines_before, lines_after]
        if changes:
            audit_record(actor=actor, action="update", instance=order, customer_id=order.customer_id,
                         changes=changes, summary=order.ref)
        orders_written([order.customer_id], order=order)
    return order


def order_delete(*, actor, order: Order) -> None:
    """Delete an order with its lines. An order with payments is refused:
    money received is company history; cancel the order instead."""
    from kehu.attachments.services import attachments_delete

    if not policy_for(actor).can_change(order.customer) or not policy_for(actor).may_delete_customers:
        raise PermissionDenied(_("You may not change this customer."))   # partner users delete no orders
    if order.payments.exists():
        raise ValidationError(_("This order has payments and cannot be deleted; cancel it instead."))
    with transaction.atomic():
        audit_record(actor=actor, action="delete", instance=order, customer_id=order.customer_id,
                     changes=snapshot(order), summary=order.ref)
        attachments_delete(queryset=order.attachments.all())
        customer_id = order.customer_id
        order.delete()
        orders_written([customer_id])


def order_warnings(order: Order, lines: Iterable[OrderLine] | None = None, *, viewer=None) -> list[str]:
    """What the person entering ``order`` should hear about, without refusing
    it: that it waits for a manager's approval (credit limit, overdue payments),
    lines sold below their cost (a promotion, or a mistyped price) — the latter
    not to a ``viewer`` who may not see the cost (a partner user)."""
    warnings = []
    if order.approval == OrderApproval.PENDING:
        warnings.append(_("This order waits for a manager's approval: %(reason)s") % {
            "reason": " ".join(order.approval_reason.splitlines())})
    if viewer is not None and not policy_for(viewer).may_see_cost:
        return warnings
    lines = list(order.lines.all()) if lines is None else list(lines)
    for i, line in enumerate(lines, start=1):
        if line.amount < line.cost:
            warnings.append(_("Line %(line)d is sold below cost: amount %(amount)s, cost %(cost)s.") % {
                "line": i, "amount": line.amount.quantize(CENT), "cost": line.cost.quantize(CENT)})
    if len(lines) > 1 and order.amount < order.cost:
        warnings.append(_("The order is sold below cost: amount %(amount)s, cost %(cost)s.") % {
            "amount": order.amount.quantize(CENT), "cost": order.cost.quantize(CENT)})
    return warnings


def payment_record(*, actor, order: Order, amount, received_on, method: str = "", reference: str = "") -> Payment:
    """Record money received (回款) and update the order's paid amount.

    A payment is at most what the order still owes: more would leave a
    negative amount outstanding (Kehu keeps no prepayments). The order row
    is locked while the payment is checked, so two payments at once cannot
    together pay more than the order's amount."""
    if not policy_for(actor).can_change(order.customer):
        raise PermissionDenied(_("You may not change this customer."))
    payment = Payment(order=order, amount=_money(amount, "amount"), received_on=received_on,
                      method=method, reference=reference)
    with transaction.atomic():
        payment.full_clean()
        locked = Order.objects.select_for_update().only("amount").get(pk=order.pk)
        paid = Payment.objects.filter(order_id=order.pk).aggregate(s=Sum("amount"))["s"] or Decimal("0")
        owed = locked.amount - paid
        if payment.amount > owed:
            if owed <= 0:
                message = _("This order is paid in full; no further payment can be recorded.")
            else:
                message = _("The payment (%(amount)s) is more than the order still owes (%(owed)s).") % {
                    "amount": payment.amount.quantize(CENT), "owed": owed.quantize(CENT)}
            raise ValidationError({"amount": message})
        payment.save()
        order.paid_amount = order.payments.aggregate(s=Sum("amount"))["s"] or Decimal("0")
        order.save(update_fields=["paid_amount", "updated_at"])
        audit_record(actor=actor, action="payment", instance=order, customer_id=order.customer_id,
                     summary=f"{order.ref} +{payment.amount}", changes={"paid_amount": str(order.paid_amount)})
        # a member's order paid in full earns its points (once per order; kehu.marketing.membership)
        from kehu.marketing.membership.services import on_order_paid

        on_order_paid(order, on=payment.received_on)
        # a referred customer's first order paid in full rewards the referrer (once; kehu.marketing.referrals)
        from kehu.marketing.referrals.services import on_order_paid as referral_on_order_paid

        referral_on_order_paid(order, on=payment.received_on)
        orders_written([order.customer_id], order=order)
    return payment
