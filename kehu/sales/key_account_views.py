"""The key-account pages (大客户计划): the list (on the shared list machinery), the plan
page (SWOT, decision chain, responsibility chain, terms, targets against actual with a
chart), and the create / edit / delete forms. Reads through
``kehu.sales.key_account_selectors``, writes through ``kehu.sales.key_accounts``; the
policy decides (404 for a plan the viewer may not see, 403 for one they may only read)."""

from __future__ import annotations

from decimal import Decimal

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Q
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _

from kehu.customers.models import Customer
from kehu.org.policies import policy_for
from kehu.pagination import Tier
from kehu.sales import key_account_selectors as selectors
from kehu.sales.key_account_forms import FilterForm, PlanForm
from kehu.sales.key_accounts import PlanConflict, plan_create, plan_delete, plan_set_targets, plan_update
from kehu.sales.terms import Terms, customer_terms, customer_tier, terms_from_dict, tier_terms
from kehu.web.lists import list_context
from kehu.web.views.common import add_service_errors, int_or_none, paginate

SORT_TIERS = {
    "-year": [Tier(Q(), ("-start_year", "-id"))], "year": [Tier(Q(), ("start_year", "id"))],
    "customer": [Tier(Q(), ("customer__name", "id"))], "-customer": [Tier(Q(), ("-customer__name", "-id"))],
    "name": [Tier(Q(), ("name", "id"))], "-name": [Tier(Q(), ("-name", "-id"))],
}
CHART_W, CHART_H = 480, 200


@login_required
def key_account_list(request):
    form = FilterForm(request.GET or None)
    f = form.values()
    qs = selectors.plan_list(viewer=request.user, filters=selectors.PlanFilters(
        status=f["status"], year=f["year"], q=f["q"]))
    page = paginate(request, qs, tiers=SORT_TIERS[f["sort"]])
    policy = policy_for(request.user)
    return render(request, "sales/key_accounts/list.html", {
        "nav_active": "key_accounts", "title": _("Key-account plans"), "form": form, "page": page, "filters": f,
        "can_create": policy.active and not policy.read_only and not policy.change_scope.nothing,
        **list_context(request, "key_accounts", sort=f["sort"]),
    })


def _terms_rows(tier: Terms, plan: Terms, effective: Terms) -> list[dict]:
    labels = {"payment_days": _("Payment terms (days)"), "credit_limit": _("Credit limit"),
              "discount_ceiling": _("Discount ceiling (percent)"), "training": _("Training"),
              "staff_support": _("Staff support"), "authority": _("Authority"), "rewards": _("Rewards")}
    return [{"label": label, "tier": getattr(tier, k), "plan": getattr(plan, k), "effective": getattr(effective, k)}
            for k, label in labels.items()]


def chart_bars(report: list[dict], measure: str = "revenue") -> dict:
    """An SVG bar chart (no script, no inline style: CSP) of target against actual per year."""
    values = [v for row in report for v in (row[measure]["target"], row[measure]["actual"])]
    top = max([v for v in values if v > 0] or [Decimal(1)])
    n = max(len(report), 1)
    group = CHART_W / n
    bar = group * 0.3
    bars = []
    for i, row in enumerate(report):
        for j, kind in enumerate(("target", "actual")):
            v = row[measure][kind]
            h = float(max(v, 0) / top) * (CHART_H - 30)
            bars.append({"x": round(i * group + group * 0.15 + j * (bar + 4), 1), "y": round(CHART_H - 20 - h, 1),
                         "w": round(bar, 1), "h": round(h, 1), "kind": kind, "value": v})
    labels = [{"x": round(i * group + group / 2, 1), "y": CHART_H - 4, "text": row["year"]}
              for i, row in enumerate(report)]
    return {"w": CHART_W, "h": CHART_H, "bars": bars, "labels": labels, "base": CHART_H - 20}


@login_required
def key_account_detail(request, pk):
    plan = selectors.plan_get(viewer=request.user, pk=pk)
    report = selectors.plan_report(plan)
    tier = customer_tier(plan.customer)
    t_terms = tier_terms(tier)
    p_terms = terms_from_dict(plan.terms)
    active = plan.status == "active"
    return render(request, "sales/key_accounts/detail.html", {
        "nav_active": "key_accounts", "title": plan.name, "plan": plan, "report": report,
        "chart": chart_bars(report), "profit_chart": chart_bars(report, "profit"),
        "chain": selectors.decision_chain(plan.customer), "tier": tier,
        "terms": _terms_rows(t_terms, p_terms, customer_terms(plan.customer) if active else t_terms),
        "can_change": policy_for(request.user).can_change_key_account_plan(plan),
    })


def _people(request):
    from kehu.org.models import User

    return list(User.objects.filter(is_active=True).order_by("display_name", "username")[:500])


def _save_form(request, form, plan=None):
    try:
        if plan is None:
            customer = form.customer_obj()
            if customer is None:
                form.add_error("customer", _("Choose a customer."))
                return None
            return plan_create(actor=request.user, customer=customer, data=form.service_data(),
                               targets=form.targets())
        plan = plan_update(actor=request.user, plan=plan, data=form.service_data())
        plan_set_targets(actor=request.user, plan=plan, targets=form.targets())
        return plan
    except PlanConflict as exc:
        form.add_error("status", str(exc))
    except ValidationError as exc:
        field_map = {f"terms.{k}": k for k in ("payment_days", "credit_limit", "discount_ceiling", "training",
                                                "staff_support", "authority", "rewards")}
        add_service_errors(form, exc, field_map)
    return None


@login_required
def key_account_create(request):
    policy = policy_for(request.user)
    if not policy.active or policy.read_only:
        raise PermissionDenied
    include = None
    cid = int_or_none(request.GET.get("customer") or request.POST.get("customer"))
    if cid:
        include = policy.get_changeable(cid, Customer.objects.all())
    customers = selectors.plan_candidates(viewer=request.user, include=include)
    kwargs = {"customers": customers, "users": _people(request)}
    if request.method == "POST":
        form = PlanForm(request.POST, **kwargs)
        if form.is_valid():
            plan = _save_form(request, form)
            if plan is not None:
                messages.success(request, _("Key-account plan saved."))
                return redirect("key_account_detail", pk=plan.pk)
    else:
        form = PlanForm(initial={"customer": include.pk if include else None, "salesperson": (
            include.owner_id if include else request.user.pk), "status": "draft"}, **kwargs)
    return render(request, "sales/key_accounts/form.html", {
        "nav_active": "key_accounts", "title": _("New key-account plan"), "form": form, "customer": include,
        "no_customers": not customers,
    })


def _changeable(request, pk):
    plan = selectors.plan_get(viewer=request.user, pk=pk)
    if not policy_for(request.user).can_change_key_account_plan(plan):
        raise PermissionDenied
    return plan


@login_required
def key_account_edit(request, pk):
    plan = _changeable(request, pk)
    kwargs = {"users": _people(request), "editing": True}
    if request.method == "POST":
        form = PlanForm(request.POST, **kwargs)
        if form.is_valid() and _save_form(request, form, plan) is not None:
            messages.success(request, _("Key-account plan saved."))
            return redirect("key_account_detail", pk=plan.pk)
    else:
        form = PlanForm(initial=PlanForm.initial_for(plan), **kwargs)
    return render(request, "sales/key_accounts/form.html", {
        "nav_active": "key_accounts", "title": _("Edit %(name)s") % {"name": plan.name}, "form": form,
        "plan": plan, "customer": plan.customer,
    })


@login_required
def key_account_delete(request, pk):
    plan = _changeable(request, pk)
    if request.method == "POST":
        customer_pk = plan.customer_id
        plan_delete(actor=request.user, plan=plan)
        messages.success(request, _("Key-account plan deleted."))
        return redirect("customer_detail", pk=customer_pk)
    return render(request, "sales/key_accounts/delete.html", {
        "nav_active": "key_accounts", "title": _("Delete %(name)s") % {"name": plan.name}, "plan": plan,
    })
