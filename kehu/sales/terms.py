"""The terms a customer is sold on (issue 15, item 5): the tier's policy as structured
terms — payment terms in days, credit limit, discount ceiling, training, staff support,
authority, rewards — that orders and quotes obey.

One read, :func:`customer_terms`, for everything that enforces them: the order services
(credit limit, overdue payments) and the quote services (discount ceiling). The terms
come from the customer's value tier (``tiers.levels.<tier>.terms`` in the value settings)
and, for a key account, from its active key-account plan, which overrides the tier's.

The payment terms decide when an order without a "payment due" date falls due (the
receivables ageing and the collection rate, :mod:`kehu.sales.performance`). Those read
many customers at once, so the same precedence is also given as a SQL expression,
:func:`payment_days_expression`, built here beside :func:`customer_terms`:

1. the ``payment_days`` of the customer's **active** key-account plan, when it sets them;
2. else the ``payment_days`` of its value tier's terms (its score in the latest finished
   value run), when they are set;
3. else the company's, :func:`company_payment_days` (``KEHU_PAYMENT_DAYS``, 30 by default).
"""
from __future__ import annotations

from dataclasses import dataclass, fields
from decimal import Decimal, InvalidOperation


@dataclass(frozen=True)
class Terms:
    payment_days: int | None = None        # payment terms (账期) in days; None: the company's default
    credit_limit: Decimal | None = None    # the most a customer may owe; None: no limit
    discount_ceiling: Decimal | None = None  # the largest discount in percent (0–100) without approval; None: no ceiling
    training: str = ""
    staff_support: str = ""
    authority: str = ""
    rewards: str = ""

    def merged(self, override: "Terms") -> "Terms":
        """These terms with every term ``override`` sets (not None, not empty) replacing ours."""
        values = {}
        for f in fields(self):
            theirs = getattr(override, f.name)
            values[f.name] = getattr(self, f.name) if theirs in (None, "") else theirs
        return Terms(**values)


def _decimal(value) -> Decimal | None:
    if value in (None, ""):
        return None
    try:
        return Decimal(str(value))
    except (InvalidOperation, ValueError):
        return None


def terms_from_dict(data: dict | None) -> Terms:
    """Terms from a stored dictionary (the value settings, a key-account plan)."""
    data = data or {}
    days = data.get("payment_days")
    return Terms(
        payment_days=int(days) if days not in (None, "") else None,
        credit_limit=_decimal(data.get("credit_limit")),
        discount_ceiling=_decimal(data.get("discount_ceiling")),
        training=str(data.get("training") or ""),
        staff_support=str(data.get("staff_support") or ""),
        authority=str(data.get("authority") or ""),
        rewards=str(data.get("rewards") or ""),
    )


def tier_terms(tier: str | None) -> Terms:
    """The structured terms of a value tier (empty terms for no tier)."""
    if not tier:
        return Terms()
    from kehu.insights.config import value_settings

    level = value_settings()["tiers"]["levels"].get(tier) or {}
    return terms_from_dict(level.get("terms"))


def customer_tier(customer) -> str | None:
    """The customer's tier in the latest finished value run (None before any run)."""
    from kehu.insights.models import CustomerScore
    from kehu.insights.selectors import latest_run

    run = latest_run()
    if run is None:
        return None
    return (CustomerScore.objects.filter(run=run, customer_id=customer.pk)
            .values_list("tier", flat=True).first())


def plan_terms(customer) -> Terms:
    """The terms of the customer's active key-account plan (empty terms without one)."""
    from kehu.sales.models import KeyAccountPlan, KeyAccountStatus

    data = (KeyAccountPlan.objects.filter(customer_id=customer.pk, status=KeyAccountStatus.ACTIVE)
            .values_list("terms", flat=True).first())
    return terms_from_dict(data)


def customer_terms(customer) -> Terms:
    """The terms ``customer`` is sold on: its tier's, overridden term by term by its
    active key-account plan's (a term the plan leaves empty keeps the tier's)."""
    return tier_terms(customer_tier(customer)).merged(plan_terms(customer))


def company_payment_days() -> int:
    """The company's payment terms in days (``KEHU_PAYMENT_DAYS``, 30 by default): those
    of a customer whose tier and plan set none."""
    from django.conf import settings

    return int(getattr(settings, "PAYMENT_DAYS", 30) or 30)


def payment_days(customer) -> int:
    """The payment terms of ``customer`` in days: :func:`customer_terms`' or the company's."""
    days = customer_terms(customer).payment_days
    return company_payment_days() if days is None else days


def payment_days_expression(customer: str = "customer_id"):
    """:func:`payment_days` as a SQL expression over rows whose field ``customer`` holds
    the customer's id (an order's ``customer_id`` by default): set-based, for any number
    of customers — the precedence of the module docstring, as
    ``COALESCE(plan's days, tier's days, company's days)``.

    The plan's days are a correlated subquery on the customer's active plan (at most one:
    ``keyaccount_one_active``), left out when no active plan sets payment days; the tier's
    a subquery on the customer's score in the latest run, mapping each tier to its days,
    left out before any run or when no tier sets days other than the company's. Costs
    a query or two to build (the active plans, the latest run), none per customer."""
    from django.db.models import Case, IntegerField, OuterRef, Subquery, Value, When
    from django.db.models.fields.json import KeyTextTransform
    from django.db.models.functions import Cast, Coalesce, NullIf

    from kehu.insights.models import CustomerScore, ValueTier
    from kehu.insights.selectors import latest_run
    from kehu.sales.models import KeyAccountPlan, KeyAccountStatus

    default = company_payment_days()
    parts = []
    plans = KeyAccountPlan.objects.filter(status=KeyAccountStatus.ACTIVE)
    if plans.filter(terms__has_key="payment_days").exists():
        days = Cast(NullIf(KeyTextTransform("payment_days", "terms"), Value("")), IntegerField())
        parts.append(Subquery(plans.filter(customer_id=OuterRef(customer)).annotate(_days=days)
                              .values("_days")[:1], output_field=IntegerField()))
    run = latest_run()
    if run is not None:
        whens = []
        for tier in ValueTier.values:
            days = tier_terms(tier).payment_days
            if days is not None and days != default:   # the same as no terms: the company's
                whens.append(When(tier=tier, then=Value(days)))
        if whens:
            tier_days = Case(*whens, default=None, output_field=IntegerField())
            parts.append(Subquery(CustomerScore.objects.filter(run=run, customer_id=OuterRef(customer))
                                  .annotate(_days=tier_days).values("_days")[:1], output_field=IntegerField()))
    if not parts:
        return Value(default, output_field=IntegerField())
    return Coalesce(*parts, Value(default), output_field=IntegerField())
