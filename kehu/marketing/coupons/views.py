"""The coupon pages: coupon kinds (list, create, edit, a kind's page with its
figures), issuing (one customer or a segment, with a confirmation for many),
the coupons issued (list, export, a coupon, voiding), collect-the-set, and
redeeming a coupon on an order."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from kehu.customers.selectors import customer_list
from kehu.exports.http import export_response
from kehu.marketing.coupons import selectors
from kehu.marketing.coupons.forms import (
    CouponFilterForm, DefinitionFilterForm, DefinitionForm, IssueForm, RedeemForm, SetForm, VoidForm,
)
from kehu.marketing.coupons.permissions import may_manage, may_redeem
from kehu.marketing.coupons.services import (
    coupon_issue, coupon_redeem, coupon_void, coupons_notify, definition_create, definition_update, set_create,
)
from kehu.marketing.permissions import require_marketing
from kehu.sales.selectors import order_get
from kehu.web.lists import chosen_sort, clean_ids, list_context
from kehu.web.views.common import add_service_errors, paginate

DEFINITION_SORTS = {
    "-created": ("-created_at", "-id"), "created": ("created_at", "id"),
    "ref": ("ref", "id"), "-ref": ("-ref", "-id"),
}
COUPON_SORTS = {
    "-issued": ("-issued_at", "-id"), "issued": ("issued_at", "id"),
    "valid_until": ("valid_until", "id"), "-valid_until": ("-valid_until", "-id"),
}
NAV = "coupons"


# -- coupon kinds -----------------------------------------------------------------------

@login_required
def definition_list(request):
    form = DefinitionFilterForm(request.GET or None)
    filters = selectors.DefinitionFilters()
    if form.is_bound and form.is_valid():
        d = form.cleaned_data
        filters = selectors.DefinitionFilters(q=d.get("q", ""), kind=d.get("kind", ""), active=d.get("active", ""))
    qs = selectors.definition_list(viewer=request.user, filters=filters)
    sort = chosen_sort(request, DEFINITION_SORTS, "-created")
    page = paginate(request, qs, DEFINITION_SORTS[sort])
    return render(request, "coupons/definition_list.html", {
        "nav_active": NAV, "title": _("Coupons"), "form": form, "page": page, "sort": sort,
        "filtered": any((filters.q, filters.kind, filters.active)), "can_manage": may_manage(request.user),
        "sets": list(selectors.set_list(viewer=request.user)[:20]),
        **list_context(request, "coupon_definitions", sort=sort),
    })


def definition_rows(*, viewer, filters=None):
    """The coupon kinds with their figures over the coupons of the customers ``viewer`` sees
    (one grouped query for the figures)."""
    from django.db.models import Count, Q, Sum

    from kehu.marketing.coupons.models import CouponStatus

    figures = {row["definition_id"]: row for row in (
        selectors.coupon_list(viewer=viewer).order_by().values("definition_id").annotate(
            issued=Count("id", filter=~Q(status=CouponStatus.VOID)),
            redeemed=Count("id", filter=Q(status=CouponStatus.REDEEMED)),
            discount=Sum("redemption__amount")))}
    yield ["batch_code", "name_zh", "name_en", "kind", "value", "min_spend", "product_lines", "valid_from",
           "valid_until", "valid_days", "per_customer_limit", "total_quantity", "code_mode", "shared_code",
           "issuing", "issued", "redeemed", "discount"]
    qs = selectors.definition_list(viewer=viewer, filters=filters).prefetch_related("product_lines").order_by("-id")
    for d in qs:
        f = figures.get(d.pk, {})
        yield [d.ref, d.name_zh, d.name_en, d.get_kind_display(), d.value, d.min_spend,
               ", ".join(line.name for line in d.product_lines.all()), d.valid_from, d.valid_until, d.valid_days,
               d.per_customer_limit, d.total_quantity, d.get_code_mode_display(), d.shared_code,
               _("Issuing") if d.active else _("Stopped"), f.get("issued", 0), f.get("redeemed", 0),
               f.get("discount") or 0]


@login_required
def definition_export(request):
    """The coupon kinds of the list's filters, with their figures, as CSV or .xlsx."""
    fmt = request.GET.get("format", "csv")
    if fmt not in ("csv", "xlsx"):
        raise Http404
    form = DefinitionFilterForm(request.GET)
    filters = None
    if form.is_valid():
        d = form.cleaned_data
        filters = selectors.DefinitionFilters(q=d.get("q", ""), kind=d.get("kind", ""), active=d.get("active", ""))
    stamp = timezone.localdate().strftime("%Y%m%d")
    return export_response(request, definition_rows(viewer=request.user, filters=filters),
                           export="coupon_definitions", fmt=fmt, filename=f"coupon-kinds-{stamp}",
                           sheet="coupon_kinds")


def _definition_form(request, definition=None):
    require_marketing(request.user)
    initial = {"kind": "amount", "code_mode": "unique", "per_customer_limit": 1, "active": True, "min_spend": 0}
    if definition is not None:
        initial = {k: getattr(definition, k) for k in (
            "ref", "name_zh", "name_en", "kind", "value", "min_spend", "valid_from", "valid_until", "valid_days",
            "per_customer_limit", "total_quantity", "points_price", "code_mode", "shared_code", "active")}
        initial["product_lines"] = list(definition.product_lines.values_list("pk", flat=True))
    form = DefinitionForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        data, lines = form.service_data()
        try:
            if definition is None:
                definition = definition_create(actor=request.user, data=data, product_lines=lines)
                messages.success(request, _("Coupon kind created."))
            else:
                definition_update(actor=request.user, definition=definition, data=data, product_lines=lines)
                messages.success(request, _("Coupon kind saved."))
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            return redirect("coupon_definition_detail", pk=definition.pk)
    return render(request, "coupons/definition_form.html", {
        "nav_active": NAV, "form": form, "definition": definition,
        "title": _("Edit coupon kind") if definition else _("New coupon kind"),
    })


@login_required
def definition_create_view(request):
    return _definition_form(request)


@login_required
def definition_edit(request, pk):
    return _definition_form(request, selectors.definition_get(viewer=request.user, pk=pk))


@login_required
def definition_detail(request, pk):
    definition = selectors.definition_get(viewer=request.user, pk=pk)
    coupons = (selectors.coupon_list(viewer=request.user, filters=selectors.CouponFilters(definition_id=definition.pk))
               .order_by("-issued_at", "-id")[:20])
    return render(request, "coupons/definition_detail.html", {
        "nav_active": NAV, "title": str(definition), "definition": definition,
        "figures": selectors.definition_figures(viewer=request.user, definition=definition),
        "coupons": list(coupons), "can_manage": may_manage(request.user),
        "lines": list(definition.product_lines.all()),
        "set_members": list(definition.collect_set.members.all()) if definition.collect_set_id else [],
    })


@login_required
def definition_issue(request, pk):
    """Issue coupons of a kind: to one customer (by code), or to the members of a
    saved segment that the user sees — the latter after a confirmation page that
    says how many coupons will be issued."""
    definition = selectors.definition_get(viewer=request.user, pk=pk)
    require_marketing(request.user)
    from kehu.insights.segments import segment_list, segment_members

    segments = list(segment_list(viewer=request.user).order_by("name", "id")[:500])
    form = IssueForm(request.POST or None, segments=segments)
    confirm = None
    if request.method == "POST" and form.is_valid():
        d = form.cleaned_data
        try:
            if d["target"] == "customer":
                code = d["customer"].strip()
                customer = customer_list(viewer=request.user).filter(ref=code).first()
                if customer is None:
                    form.add_error("customer", _("No customer you can see has the code %(code)s.") % {"code": code})
                    raise _Stay
                result = coupon_issue(actor=request.user, definition=definition, customers=[customer])
                messages.success(request, _("Coupon %(code)s issued to %(customer)s.")
                                 % {"code": result.coupons[0].display_code, "customer": customer.name})
                _notify(request, result, d)
                return redirect("coupon_definition_detail", pk=definition.pk)
            segment = next((s for s in segments if s.pk == d["segment"]), None)
            if segment is None:
                form.add_error("segment", _("Choose a segment."))
                raise _Stay
            members = segment_members(segment=segment, viewer=request.user)
            count = members.count()
            if not count:
                form.add_error("segment", _("This segment has no customers you can see."))
                raise _Stay
            if request.POST.get("confirmed") != "1":
                confirm = {"segment": segment, "count": count, "notify": d.get("notify")}
            else:
                result = coupon_issue(actor=request.user, definition=definition, customers=members.select_related(None).only("pk", "name"),
                                      skip_held=True)
                messages.success(request, ngettext(
                    "%(n)d coupon issued to the segment %(segment)s.",
                    "%(n)d coupons issued to the segment %(segment)s.", result.issued)
                    % {"n": result.issued, "segment": segment.name})
                _notify(request, result, d)
                if result.skipped:
                    messages.info(request, ngettext(
                        "%(n)d customer already held the most coupons of this kind and got none.",
                        "%(n)d customers already held the most coupons of this kind and got none.",
                        len(result.skipped)) % {"n": len(result.skipped)})
                return redirect("coupon_definition_detail", pk=definition.pk)
        except _Stay:
            pass
        except ValidationError as exc:
            add_service_errors(form, exc)
    return render(request, "coupons/issue.html", {
        "nav_active": NAV, "title": _("Issue coupons: %(name)s") % {"name": definition},
        "definition": definition, "form": form, "confirm": confirm,
    })


def _notify(request, result, data) -> None:
    if not data.get("notify") or not result.coupons:
        return
    counts = coupons_notify(coupons=result.coupons, actor=request.user)
    messages.info(request, _("E-mail: %(sent)d sent, %(held)d held back by the sending gate (consent, "
                             "suppression list, frequency cap), %(deferred)d deferred to after quiet hours.")
                  % {"sent": counts.get("sent", 0) + counts.get("queued", 0), "held": counts.get("held", 0),
                     "deferred": counts.get("deferred", 0)})


class _Stay(Exception):
    """Show the form again (its errors are already added)."""


@login_required
def set_create_view(request):
    require_marketing(request.user)
    form = SetForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        d = form.cleaned_data
        try:
            set_create(actor=request.user, data={"name_zh": d["name_zh"], "name_en": d["name_en"],
                                                 "reward": d["reward"]}, members=d["members"])
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, _("Collect-the-set saved."))
            return redirect("coupon_definition_list")
    return render(request, "coupons/set_form.html", {"nav_active": NAV, "form": form,
                                                     "title": _("New collect-the-set")})


# -- coupons issued ----------------------------------------------------------------------

def _coupon_filters(form) -> selectors.CouponFilters:
    if form.is_bound and form.is_valid():
        d = form.cleaned_data
        return selectors.CouponFilters(q=d.get("q", ""), status=d.get("status", ""),
                                       definition_id=d.get("definition"), source=d.get("source", ""),
                                       customer_id=d.get("customer"))
    return selectors.CouponFilters()


@login_required
def coupon_list(request):
    form = CouponFilterForm(request.GET or None)
    filters = _coupon_filters(form)
    qs = selectors.coupon_list(viewer=request.user, filters=filters)
    sort = chosen_sort(request, COUPON_SORTS, "-issued")
    if sort in ("valid_until", "-valid_until"):
        # keyset pages need a non-null column: coupons without an end date come after the others
        from django.db.models import Q

        from kehu.pagination import Tier

        page = paginate(request, qs, tiers=[Tier(Q(valid_until__isnull=False), COUPON_SORTS[sort]),
                                            Tier(Q(valid_until__isnull=True), COUPON_SORTS["-issued"])])
    else:
        page = paginate(request, qs, COUPON_SORTS[sort])
    return render(request, "coupons/coupon_list.html", {
        "nav_active": NAV, "title": _("Coupons issued"), "form": form, "page": page, "sort": sort,
        "filtered": any((filters.q, filters.status, filters.definition_id, filters.source, filters.customer_id)),
        **list_context(request, "coupons", sort=sort),
    })


def coupon_rows(*, viewer, ids=(), filters=None):
    header = ["code", "coupon_kind", "batch_code", "customer_code", "customer", "status", "valid_from",
              "valid_until", "source", "source_id", "issued_at", "order", "discount", "redeemed_at"]
    yield header
    qs = selectors.coupon_list(viewer=viewer, filters=filters)
    if ids:
        qs = qs.filter(pk__in=ids)
    tz = timezone.get_current_timezone()
    for c in qs.order_by("-issued_at", "-id").iterator(chunk_size=2000):
        r = getattr(c, "redemption", None)
        yield [c.display_code, str(c.definition), c.definition.ref, c.customer.ref, c.customer.name,
               c.get_status_display(), c.valid_from, c.valid_until, c.get_source_display(), c.source_id,
               c.issued_at.astimezone(tz).replace(tzinfo=None), r.order_ref if r else "", r.amount if r else None,
               r.redeemed_at.astimezone(tz).replace(tzinfo=None) if r else None]


@login_required
def coupon_export(request):
    """The coupons the user sees (the list's filters, or its selection ``ids=``) as CSV or .xlsx."""
    fmt = request.GET.get("format", "csv")
    if fmt not in ("csv", "xlsx"):
        raise Http404
    try:
        ids = tuple(clean_ids(request.GET.getlist("ids")))
    except ValidationError:
        raise Http404 from None
    filters = None if ids else _coupon_filters(CouponFilterForm(request.GET))
    stamp = timezone.localdate().strftime("%Y%m%d")
    return export_response(request, coupon_rows(viewer=request.user, ids=ids, filters=filters), export="coupons",
                           fmt=fmt, filename=f"coupons-{stamp}", sheet="coupons")


@login_required
def coupon_detail(request, pk):
    coupon = selectors.coupon_get(viewer=request.user, pk=pk)
    return render(request, "coupons/coupon_detail.html", {
        "nav_active": NAV, "title": _("Coupon %(code)s") % {"code": coupon.display_code}, "coupon": coupon,
        "redemption": getattr(coupon, "redemption", None), "can_manage": may_manage(request.user),
    })


@login_required
def coupon_void_view(request, pk):
    coupon = selectors.coupon_get(viewer=request.user, pk=pk)
    require_marketing(request.user)
    form = VoidForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            coupon_void(actor=request.user, coupon=coupon, reason=form.cleaned_data["reason"])
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, _("Coupon voided."))
            return redirect("coupon_detail", pk=coupon.pk)
    return render(request, "coupons/void.html", {
        "nav_active": NAV, "title": _("Void coupon %(code)s?") % {"code": coupon.display_code},
        "coupon": coupon, "form": form,
    })


# -- redeeming on an order -----------------------------------------------------------------

@login_required
def order_redeem(request, order_pk):
    order = order_get(viewer=request.user, pk=order_pk)
    if not may_redeem(request.user, order.customer):
        raise PermissionDenied(_("You may not redeem coupons on this order."))
    existing = selectors.order_redemption(order)
    form = RedeemForm(request.POST or None)
    available = list(selectors.coupon_list(viewer=request.user, filters=selectors.CouponFilters(
        customer_id=order.customer_id, status="available")).order_by("valid_until", "id")[:20])
    if request.method == "POST" and form.is_valid() and existing is None:
        try:
            redemption = coupon_redeem(actor=request.user, order=order, code=form.cleaned_data["code"])
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, _("Coupon %(code)s redeemed: %(amount)s off.")
                             % {"code": redemption.coupon.display_code, "amount": redemption.amount})
            return redirect("order_detail", pk=order.pk)
    return render(request, "coupons/redeem.html", {
        "nav_active": "orders", "title": _("Redeem a coupon on order %(ref)s") % {"ref": order.ref},
        "order": order, "form": form, "existing": existing, "available": available,
    })

