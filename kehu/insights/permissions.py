"""Who may do what in Customer value (客户价值), beyond seeing customers.

Which customers' scores a user sees is the visibility policy's decision
(:func:`kehu.org.policies.policy_for`), never this module's. These rules
cover the analyses themselves:

- company-wide figures of a run (fitted model parameters, holdout
  diagnostics, churn backtest, counts over all customers) are shown to users
  who see every customer (administrators, analysts, head office);
- starting an analysis: administrators, analysts, and managers in head
  office. An analysis changes no customer: it reads the orders and stores
  scores, so analysts, who change nothing else, may run one;
- the value settings (tiers and their customer policies, scorecard,
  thresholds) decide how every customer is treated: administrators only
  (the rule of ``kehu.insights.services.value_settings_update``);
- saved segments: anyone but analysts (who change nothing) may save one;
  its creator, administrators and head-office managers may change or delete
  it. A segment's members are always seen through the viewer's own
  visibility, so a shared definition shows nobody more than they may see.
"""

from __future__ import annotations

from kehu.org.models import Role
from kehu.org.policies import policy_for


def _head_office_manager(user) -> bool:
    policy = policy_for(user)
    return policy.active and user.role == Role.SALES_MANAGER and policy.sees_everything


def sees_company_figures(user) -> bool:
    """May ``user`` see figures over all customers (a run's results)?"""
    return policy_for(user).sees_everything


def can_start_run(user) -> bool:
    policy = policy_for(user)
    if not policy.active:
        return False
    return policy.is_admin or user.role == Role.ANALYST or _head_office_manager(user)


def can_change_settings(user) -> bool:
    return policy_for(user).is_admin


def can_create_segment(user) -> bool:
    policy = policy_for(user)
    return policy.active and (policy.is_admin or user.role != Role.ANALYST)


def can_change_segment(user, segment) -> bool:
    policy = policy_for(user)
    if not policy.active:
        return False
    if policy.is_admin or _head_office_manager(user):
        return True
    return user.role != Role.ANALYST and segment.created_by_id == user.pk
