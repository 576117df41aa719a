"""The terms a customer is sold on (issue 15, item 5): the tier's policy as structured
terms — payment terms in days, credit limit, discount ceiling, training, staff support,
authority, rewards — that orders and quotes obey.

One read, :func:`customer_terms`, for everything that enforces them: the order services
(credit limit, overdue payments) and the quote services (discount ceiling). The terms
come from the customer's value tier (``tiers.levels.<tier>.terms`` in the value settings)
and, for a key account, from its active key-account plan, which overrides the tier's.
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
