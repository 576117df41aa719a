"""Writes of key-account plans (大客户计划, issue 15 item 5). Every write asks the one
policy (:meth:`~kehu.org.policies.CustomerPolicy.can_change_key_account_plan`: whoever
may change the customer), validates, and writes an audit event on the customer (so it is
on the customer's 360 timeline).

A plan covers three years from ``start_year``, one :class:`KeyAccountTarget` per year;
its ``terms`` override the customer's tier's (kehu/sales/terms.py) while the plan is
active. A customer has at most one active plan: activating a second is refused
(:class:`PlanConflict`, the API's 409) — close the first one."""

from __future__ import annotations

from decimal import Decimal, InvalidOperation
from typing import Any, Iterable

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from kehu.audit.services import audit_record, diff, snapshot
from kehu.org.policies import policy_for
from kehu.sales.models import KeyAccountPlan, KeyAccountStatus, KeyAccountTarget

PLAN_FIELDS = {"name", "status", "start_year", "strengths", "weaknesses", "opportunities", "threats",
               "salesperson", "manager", "sponsor", "terms"}
TARGET_FIELDS = ("volume", "revenue", "cost", "profit")


class PlanConflict(Exception):
    """The customer already has an active key-account plan."""


def clean_terms(terms) -> dict:
    """A plan's override terms, checked as a tier's (kehu.insights.config.check_terms);
    errors keyed ``terms.<term>``. Empty terms are dropped (they keep the tier's)."""
    from kehu.insights.config import _Checker, check_terms

    c = _Checker()
    terms = dict(terms) if isinstance(terms, dict) else terms if terms is not None else {}
    if isinstance(terms, dict):
        for key in ("payment_days", "credit_limit", "discount_ceiling"):   # "500000", Decimal → a number
            value = terms.get(key)
            if isinstance(value, str) and value.strip() == "":
                terms[key] = None
            elif isinstance(value, (str, Decimal)):
                try:
                    d = Decimal(str(value).strip())
                    terms[key] = int(d) if d == d.to_integral_value() else float(d)
                except (InvalidOperation, ValueError):
                    pass
    out = check_terms(c, terms, "terms")
    if c.errors:
        raise ValidationError(c.errors)
    return {k: v for k, v in out.items() if v not in (None, "")}


def _check_people(actor, data):
    policy = policy_for(actor)
    allowed = None
    for key in ("salesperson", "manager", "sponsor"):
        user = data.get(key)
        if user is None:
            continue
        if not user.is_active:
            raise ValidationError({key: _("This user is not active.")})
        if key == "salesperson":
            allowed = allowed if allowed is not None else set(policy.assignable_users().values_list("pk", flat=True))
            if user.pk not in allowed and not policy.is_admin:
                raise ValidationError({key: _("You may not make this user answerable for the plan.")})


def _save(plan: KeyAccountPlan) -> None:
    plan.full_clean(validate_constraints=False)
    if plan.status == KeyAccountStatus.ACTIVE and (
            KeyAccountPlan.objects.filter(customer_id=plan.customer_id, status=KeyAccountStatus.ACTIVE)
            .exclude(pk=plan.pk).exists()):
        raise PlanConflict(_("This customer already has an active key-account plan; close it first."))
    try:
        with transaction.atomic():
            plan.save()
    except IntegrityError:   # another activation won the race (keyaccount_one_active)
        raise PlanConflict(_("This customer already has an active key-account plan; close it first.")) from None


def plan_create(*, actor, customer, data: dict[str, Any], targets: Iterable[dict] | None = None) -> KeyAccountPlan:
    plan = KeyAccountPlan(customer=customer, created_by=actor if getattr(actor, "pk", None) else None)
    if not policy_for(actor).can_change_key_account_plan(plan):
        raise PermissionDenied(_("You may not change this customer."))
    unknown = set(data) - PLAN_FIELDS
    if unknown:
        raise ValidationError({k: _("Unknown field.") for k in sorted(unknown)})
    data = dict(data)
    data["terms"] = clean_terms(data.get("terms"))
    _check_people(actor, data)
    for k, v in data.items():
        setattr(plan, k, v)
    if not plan.name:
        plan.name = _("Key-account plan %(year)s–%(end)s") % {"year": plan.start_year,
                                                              "end": (plan.start_year or 0) + 2}
    with transaction.atomic():
        _save(plan)
        if targets is not None:
            _set_targets(plan, targets)
        audit_record(actor=actor, action="create", instance=plan, customer_id=customer.pk,
                     changes=snapshot(plan), summary=plan.name)
    return plan


def plan_update(*, actor, plan: KeyAccountPlan, data: dict[str, Any]) -> KeyAccountPlan:
    if not policy_for(actor).can_change_key_account_plan(plan):
        raise PermissionDenied(_("You may not change this customer."))
    unknown = set(data) - PLAN_FIELDS
    if unknown:
        raise ValidationError({k: _("Unknown field.") for k in sorted(unknown)})
    data = dict(data)
    if "terms" in data:
        data["terms"] = clean_terms(data["terms"])
    _check_people(actor, data)
    before = snapshot(plan)
    for k, v in data.items():
        setattr(plan, k, v)
    with transaction.atomic():
        _save(plan)
        changes = diff(before, snapshot(plan))
        if changes:
            audit_record(actor=actor, action="update", instance=plan, customer_id=plan.customer_id,
                         changes=changes, summary=plan.name)
    return plan


def plan_delete(*, actor, plan: KeyAccountPlan) -> None:
    if not policy_for(actor).can_change_key_account_plan(plan):
        raise PermissionDenied(_("You may not change this customer."))
    with transaction.atomic():
        audit_record(actor=actor, action="delete", instance=plan, customer_id=plan.customer_id,
                     changes=snapshot(plan), summary=plan.name)
        plan.delete()


def _amount(value, field: str, *, negative: bool = False) -> Decimal:
    try:
        d = Decimal(str(value if value not in (None, "") else 0))
    except (InvalidOperation, ValueError, TypeError):
        raise ValidationError({field: _("Enter a number.")}) from None
    if not d.is_finite() or abs(d) >= Decimal("1e13"):
        raise ValidationError({field: _("Enter a number.")})
    if d < 0 and not negative:
        raise ValidationError({field: _("Cannot be negative.")})
    return d


def _set_targets(plan: KeyAccountPlan, targets: Iterable[dict]) -> list[KeyAccountTarget]:
    rows, years = [], set()
    for i, raw in enumerate(targets):
        try:
            year = int(raw.get("year"))
        except (TypeError, ValueError):
            raise ValidationError({f"targets.{i}.year": _("Enter a year.")}) from None
        if year not in plan.years:
            raise ValidationError({f"targets.{i}.year": _("The plan covers %(first)s to %(last)s.") % {
                "first": plan.years[0], "last": plan.years[-1]}})
        if year in years:
            raise ValidationError({f"targets.{i}.year": _("This year is given twice.")})
        years.add(year)
        values = {m: _amount(raw.get(m), f"targets.{i}.{m}", negative=(m == "profit")) for m in TARGET_FIELDS}
        if raw.get("profit") in (None, ""):
            values["profit"] = values["revenue"] - values["cost"]
        rows.append(KeyAccountTarget(plan=plan, year=year, **values))
    plan.targets.all().delete()
    KeyAccountTarget.objects.bulk_create(rows)
    return rows


def _targets_text(plan) -> list[str]:
    return [f"{t.year}: {t.volume.normalize():f} / {t.revenue} / {t.cost} / {t.profit}" for t in plan.targets.all()]


def plan_set_targets(*, actor, plan: KeyAccountPlan, targets: Iterable[dict]) -> list[KeyAccountTarget]:
    """Replace the plan's targets: one dict per year (``year``, ``volume``, ``revenue``,
    ``cost``, ``profit``; an empty profit is revenue − cost). Years outside the plan's
    three are refused."""
    if not policy_for(actor).can_change_key_account_plan(plan):
        raise PermissionDenied(_("You may not change this customer."))
    before = _targets_text(plan)
    with transaction.atomic():
        rows = _set_targets(plan, list(targets))
        after = _targets_text(plan)
        if before != after:
            audit_record(actor=actor, action="update", instance=plan, customer_id=plan.customer_id,
                         changes={"targets": [before, after]}, summary=plan.name)
    return rows
