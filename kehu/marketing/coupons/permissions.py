"""Who may do what with coupons. Visibility of customers stays in the one
policy (:mod:`kehu.org.policies`); these are the role rules on top of it.

- Managing coupon kinds (definitions, sets) and issuing or voiding coupons:
  the marketing role and administrators — issuing only to customers the
  policy lets them see.
- Redeeming a coupon on an order: anyone who may work on orders (not the
  read-only roles: analysts; marketing is read-only on customers) and sees the
  order's customer; administrators always; never partner users (coupons are not in
  the partner portal).
- Reading coupon kinds: everyone signed in; reading issued coupons: those of
  the customers one sees.
"""

from __future__ import annotations

from kehu.marketing.permissions import may_manage as marketing_may_manage
from kehu.org.policies import policy_for


may_manage = marketing_may_manage  # the one check (kehu.marketing.permissions)


def may_redeem(user, customer=None) -> bool:
    policy = policy_for(user)
    if not policy.active:
        return False
    if not policy.is_admin and policy.read_only:
        return False
    if not policy.may_use_view("coupon_order_redeem"):
        return False
    return customer is None or policy.can_view(customer)
