"""Writes of quotes (报价单). Every write asks the one policy
(:meth:`~kehu.org.policies.CustomerPolicy.can_change_quote`, approval
:meth:`~kehu.org.policies.CustomerPolicy.may_approve_quote`), locks the row, refuses a quote
changed since the ``version`` the caller read (:class:`QuoteConflict`, the API's 409), adds
one to ``version`` and writes an audit event with the customer (the 360 timeline).

The life of a quote::

    draft ──submit──▶ approved ──send──▶ sent ──accept──▶ accepted (→ an order)
      ▲      │                   │          └──reject──▶ rejected
      │      └─(a discount above the ceiling)─▶ pending approval ──approve──▶ approved
      └──────────────────────── reject (by the manager) ◀──┘
    approved/sent past ``valid_until`` ──▶ expired (:func:`quotes_expire`)
    any but draft/accepted ──new version──▶ a new draft (V+1), the old one superseded

Only a draft is edited. The money of the lines and the totals is computed by
:mod:`kehu.analytics.quote_math` (line by line, to the fen, as a VAT invoice). **The
discount ceiling** is ``kehu.sales.terms.customer_terms(customer).discount_ceiling``: a
quote with any line's discount above it goes to the owner's team manager for approval
(a task) before it can be sent or accepted.

**Accepted → order.** The order (``order_create``) gets the same lines, each line's
amount the line's total *including* VAT (价税合计) and its unit price that total ÷ the
quantity: an order's ``amount`` in Kehu is what the customer pays, the sum that payments
(回款) are recorded against. The quote's opportunity, if still open, is won.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal, InvalidOperation
from typing import Any, Iterable

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import pgettext

from kehu.analytics import quote_math
from kehu.audit.services import audit_record, diff, snapshot
from kehu.org.policies import policy_for
from kehu.sales.models import Product, Quote, QuoteLine, QuoteStatus

CENT = Decimal("0.01")
VALID_DAYS = 30          # a new quote is valid this many days unless told
FIELDS = {"title", "issued_on", "valid_until", "currency", "prices_include_tax", "terms", "owner", "opportunity"}


class QuoteConflict(Exception):
    """The quote was changed by someone else since the caller read it."""

    def __init__(self, quote: Quote):
        self.quote = quote
        super().__init__(_("Quote %(ref)s was changed by someone else meanwhile (now version %(version)d); "
                           "reload it and make your change again.") % {"ref": quote, "version": quote.version})


class QuoteActionNotAllowed(Exception):
    """An action that the quote's status does not allow (the API's 409)."""


def _require_change(actor, quote: Quote) -> None:
    if not policy_for(actor).can_change_quote(quote):
        raise PermissionDenied(_("You may not change this quote."))


def _locked(quote: Quote, version: int | None) -> Quote:
    fresh = Quote.objects.select_for_update().select_related("customer").get(pk=quote.pk)
    if version is not None and fresh.version != version:
        raise QuoteConflict(fresh)
    return fresh


def _refresh(quote: Quote, fresh: Quote) -> None:
    if quote is not fresh:
        quote.refresh_from_db()


def _audit(actor, action: str, quote: Quote, changes: dict | None = None, summary: str = "") -> None:
    audit_record(actor=actor, action=action, instance=quote, customer_id=quote.customer_id, changes=changes,
                 summary=summary or f"{quote} · {quote.total}")


def _status_is(quote: Quote, *allowed: str, action: str) -> None:
    if quote.status not in allowed:
        raise QuoteActionNotAllowed(_("Quote %(ref)s is %(status)s; it cannot be %(action)s.") % {
            "ref": quote, "status": quote.get_status_display(), "action": action})


def _decimal(value, field: str) -> Decimal:
    try:
        d = Decimal(str(value))
    except (InvalidOperation, ValueError, TypeError):
        raise ValidationError({field: _("Enter a number.")}) from None
    if not d.is_finite():
        raise ValidationError({field: _("Enter a number.")})
    return d


def default_vat_rate(product: Product) -> Decimal:
    """The VAT rate a line of ``product`` starts with: its product line's, else 13 %."""
    return product.line.vat_rate if product.line_id else Decimal(13)


def build_lines(lines: Iterable[dict[str, Any]]) -> list[QuoteLine]:
    """Quote lines from dicts with ``product`` (a Product, required), ``quantity``,
    ``unit_price`` (default: the product's list price), ``discount`` (percent, default 0),
    ``vat_rate`` (percent, default: the product line's) and ``description``. Field errors
    are named ``lines.<n>.<field>``, numbered from 1."""
    built = []
    for i, raw in enumerate(lines, start=1):
        product = raw.get("product")
        if product is None:
            raise ValidationError({f"lines.{i}.product": _("Choose a product.")})
        qty = _decimal(raw.get("quantity") if raw.get("quantity") not in (None, "") else 1, f"lines.{i}.quantity")
        price = (product.unit_price if raw.get("unit_price") in (None, "")
                 else _decimal(raw["unit_price"], f"lines.{i}.unit_price"))
        discount = _decimal(raw.get("discount") or 0, f"lines.{i}.discount")
        rate = (default_vat_rate(product) if raw.get("vat_rate") in (None, "")
                else _decimal(raw["vat_rate"], f"lines.{i}.vat_rate"))
        if qty <= 0:
            raise ValidationError({f"lines.{i}.quantity": _("The quantity must be greater than zero.")})
        if qty != qty.quantize(Decimal("0.001")):
            raise ValidationError({f"lines.{i}.quantity": _("At most three decimal places.")})
        if price < 0 or price != price.quantize(CENT):
            raise ValidationError({f"lines.{i}.unit_price": _("A price of zero or more, to the fen.")})
        if not (0 <= discount <= 100) or discount != discount.quantize(CENT):
            raise ValidationError({f"lines.{i}.discount": _("A discount is between 0 and 100.")})
        if not (0 <= rate <= 100) or rate != rate.quantize(CENT):
            raise ValidationError({f"lines.{i}.vat_rate": _("A VAT rate is between 0 and 100.")})
        description = str(raw.get("description") or "").strip()
        if len(description) > 200:
            raise ValidationError({f"lines.{i}.description": _("At most 200 characters.")})
        built.append(QuoteLine(product=product, description=description, quantity=qty, unit_price=price,
                               discount=discount, vat_rate=rate))
    return built


def _price(quote: Quote, lines: list[QuoteLine]) -> None:
    """Each line's amount, tax and total and the quote's totals (kehu/analytics/quote_math.py)."""
    totals = quote_math.quote_totals(
        [quote_math.Line(ln.quantity, ln.unit_price, ln.discount, ln.vat_rate) for ln in lines],
        tax_included=quote.prices_include_tax)
    for ln, money in zip(lines, totals.lines, strict=True):
        ln.amount, ln.tax, ln.total = money.amount, money.tax, money.total
    quote.amount, quote.tax, quote.total = totals.amount, totals.tax, totals.total


def _line_text(line: QuoteLine) -> str:
    return (f"{line.product.ref} × {format(line.quantity.normalize(), 'f')} @ {line.unit_price} "
            f"-{format(line.discount.normalize(), 'f')}% {format(line.vat_rate.normalize(), 'f')}% = {line.total}")


def _save_lines(quote: Quote, built: list[QuoteLine]) -> None:
    quote.lines.all().delete()
    for ln in built:
        ln.quote = quote
    QuoteLine.objects.bulk_create(built)


def _check_fields(actor, data: dict, customer) -> None:
    unknown = set(data) - FIELDS
    if unknown:
        raise ValidationError({k: _("Unknown field.") for k in sorted(unknown)})
    opp = data.get("opportunity")
    if opp is not None and opp.customer_id != customer.pk:
        raise ValidationError({"opportunity": _("This opportunity is another customer's.")})
    owner = data.get("owner")
    if owner is not None and owner.pk != getattr(actor, "pk", None) and not policy_for(actor).can_assign_to(owner):
        raise ValidationError({"owner": _("You may not give quotes to %(user)s.") % {"user": owner}})


def _check_dates(quote: Quote) -> None:
    if quote.valid_until and quote.issued_on and quote.valid_until < quote.issued_on:
        raise ValidationError({"valid_until": _("The quote cannot expire before its date.")})


def next_quote_ref() -> str:
    """A new quote number ``QT`` + 9 digits (kehu/numbering, the ``quote`` series)."""
    from kehu.numbering.services import next_code

    return next_code("quote")


def quote_create(*, actor, customer, data: dict[str, Any], lines: Iterable[dict[str, Any]] = ()) -> Quote:
    """A draft quote for ``customer`` (one the actor may change), from its opportunity when
    ``data["opportunity"]`` is given. Dates default to today and today + 30 days."""
    if not policy_for(actor).can_change(customer):
        raise PermissionDenied(_("You may not change this customer."))
    data = dict(data)
    _check_fields(actor, data, customer)
    today = timezone.localdate()
    data.setdefault("issued_on", today)
    if data.get("issued_on") is None:
        data["issued_on"] = today
    if data.get("valid_until") is None:
        data["valid_until"] = data["issued_on"] + dt.timedelta(days=VALID_DAYS)
    if data.get("owner") is None:
        data["owner"] = actor if getattr(actor, "pk", None) else None
    built = build_lines(lines)
    quote = Quote(customer=customer, created_by=actor if getattr(actor, "pk", None) else None, **data)
    _price(quote, built)
    with transaction.atomic():
        quote.ref = next_quote_ref()
        _check_dates(quote)
        quote.full_clean()
        quote.save()
        _save_lines(quote, built)
        _audit(actor, "create", quote, snapshot(quote))
    return quote


def quote_update(*, actor, quote: Quote, data: dict[str, Any], lines: Iterable[dict[str, Any]] | None = None,
                 version: int | None = None) -> Quote:
    """Change a draft: its fields and, when ``lines`` is given, all its lines."""
    _require_change(actor, quote)
    data = dict(data)
    _check_fields(actor, data, quote.customer)
    built = build_lines(lines) if lines is not None else None
    with transaction.atomic():
        fresh = _locked(quote, version)
        _status_is(fresh, QuoteStatus.DRAFT, action=pgettext("quote action", "changed"))
        before = snapshot(fresh)
        lines_before = [_line_text(ln) for ln in fresh.lines.select_related("product")]
        for k, v in data.items():
            setattr(fresh, k, v)
        if built is None:
            built_now = list(fresh.lines.all())
            _price(fresh, built_now)
            QuoteLine.objects.bulk_update(built_now, ["amount", "tax", "total"])
        else:
            _price(fresh, built)
        _check_dates(fresh)
        fresh.full_clean()
        fresh.version += 1
        fresh.save()
        changes = diff(before, snapshot(fresh))
        if built is not None:
            _save_lines(fresh, built)
            after = [_line_text(ln) for ln in built]
            if after != lines_before:
                changes["lines"] = [lines_before, after]
        if changes:
            _audit(actor, "update", fresh, changes)
    _refresh(quote, fresh)
    return quote


def quote_delete(*, actor, quote: Quote) -> None:
    """Delete a draft (a quote once submitted is history: make a new version instead)."""
    _require_change(actor, quote)
    with transaction.atomic():
        fresh = _locked(quote, None)
        _status_is(fresh, QuoteStatus.DRAFT, action=pgettext("quote action", "deleted"))
        _audit(actor, "delete", fresh, snapshot(fresh))
        fresh.delete()


def discount_ceiling(quote: Quote) -> Decimal | None:
    """The customer's discount ceiling now (kehu/sales/terms.py), percent; None: none."""
    from kehu.sales.terms import customer_terms

    return customer_terms(quote.customer).discount_ceiling


def needs_approval(quote: Quote, ceiling: Decimal | None) -> bool:
    return quote_math.over_ceiling(
        [quote_math.Line(ln.quantity, ln.unit_price, ln.discount, ln.vat_rate) for ln in quote.lines.all()],
        ceiling)


def approver_for(quote: Quote):
    """Who is asked to approve: the manager of the salesperson's team, else of the nearest
    team above with one (as a service case escalates, kehu/service/sla.py), else the head
    office's manager or an administrator."""
    from kehu.service.sla import _manager_of, head_office_person

    team = getattr(quote.owner, "team", None) if quote.owner_id else None
    while team is not None:
        person = _manager_of(team)
        if person is not None and person.pk != quote.owner_id:
            return person
        team = team.parent
    return head_office_person()


def quote_submit(*, actor, quote: Quote, version: int | None = None) -> Quote:
    """Finish a draft: approved at once when no line's discount is above the customer's
    ceiling, else pending approval with a task to the team's manager."""
    _require_change(actor, quote)
    with transaction.atomic():
        fresh = _locked(quote, version)
        _status_is(fresh, QuoteStatus.DRAFT, action=pgettext("quote action", "submitted"))
        if not fresh.lines.exists():
            raise ValidationError({"lines": _("A quote needs at least one line.")})
        ceiling = discount_ceiling(fresh)
        fresh.discount_ceiling = ceiling
        fresh.submitted_at = timezone.now()
        fresh.approval_note = ""
        fresh.approved_by, fresh.approved_at = None, None
        if needs_approval(fresh, ceiling):
            fresh.status = QuoteStatus.PENDING
        else:
            fresh.status = QuoteStatus.APPROVED
        fresh.version += 1
        fresh.save()
        _audit(actor, "submit", fresh, {"status": [QuoteStatus.DRAFT, fresh.status]})
        if fresh.status == QuoteStatus.PENDING:
            _ask_approval(fresh)
    _refresh(quote, fresh)
    return quote


def _ask_approval(quote: Quote) -> None:
    from kehu.engagement.models import TaskSource
    from kehu.engagement.services import task_create_from_source

    top = max((ln.discount for ln in quote.lines.all()), default=Decimal(0))
    title = _("Approve quote %(ref)s: discount %(discount)s%% above the ceiling %(ceiling)s%%") % {
        "ref": quote, "discount": format(top.normalize(), "f"),
        "ceiling": format(quote.discount_ceiling.normalize(), "f")}
    body = _("Quote %(ref)s for %(customer)s, total %(total)s %(currency)s incl. VAT, asks for a discount above "
             "the customer's ceiling. Approve or refuse it on the quote's page.") % {
        "ref": quote, "customer": quote.customer.name, "total": quote.total, "currency": quote.currency}
    task_create_from_source(customer=quote.customer, assigned_to=approver_for(quote), source=TaskSource.MANUAL,
                            source_ref={"quote": quote.pk, "submitted": quote.submitted_at.isoformat()},
                            title=title, description=body, due_on=timezone.localdate() + dt.timedelta(days=1),
                            created_by=quote.owner)


def _close_approval_tasks(quote: Quote, actor) -> None:
    from kehu.engagement.models import Task, TaskStatus

    Task.objects.filter(source_ref__quote=quote.pk, status=TaskStatus.OPEN).update(
        status=TaskStatus.DONE, updated_at=timezone.now())


def quote_approve(*, actor, quote: Quote, note: str = "", version: int | None = None) -> Quote:
    """A manager approves a quote pending approval."""
    if not policy_for(actor).may_approve_quote(quote):
        raise PermissionDenied(_("Only the sales managers over this customer and administrators approve quotes."))
    with transaction.atomic():
        fresh = _locked(quote, version)
        _status_is(fresh, QuoteStatus.PENDING, action=pgettext("quote action", "approved"))
        fresh.status = QuoteStatus.APPROVED
        fresh.approved_by, fresh.approved_at, fresh.approval_note = actor, timezone.now(), note
        fresh.version += 1
        fresh.save()
        _close_approval_tasks(fresh, actor)
        _audit(actor, "approve", fresh, {"status": [QuoteStatus.PENDING, QuoteStatus.APPROVED], "note": note})
    _refresh(quote, fresh)
    return quote


def quote_reject(*, actor, quote: Quote, note: str = "", version: int | None = None) -> Quote:
    """Pending approval: the manager refuses it and it goes back to draft, with the note.
    Approved or sent: the customer said no, and it is rejected (final)."""
    with transaction.atomic():
        fresh = _locked(quote, version)
        if fresh.status == QuoteStatus.PENDING:
            if not policy_for(actor).may_approve_quote(fresh):
                raise PermissionDenied(_("Only the sales managers over this customer and administrators approve "
                                         "quotes."))
            fresh.status, fresh.approval_note = QuoteStatus.DRAFT, note
            fresh.approved_by, fresh.approved_at = actor, timezone.now()
            _close_approval_tasks(fresh, actor)
            action = "refuse"
        else:
            _require_change(actor, fresh)
            _status_is(fresh, QuoteStatus.APPROVED, QuoteStatus.SENT, action=pgettext("quote action", "rejected"))
            fresh.status, fresh.decided_at = QuoteStatus.REJECTED, timezone.now()
            action = "reject"
        fresh.version += 1
        fresh.save()
        _audit(actor, action, fresh, {"status": [QuoteStatus.PENDING if action == "refuse" else "", fresh.status],
                                      "note": note})
    _refresh(quote, fresh)
    return quote


def _not_expired(quote: Quote) -> None:
    if quote.valid_until < timezone.localdate():
        raise QuoteActionNotAllowed(_("Quote %(ref)s expired on %(day)s; make a new version.") % {
            "ref": quote, "day": quote.valid_until.isoformat()})


def quote_send(*, actor, quote: Quote, version: int | None = None) -> Quote:
    """Mark an approved quote sent to the customer."""
    _require_change(actor, quote)
    with transaction.atomic():
        fresh = _locked(quote, version)
        _status_is(fresh, QuoteStatus.APPROVED, action=pgettext("quote action", "sent"))
        _not_expired(fresh)
        fresh.status, fresh.sent_at = QuoteStatus.SENT, timezone.now()
        fresh.version += 1
        fresh.save()
        _audit(actor, "send", fresh, {"status": [QuoteStatus.APPROVED, QuoteStatus.SENT]})
    _refresh(quote, fresh)
    return quote


def quote_accept(*, actor, quote: Quote, version: int | None = None, order_date: dt.date | None = None) -> Quote:
    """The customer accepted: an order with the same lines, the quote linked to it, and
    the quote's opportunity won if it is open."""
    from kehu.sales.models import OrderStatus
    from kehu.sales.opportunities import opportunity_win
    from kehu.sales.services import order_create

    _require_change(actor, quote)
    with transaction.atomic():
        fresh = _locked(quote, version)
        _status_is(fresh, QuoteStatus.APPROVED, QuoteStatus.SENT, action=pgettext("quote action", "accepted"))
        _not_expired(fresh)
        lines = [{"product": ln.product, "description": ln.description, "quantity": ln.quantity,
                  "unit_price": (ln.total / ln.quantity).quantize(CENT), "amount": ln.total}
                 for ln in fresh.lines.select_related("product")]
        order = order_create(actor=actor, customer=fresh.customer, lines=lines, data={
            "order_date": order_date or timezone.localdate(), "status": OrderStatus.CONFIRMED,
            "currency": fresh.currency, "salesperson": fresh.owner,
            "remarks": _("From quote %(ref)s (excl. VAT %(amount)s, VAT %(tax)s).") % {
                "ref": fresh, "amount": fresh.amount, "tax": fresh.tax}})
        before = fresh.status
        fresh.status, fresh.decided_at, fresh.order = QuoteStatus.ACCEPTED, timezone.now(), order
        fresh.version += 1
        fresh.save()
        _audit(actor, "accept", fresh, {"status": [before, QuoteStatus.ACCEPTED], "order": order.ref})
        if fresh.opportunity_id:
            opp = fresh.opportunity
            if opp.is_open:
                opportunity_win(actor=actor, opportunity=opp, note=_("Quote %(ref)s accepted.") % {"ref": fresh})
    _refresh(quote, fresh)
    return quote


def quote_new_version(*, actor, quote: Quote, version: int | None = None) -> Quote:
    """A new draft (the next revision, same number) with the same fields and lines; the
    quote it replaces is superseded and stays readable. Not of a draft (change it) nor of
    an accepted quote (it has its order)."""
    _require_change(actor, quote)
    with transaction.atomic():
        fresh = _locked(quote, version)
        _status_is(fresh, QuoteStatus.PENDING, QuoteStatus.APPROVED, QuoteStatus.SENT, QuoteStatus.REJECTED,
                   QuoteStatus.EXPIRED, action=pgettext("quote action", "revised"))
        if Quote.objects.filter(previous=fresh).exists():
            raise QuoteActionNotAllowed(_("Quote %(ref)s already has a newer version.") % {"ref": fresh})
        today = timezone.localdate()
        new = Quote(customer=fresh.customer, opportunity=fresh.opportunity, ref=fresh.ref,
                    revision=fresh.revision + 1, previous=fresh, title=fresh.title, issued_on=today,
                    valid_until=max(fresh.valid_until, today + dt.timedelta(days=VALID_DAYS)),
                    currency=fresh.currency, prices_include_tax=fresh.prices_include_tax, terms=fresh.terms,
                    owner=fresh.owner, created_by=actor if getattr(actor, "pk", None) else None)
        lines = [QuoteLine(product=ln.product, description=ln.description, quantity=ln.quantity,
                           unit_price=ln.unit_price, discount=ln.discount, vat_rate=ln.vat_rate)
                 for ln in fresh.lines.select_related("product")]
        _price(new, lines)
        new.full_clean()
        new.save()
        _save_lines(new, lines)
        if fresh.status == QuoteStatus.PENDING:
            _close_approval_tasks(fresh, actor)
        old_status = fresh.status
        fresh.status = QuoteStatus.SUPERSEDED
        fresh.version += 1
        fresh.save()
        _audit(actor, "supersede", fresh, {"status": [old_status, QuoteStatus.SUPERSEDED]})
        _audit(actor, "create", new, snapshot(new))
    _refresh(quote, fresh)
    return new


def quotes_expire(*, today: dt.date | None = None) -> int:
    """Mark approved and sent quotes past their validity date expired (the system acts;
    run daily). Returns how many."""
    today = today or timezone.localdate()
    n = 0
    for quote in Quote.objects.filter(status__in=[QuoteStatus.APPROVED, QuoteStatus.SENT], valid_until__lt=today):
        with transaction.atomic():
            old = quote.status
            quote.status = QuoteStatus.EXPIRED
            quote.version += 1
            quote.save(update_fields=["status", "version", "updated_at"])
            _audit(None, "expire", quote, {"status": [old, QuoteStatus.EXPIRED]})
        n += 1
    return n
