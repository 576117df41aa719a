"""The quote pages (报价单): the list (on the shared list machinery), a new quote (for a
customer searched for, or from an opportunity), the quote page with its lines editor
(htmx: a line is added or removed in place; a plain post without JavaScript), the actions
(submit, approve, reject, send, accept, new version, delete) and the PDF. Reads through
``kehu.sales.quote_selectors``, writes through ``kehu.sales.quotes``; the policy decides
(404 / 403)."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Q
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from kehu.customers.models import Customer
from kehu.org.policies import policy_for
from kehu.pagination import Tier
from kehu.sales import quote_selectors as selectors
from kehu.sales.models import Opportunity, Product, QuoteStatus
from kehu.sales.quotes import (
    QuoteActionNotAllowed, QuoteConflict, quote_accept, quote_approve, quote_create, quote_delete, quote_new_version,
    quote_reject, quote_send, quote_submit, quote_update,
)
from kehu.web.lists import list_context
from kehu.web.views.common import int_or_none, paginate

SORT_TIERS = {
    "-created": [Tier(Q(), ("-created_at", "-id"))],
    "created": [Tier(Q(), ("created_at", "id"))],
    "total": [Tier(Q(), ("total", "id"))],
    "-total": [Tier(Q(), ("-total", "-id"))],
    "valid": [Tier(Q(), ("valid_until", "id"))],
    "-valid": [Tier(Q(), ("-valid_until", "-id"))],
}


def _errors(exc) -> list[str]:
    if isinstance(exc, ValidationError) and hasattr(exc, "error_dict"):
        return [f"{k}: {m}" if k != "__all__" else m for k, ms in exc.message_dict.items() for m in ms]
    if isinstance(exc, ValidationError):
        return list(exc.messages)
    return [str(exc)]


@login_required
def quote_list_view(request):
    status = request.GET.get("status", "")
    status = status if status in QuoteStatus.values else ""
    q = (request.GET.get("q") or "").strip()[:100]
    sort = request.GET.get("sort", "-created")
    sort = sort if sort in SORT_TIERS else "-created"
    qs = selectors.quote_list(viewer=request.user, filters=selectors.QuoteFilters(status=status, q=q))
    page = paginate(request, qs, tiers=SORT_TIERS[sort])
    return render(request, "sales/quotes/list.html", {
        "nav_active": "quotes", "title": _("Quotes"), "page": page, "status": status, "q": q,
        "statuses": QuoteStatus.choices, "can_create": policy_for(request.user).can_create,
        **list_context(request, "quotes", sort=sort)})


@login_required
def quote_create_view(request):
    """A new draft: for ``?customer=`` or from ``opportunity`` (posted from its page), else
    a customer is searched for first."""
    policy = policy_for(request.user)
    if request.method == "POST":
        opp = None
        opp_id = int_or_none(request.POST.get("opportunity"))
        if opp_id:
            opp = policy.visible_opportunities(Opportunity.objects.filter(pk=opp_id)).select_related(
                "customer").first()
            if opp is None:
                from django.http import Http404

                raise Http404
            customer = opp.customer
        else:
            customer = policy.get_visible(int_or_none(request.POST.get("customer")) or 0)
        if not policy.can_change(customer):
            raise PermissionDenied
        try:
            quote = quote_create(actor=request.user, customer=customer,
                                 data={"opportunity": opp, "title": opp.name[:200] if opp else ""})
        except ValidationError as exc:
            for m in _errors(exc):
                messages.error(request, m)
            return redirect("quote_list")
        messages.success(request, _("Quote %(ref)s made: add its lines.") % {"ref": quote})
        return redirect("quote_detail", pk=quote.pk)
    q = (request.GET.get("q") or "").strip()[:100]
    matches = list(policy.changeable(Customer.objects.filter(Q(name__icontains=q) | Q(ref__iexact=q)))
                   .order_by("name", "id")[:20]) if q else []
    return render(request, "sales/quotes/pick_customer.html", {
        "nav_active": "quotes", "title": _("New quote"), "q": q, "matches": matches})


def _context(request, quote, **extra):
    policy = policy_for(request.user)
    can_change = policy.can_change_quote(quote)
    return {"nav_active": "quotes", "title": str(quote), "quote": quote, "lines": list(selectors.quote_lines(quote)),
            "versions": list(selectors.quote_versions(quote)), "can_change": can_change,
            "may_approve": policy.may_approve_quote(quote),
            "editable": can_change and quote.status == QuoteStatus.DRAFT,
            "products": list(Product.objects.filter(active=True).select_related("line").order_by("ref")[:500])
            if can_change and quote.status == QuoteStatus.DRAFT else [], **extra}


@login_required
def quote_detail_view(request, pk):
    quote = selectors.quote_get(viewer=request.user, pk=pk)
    return render(request, "sales/quotes/detail.html", _context(request, quote))


def _changeable(request, pk):
    quote = selectors.quote_get(viewer=request.user, pk=pk)
    if not policy_for(request.user).can_change_quote(quote):
        raise PermissionDenied
    return quote


def _line_dicts(quote):
    return [{"product": ln.product, "quantity": ln.quantity, "unit_price": ln.unit_price, "discount": ln.discount,
             "vat_rate": ln.vat_rate, "description": ln.description} for ln in selectors.quote_lines(quote)]


def _lines_answer(request, quote, errors=()):
    """The lines editor again: the partial for htmx, else the page."""
    if request.headers.get("HX-Request"):
        quote = selectors.quote_get(viewer=request.user, pk=quote.pk)
        return render(request, "sales/quotes/_lines.html", _context(request, quote, line_errors=list(errors)))
    for m in errors:
        messages.error(request, m)
    return redirect("quote_detail", pk=quote.pk)


@login_required
@require_POST
def quote_line_add_view(request, pk):
    quote = _changeable(request, pk)
    product = Product.objects.filter(pk=int_or_none(request.POST.get("product")) or 0).first()
    new = {"product": product, "quantity": request.POST.get("quantity") or "1",
           "unit_price": request.POST.get("unit_price") or None, "discount": request.POST.get("discount") or "0",
           "vat_rate": request.POST.get("vat_rate") or None,
           "description": (request.POST.get("description") or "")[:300]}
    try:
        quote_update(actor=request.user, quote=quote, data={}, lines=[*_line_dicts(quote), new],
                     version=int_or_none(request.POST.get("version")))
    except (ValidationError, QuoteConflict, QuoteActionNotAllowed) as exc:
        return _lines_answer(request, quote, _errors(exc))
    return _lines_answer(request, quote)


@login_required
@require_POST
def quote_line_remove_view(request, pk, line_pk):
    quote = _changeable(request, pk)
    lines = [d for ln, d in zip(selectors.quote_lines(quote), _line_dicts(quote)) if ln.pk != line_pk]
    try:
        quote_update(actor=request.user, quote=quote, data={}, lines=lines,
                     version=int_or_none(request.POST.get("version")))
    except (ValidationError, QuoteConflict, QuoteActionNotAllowed) as exc:
        return _lines_answer(request, quote, _errors(exc))
    return _lines_answer(request, quote)


@login_required
@require_POST
def quote_edit_view(request, pk):
    import datetime as dt

    quote = _changeable(request, pk)
    data = {"title": (request.POST.get("title") or "").strip(), "terms": request.POST.get("terms") or "",
            "prices_include_tax": request.POST.get("prices_include_tax") == "on"}
    try:
        if request.POST.get("valid_until"):
            data["valid_until"] = dt.date.fromisoformat(request.POST["valid_until"])
    except ValueError:
        messages.error(request, _("Enter a date as YYYY-MM-DD."))
        return redirect("quote_detail", pk=pk)
    try:
        quote_update(actor=request.user, quote=quote, data=data, version=int_or_none(request.POST.get("version")))
    except (ValidationError, QuoteConflict, QuoteActionNotAllowed) as exc:
        for m in _errors(exc):
            messages.error(request, m)
    else:
        messages.success(request, _("Saved."))
    return redirect("quote_detail", pk=pk)


ACTIONS = {
    "submit": (quote_submit, False),
    "approve": (quote_approve, True),
    "reject": (quote_reject, True),
    "send": (quote_send, False),
    "accept": (quote_accept, False),
    "new-version": (quote_new_version, False),
}


@login_required
@require_POST
def quote_action_view(request, pk, action):
    quote = selectors.quote_get(viewer=request.user, pk=pk)
    if action not in ACTIONS:
        from django.http import Http404

        raise Http404
    service, approval = ACTIONS[action]
    if not approval and not policy_for(request.user).can_change_quote(quote):
        raise PermissionDenied
    kwargs = {"note": (request.POST.get("note") or "")[:5000]} if service in (quote_approve, quote_reject) else {}
    try:
        result = service(actor=request.user, quote=quote, version=int_or_none(request.POST.get("version")), **kwargs)
    except (ValidationError, QuoteConflict, QuoteActionNotAllowed) as exc:
        for m in _errors(exc):
            messages.error(request, m)
        return redirect("quote_detail", pk=pk)
    messages.success(request, _("Quote %(ref)s: %(status)s.") % {"ref": result, "status": result.get_status_display()})
    return redirect("quote_detail", pk=result.pk)


@login_required
@require_POST
def quote_delete_view(request, pk):
    quote = _changeable(request, pk)
    try:
        quote_delete(actor=request.user, quote=quote)
    except QuoteActionNotAllowed as exc:
        messages.error(request, str(exc))
        return redirect("quote_detail", pk=pk)
    messages.success(request, _("Quote %(ref)s deleted.") % {"ref": quote})
    return redirect("quote_list")


@login_required
def quote_pdf_view(request, pk):
    from kehu.sales.quote_pdf import quote_filename, quote_pdf

    quote = selectors.quote_get(viewer=request.user, pk=pk)
    lang = request.GET.get("lang") if request.GET.get("lang") in ("zh", "en") else "zh"
    response = HttpResponse(quote_pdf(quote, language=lang), content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="{quote_filename(quote, lang)}"'
    return response
