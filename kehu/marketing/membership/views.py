"""The membership pages: the members list (filters, sort, columns, export),
a member's page (tier, balance, events, the statement of a period, points
added or redeemed after a confirmation), enrolment from the customer's page,
and the settings of tiers, earning rules and the programme (marketing and
administrators). Reads through ``selectors``, writes through ``services``;
the policy decides (404 / 403)."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Count, Q, Sum
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.dateparse import parse_date
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from kehu.exports.http import export_response
from kehu.marketing.membership import selectors, services
from kehu.marketing.membership.forms import (
    MemberFilterForm, MemberSettingsForm, PointsForm, ProgrammeForm, RuleForm, TierForm,
)
from kehu.marketing.membership.models import EarnRule, EntryKind, PointsEntry, Programme, Tier
from kehu.marketing.permissions import require_marketing
from kehu.org.policies import policy_for
from kehu.pagination import Tier as PageTier
from kehu.web.lists import chosen_sort, list_context
from kehu.web.views.common import add_service_errors, paginate

SORTS = {
    "-joined": [PageTier(Q(), ("-joined_on", "-id"))],
    "joined": [PageTier(Q(), ("joined_on", "id"))],
    "number": [PageTier(Q(), ("number", "id"))],
    "-number": [PageTier(Q(), ("-number", "-id"))],
    "expires": [PageTier(Q(), ("expires_on", "id"))],
    "-expires": [PageTier(Q(), ("-expires_on", "-id"))],
}
SORT_ORDER = {k: v[0].ordering for k, v in SORTS.items()}


def _filtered(request):
    form = MemberFilterForm(request.GET or None)
    f = form.values()
    f["sort"] = chosen_sort(request, SORTS, "-joined")
    qs = selectors.member_list(viewer=request.user, filters=selectors.MemberFilters(
        tier=f["tier"], status=f["status"], q=f["q"]))
    return form, f, qs


@login_required
def member_list(request):
    form, f, qs = _filtered(request)
    page = paginate(request, qs, tiers=SORTS[f["sort"]])
    policy = policy_for(request.user)
    return render(request, "membership/list.html", {
        "nav_active": "members", "title": _("Members"), "form": form, "page": page, "filters": f,
        "may_manage": policy.may_manage_membership,
        **list_context(request, "members", sort=f["sort"]),
    })


def _fmt(request) -> str:
    return "xlsx" if request.GET.get("format") == "xlsx" else "csv"


@login_required
def member_export(request):
    """The members list as CSV or Excel, with the list's filters (and the rows
    ticked, ``ids=``), through the shared writer and its audit record."""
    _form, f, qs = _filtered(request)
    ids = [int(i) for i in request.GET.getlist("ids") if i.isdigit()]
    if ids:
        qs = qs.filter(pk__in=ids)

    def rows():
        yield ["number", "customer_ref", "customer", "tier", "status", "joined_on", "expires_on", "auto_renew",
               "balance"]
        for chunk_start in range(0, 10**9, 1000):
            chunk = list(qs.order_by(*SORT_ORDER[f["sort"]])[chunk_start:chunk_start + 1000])
            if not chunk:
                break
            balances = dict(PointsEntry.objects.filter(membership__in=chunk).values("membership_id")
                            .annotate(s=Sum("points")).values_list("membership_id", "s"))
            for m in chunk:
                yield [m.number, m.customer.ref, m.customer.name, m.tier.name, m.get_status_display(),
                       m.joined_on, m.expires_on, m.auto_renew, int(balances.get(m.pk) or 0)]

    return export_response(request, rows(), export="members", fmt=_fmt(request),
                           filename=f"members-{timezone.localdate():%Y%m%d}", sheet="members")


def _date_param(request, name: str):
    """A date of the URL; a malformed or impossible one is ignored (the whole period)."""
    try:
        return parse_date(request.GET.get(name) or "")
    except ValueError:
        return None


def _period(request):
    return _date_param(request, "from"), _date_param(request, "to")


def _entry_kinds(user, membership) -> list:
    kinds = []
    if policy_for(user).may_manage_membership:
        kinds += [(EntryKind.BONUS.value, EntryKind.BONUS.label), (EntryKind.CORRECT.value, EntryKind.CORRECT.label)]
    if services.may_redeem(user, membership.customer):
        kinds.append((EntryKind.REDEEM.value, EntryKind.REDEEM.label))
    return kinds


@login_required
def member_detail(request, pk):
    m = selectors.member_get(viewer=request.user, pk=pk)
    date_from, date_to = _period(request)
    entries = selectors.statement_entries(membership=m, date_from=date_from, date_to=date_to)
    page = paginate(request, entries, tiers=[PageTier(Q(), ("entry_date", "id"))])
    selectors.with_running_balance(m.pk, page.items, at_start=date_from is None and page.prev_cursor is None)
    today = timezone.localdate()
    expiring, expiring_from = selectors.expiring_soon(m, on=today)
    kinds = _entry_kinds(request.user, m)
    policy = policy_for(request.user)
    return render(request, "membership/detail.html", {
        "nav_active": "members", "title": _("Member %(number)s") % {"number": m.number}, "member": m,
        "balance": services.points_balance(m), "expiring": expiring, "expiring_from": expiring_from,
        "events": selectors.member_events(membership=m), "page": page, "date_from": date_from, "date_to": date_to,
        "opening": selectors.balance_before(m.pk, date_from) if date_from else 0,
        "points_form": PointsForm(kinds=kinds) if kinds else None,
        "may_manage": policy.may_manage_membership,
        "may_change": services.may_enrol(request.user, m.customer),
        "exchange_kinds": list(services.exchangeable_coupon_kinds()[:50]) if (
            m.status == "active" and services.may_redeem(request.user, m.customer)) else [],
        "settings_form": MemberSettingsForm(initial={"tier": m.tier, "auto_renew": m.auto_renew,
                                                     "status": m.status}),
    })


@login_required
def member_points(request, pk):
    """GET/POST the form, then a confirmation page; the entry is written only
    when the confirmation is posted (``confirm=1``)."""
    m = selectors.member_get(viewer=request.user, pk=pk)
    kinds = _entry_kinds(request.user, m)
    if not kinds:
        raise PermissionDenied
    form = PointsForm(request.POST or None, kinds=kinds)
    if request.method == "POST" and form.is_valid():
        d = form.cleaned_data
        if request.POST.get("confirm") == "1":
            call = {"bonus": services.points_bonus, "correct": services.points_correct,
                    "redeem": services.points_redeem}[d["kind"]]
            try:
                entry = call(actor=request.user, membership=m, points=d["points"], reason=d["reason"],
                             source=d.get("source") or "")
            except ValidationError as exc:
                add_service_errors(form, exc)
            else:
                messages.success(request, _("%(kind)s of %(points)s points recorded; the balance is now %(balance)s.")
                                 % {"kind": entry.get_kind_display(), "points": f"{entry.points:+,d}",
                                    "balance": f"{services.points_balance(m):,d}"})
                return redirect("member_detail", pk=m.pk)
        else:
            balance = services.points_balance(m)
            delta = -d["points"] if d["kind"] == "redeem" else d["points"]
            return render(request, "membership/points_confirm.html", {
                "nav_active": "members", "title": _("Confirm the points entry"), "member": m, "form": form,
                "data": d, "kind_label": dict(kinds)[d["kind"]], "balance": balance, "after": balance + delta,
                "refused": balance + delta < 0})
    return render(request, "membership/points_form.html", {
        "nav_active": "members", "title": _("Points for %(number)s") % {"number": m.number}, "member": m,
        "form": form})


@login_required
@require_POST
def member_exchange(request, pk):
    """Exchange the member's points for a coupon of the chosen kind (the form asked to confirm)."""
    from kehu.marketing.coupons.models import CouponDefinition

    m = selectors.member_get(viewer=request.user, pk=pk)
    if not services.may_redeem(request.user, m.customer):
        raise PermissionDenied
    raw = request.POST.get("definition") or ""
    definition = (services.exchangeable_coupon_kinds().filter(pk=int(raw)).first()
                  if raw.isdigit() and len(raw) < 19 else None)
    if definition is None:
        messages.error(request, _("Choose a coupon kind that can be bought with points."))
        return redirect("member_detail", pk=m.pk)
    try:
        entry, coupon = services.points_exchange(actor=request.user, membership=m, definition=definition)
    except (ValidationError, CouponDefinition.DoesNotExist) as exc:
        messages.error(request, " ".join(getattr(exc, "messages", [str(exc)])))
    else:
        messages.success(request, _("%(points)s points exchanged for coupon %(code)s; the balance is now "
                                    "%(balance)s.") % {"points": f"{-entry.points:,d}", "code": coupon.display_code,
                                                        "balance": f"{services.points_balance(m):,d}"})
    return redirect("member_detail", pk=m.pk)


@login_required
@require_POST
def member_settings(request, pk):
    m = selectors.member_get(viewer=request.user, pk=pk)
    form = MemberSettingsForm(request.POST)
    if form.is_valid():
        d = form.cleaned_data
        tier = d["tier"] if policy_for(request.user).may_manage_membership else None
        try:
            services.member_update(actor=request.user, membership=m, auto_renew=d["auto_renew"], status=d["status"],
                                   tier=tier, reason=d.get("reason") or "")
        except ValidationError as exc:
            messages.error(request, " ".join(exc.messages))
        else:
            messages.success(request, _("Membership %(number)s saved.") % {"number": m.number})
    else:
        messages.error(request, _("The membership was not changed: check the values."))
    return redirect("member_detail", pk=m.pk)


@login_required
@require_POST
def member_enrol(request, customer_pk):
    customer = policy_for(request.user).get_visible(customer_pk)
    try:
        m = services.member_enrol(actor=request.user, customer=customer)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
        return redirect(reverse("customer_detail", args=[customer.pk]) + "#membership")
    messages.success(request, _("%(customer)s is now member %(number)s.") % {"customer": customer.name,
                                                                             "number": m.number})
    return redirect("member_detail", pk=m.pk)


# -- settings: tiers, rules, programme ------------------------------------------------

@login_required
def tier_list(request):
    require_marketing(request.user)
    programme = Programme.current()
    form = ProgrammeForm(request.POST or None, instance=programme)
    if request.method == "POST" and form.is_valid():
        try:
            services.programme_update(actor=request.user, data=form.cleaned_data)
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, _("Programme settings saved."))
            return redirect("membership_tiers")
    tiers = Tier.objects.annotate(n=Count("members")).order_by("rank")
    return render(request, "membership/tiers.html", {
        "nav_active": "members", "title": _("Member tiers"), "tiers": tiers, "form": form})


def _tier_form(request, tier=None):
    require_marketing(request.user)
    form = TierForm(request.POST or None, instance=tier)
    if request.method == "POST" and form.is_valid():
        data = {f: form.cleaned_data[f] for f in services.TIER_FIELDS}
        try:
            if tier is None:
                tier = services.tier_create(actor=request.user, data=data)
            else:
                services.tier_update(actor=request.user, tier=Tier.objects.get(pk=tier.pk), data=data)
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, _("Tier saved."))
            return redirect("membership_tiers")
    return render(request, "membership/form.html", {
        "nav_active": "members", "form": form, "back": reverse("membership_tiers"),
        "title": _("New tier") if tier is None else _("Edit tier %(tier)s") % {"tier": tier.name}})


@login_required
def tier_create(request):
    return _tier_form(request)


@login_required
def tier_edit(request, pk):
    require_marketing(request.user)
    return _tier_form(request, get_object_or_404(Tier, pk=pk))


@login_required
def tier_delete(request, pk):
    require_marketing(request.user)
    tier = get_object_or_404(Tier, pk=pk)
    error = ""
    if request.method == "POST":
        try:
            services.tier_delete(actor=request.user, tier=tier)
        except ValidationError as exc:
            error = " ".join(exc.messages)
        else:
            messages.success(request, _("Tier deleted."))
            return redirect("membership_tiers")
    return render(request, "membership/confirm.html", {
        "nav_active": "members", "title": _("Delete tier %(tier)s") % {"tier": tier.name}, "error": error,
        "question": _("Delete this tier? Members are never in a deleted tier: move them first."),
        "back": reverse("membership_tiers"), "button": _("Delete tier")})


@login_required
def rule_list(request):
    require_marketing(request.user)
    rules = EarnRule.objects.select_related("product_line", "tier").order_by("product_line__name", "tier__rank", "id")
    page = paginate(request, rules.order_by("id"), tiers=[PageTier(Q(), ("id",))])
    return render(request, "membership/rules.html", {
        "nav_active": "members", "title": _("Earning rules"), "page": page,
        "default_ppy": Programme.current().points_per_yuan})


def _rule_form(request, rule=None):
    require_marketing(request.user)
    form = RuleForm(request.POST or None, instance=rule)
    if request.method == "POST" and form.is_valid():
        data = {f: form.cleaned_data[f] for f in services.RULE_FIELDS}
        try:
            if rule is None:
                services.rule_create(actor=request.user, data=data)
            else:
                services.rule_update(actor=request.user, rule=EarnRule.objects.get(pk=rule.pk), data=data)
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, _("Earning rule saved."))
            return redirect("membership_rules")
    return render(request, "membership/form.html", {
        "nav_active": "members", "form": form, "back": reverse("membership_rules"),
        "title": _("New earning rule") if rule is None else _("Edit earning rule")})


@login_required
def rule_create(request):
    return _rule_form(request)


@login_required
def rule_edit(request, pk):
    require_marketing(request.user)
    return _rule_form(request, get_object_or_404(EarnRule, pk=pk))


@login_required
def rule_delete(request, pk):
    require_marketing(request.user)
    rule = get_object_or_404(EarnRule, pk=pk)
    if request.method == "POST":
        services.rule_delete(actor=request.user, rule=rule)
        messages.success(request, _("Earning rule deleted."))
        return redirect("membership_rules")
    return render(request, "membership/confirm.html", {
        "nav_active": "members", "title": _("Delete the earning rule %(rule)s") % {"rule": rule}, "error": "",
        "question": _("Delete this earning rule? Orders paid from now on earn by the next most specific rule."),
        "back": reverse("membership_rules"), "button": _("Delete rule")})
