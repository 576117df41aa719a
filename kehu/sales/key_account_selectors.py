"""Reads of key-account plans (大客户计划): the plans a viewer may see (through the one
policy), a plan's targets, the customer's decision chain (its contacts' roles, kept on
the contacts) and the plan against what the customer actually bought, year by year."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from django.db.models import Case, DecimalField, ExpressionWrapper, F, IntegerField, Q, QuerySet, Sum, Value, When
from django.db.models.functions import Coalesce, ExtractYear
from django.http import Http404

from kehu.analytics.key_accounts import MEASURES, plan_vs_actual
from kehu.customers.models import Contact, DecisionRole
from kehu.org.policies import policy_for
from kehu.sales.models import KeyAccountPlan, KeyAccountStatus, KeyAccountTarget, Order, OrderLine, OrderStatus

ZERO = Decimal("0")


@dataclass(frozen=True)
class PlanFilters:
    status: str = ""
    year: int | None = None       # plans whose three years include this one
    q: str = ""                   # customer or plan name contains


def plan_visible(*, viewer) -> QuerySet[KeyAccountPlan]:
    return policy_for(viewer).visible_key_account_plans()


def plan_list(*, viewer, filters: PlanFilters | None = None) -> QuerySet[KeyAccountPlan]:
    f = filters or PlanFilters()
    qs = plan_visible(viewer=viewer).select_related("customer", "salesperson", "manager", "sponsor")
    if f.status:
        qs = qs.filter(status=f.status)
    if f.year:
        qs = qs.filter(start_year__lte=f.year, start_year__gte=f.year - 2)
    if f.q:
        qs = qs.filter(Q(name__icontains=f.q.strip()) | Q(customer__name__icontains=f.q.strip()))
    return qs


def plan_get(*, viewer, pk) -> KeyAccountPlan:
    try:
        return plan_visible(viewer=viewer).select_related(
            "customer", "salesperson", "manager", "sponsor", "created_by").get(pk=pk)
    except (KeyAccountPlan.DoesNotExist, ValueError, TypeError):
        raise Http404 from None


def customer_plans(*, viewer, customer, limit: int = 5) -> list[KeyAccountPlan]:
    """The customer's plans for its 360 page: the active one first."""
    order = Case(When(status=KeyAccountStatus.ACTIVE, then=Value(0)), When(status=KeyAccountStatus.DRAFT,
                 then=Value(1)), default=Value(2), output_field=IntegerField())
    return list(plan_visible(viewer=viewer).filter(customer=customer).annotate(_o=order)
                .order_by("_o", "-start_year", "-id")[:limit])


def active_plan(customer) -> KeyAccountPlan | None:
    return KeyAccountPlan.objects.filter(customer_id=customer.pk, status=KeyAccountStatus.ACTIVE).first()


def plan_targets(plan: KeyAccountPlan) -> list[KeyAccountTarget]:
    return list(plan.targets.order_by("year"))


ROLE_ORDER = [r.value for r in DecisionRole]


def decision_chain(customer) -> list[Contact]:
    """The customer's contacts with a role in the buying decision, decision makers first
    (the role lives on the contact: Contact.decision_role)."""
    contacts = [c for c in Contact.objects.filter(customer_id=customer.pk).exclude(decision_role="")
                .order_by("name", "id")]
    return sorted(contacts, key=lambda c: ROLE_ORDER.index(c.decision_role) if c.decision_role in ROLE_ORDER else 99)


def actuals_by_year(customer, years: list[int]) -> dict[int, dict]:
    """What the customer bought in each of ``years`` (orders not cancelled, by order date):
    revenue and cost from the orders, profit = revenue − cost, volume = the lines' quantity."""
    if not years:
        return {}
    orders = (Order.objects.filter(customer_id=customer.pk, order_date__year__gte=min(years),
                                   order_date__year__lte=max(years))
              .exclude(status=OrderStatus.CANCELLED))
    out: dict[int, dict] = {y: {m: ZERO for m in MEASURES} for y in years}
    for row in (orders.annotate(y=ExtractYear("order_date")).values("y")
                .annotate(revenue=Sum("amount"), cost=Sum("cost"))):
        d = out.setdefault(row["y"], {m: ZERO for m in MEASURES})
        d["revenue"], d["cost"] = row["revenue"] or ZERO, row["cost"] or ZERO
        d["profit"] = d["revenue"] - d["cost"]
    lines = (OrderLine.objects.filter(order__in=orders).annotate(y=ExtractYear("order__order_date"))
             .values("y").annotate(q=Sum("quantity")))
    for row in lines:
        out.setdefault(row["y"], {m: ZERO for m in MEASURES})["volume"] = row["q"] or ZERO
    return out


def plan_report(plan: KeyAccountPlan) -> list[dict]:
    """The plan against the actual, year by year (kehu.analytics.key_accounts.plan_vs_actual)."""
    targets = {t.year: {m: getattr(t, m) for m in MEASURES} for t in plan.targets.all()}
    years = sorted(set(plan.years) | set(targets))
    return plan_vs_actual(years, targets, actuals_by_year(plan.customer, years))


def credit_position(customer, *, today) -> dict:
    """What the customer owes (orders not cancelled) and what of it is overdue. An order is
    due on its ``payment_due_on``, or else its order date plus the customer's payment terms
    in force (:func:`kehu.sales.terms.payment_days`: the active key-account plan's, the
    tier's or the company's) — the one rule the receivables ageing uses too."""
    import datetime as dt

    from kehu.sales.terms import payment_days

    owed = ExpressionWrapper(F("amount") - F("paid_amount"), output_field=DecimalField(max_digits=16,
                                                                                       decimal_places=2))
    qs = Order.objects.filter(customer_id=customer.pk).exclude(status=OrderStatus.CANCELLED).annotate(owed=owed)
    total = qs.aggregate(s=Coalesce(Sum("owed"), Value(ZERO), output_field=DecimalField()))["s"]
    due_by_terms = today - dt.timedelta(days=payment_days(customer))
    past_due = Q(payment_due_on__lt=today) | Q(payment_due_on__isnull=True, order_date__lt=due_by_terms)
    overdue = (qs.filter(past_due, owed__gt=0)
               .aggregate(s=Coalesce(Sum("owed"), Value(ZERO), output_field=DecimalField()))["s"])
    return {"outstanding": Decimal(total), "overdue": Decimal(overdue)}


def plan_candidates(*, viewer, include=None, limit: int = 500) -> list:
    """The customers a new plan may be for: those the viewer may change that are gold or
    class A in the latest value analysis (all changeable organisations before any
    analysis), and ``include`` (the customer the page came from)."""
    from kehu.customers.models import Customer
    from kehu.insights.models import CustomerScore
    from kehu.insights.selectors import latest_run

    qs = policy_for(viewer).changeable(Customer.objects.all())
    run = latest_run()
    if run is not None:
        key = CustomerScore.objects.filter(run=run).filter(Q(tier="gold") | Q(abc_class="A")).values("customer_id")
        qs = qs.filter(pk__in=key)
    out = list(qs.order_by("name", "id")[:limit])
    if include is not None and include.pk not in {c.pk for c in out}:
        out.insert(0, include)
    return out
