"""Coupon rules: definitions, issuing with its limits, redemption and its math,
voiding, expiry, collect-the-set, and who may do what."""

import datetime as dt
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404

from kehu.audit.models import AuditEvent
from kehu.marketing.coupons import codes
from kehu.marketing.coupons.models import Coupon, Redemption
from kehu.marketing.coupons.services import (
    coupon_issue, coupon_redeem, coupon_void, coupons_expire, definition_update, set_create,
)
from tests.coupons.conftest import issue_one, make_definition, order_for
from tests.factories import CustomerFactory

pytestmark = pytest.mark.django_db


def test_definition_validation(org):
    admin = org.users.admin
    with pytest.raises(ValidationError) as e:
        make_definition(admin, name_zh="", name_en="")
    assert "name_zh" in e.value.message_dict
    with pytest.raises(ValidationError) as e:
        make_definition(admin, kind="percentage", value=Decimal("120"))
    assert "value" in e.value.message_dict
    with pytest.raises(ValidationError) as e:
        make_definition(admin, valid_from=dt.date(2026, 5, 1), valid_until=dt.date(2026, 4, 1))
    assert "valid_until" in e.value.message_dict
    with pytest.raises(ValidationError) as e:
        make_definition(admin, valid_days=30, valid_until=dt.date(2027, 1, 1))
    assert "valid_days" in e.value.message_dict
    with pytest.raises(ValidationError) as e:
        make_definition(admin, code_mode="shared", shared_code="")
    assert "shared_code" in e.value.message_dict
    d = make_definition(admin, code_mode="shared", shared_code="spring-2026")
    assert d.shared_code == "SPRING2026"
    with pytest.raises(ValidationError):
        make_definition(admin, code_mode="shared", shared_code="SPRING 2026")  # the same code twice


def test_only_marketing_and_administrators_manage_and_issue(org, customers):
    u = org.users
    for user in (u.sales_n1, u.north_manager, u.analyst, u.north_service):
        with pytest.raises(PermissionDenied):
            make_definition(user)
    d = make_definition(u.north_marketing)
    with pytest.raises(PermissionDenied):
        coupon_issue(actor=u.sales_n1, definition=d, customers=[customers.n1])
    # marketing issues within what the policy lets it see: the north, not the east
    assert issue_one(u.north_marketing, d, customers.n1).customer == customers.n1
    with pytest.raises(PermissionDenied):
        coupon_issue(actor=u.north_marketing, definition=d, customers=[customers.e1])
    assert not Coupon.objects.filter(customer=customers.e1).exists()


def test_issue_gives_unique_codes_validity_and_an_audit_record(org, customers):
    admin = org.users.admin
    d = make_definition(admin, valid_days=30, per_customer_limit=2)
    more = [CustomerFactory(owner=org.users.sales_n1) for _ in range(5)]
    result = coupon_issue(actor=admin, definition=d, customers=[customers.n1, *more], on=dt.date(2026, 3, 1))
    assert result.issued == 6
    got = Coupon.objects.filter(definition=d)
    assert len({c.code for c in got}) == 6 and all(codes.is_well_formed(c.code) for c in got)
    assert {(c.valid_from, c.valid_until) for c in got} == {(dt.date(2026, 3, 1), dt.date(2026, 3, 30))}
    assert {c.source for c in got} == {"manual"}
    assert AuditEvent.objects.filter(action="coupon.issue").count() == 1


def test_per_customer_limit_at_issue(org, customers):
    admin = org.users.admin
    d = make_definition(admin, per_customer_limit=2)
    issue_one(admin, d, customers.n1)
    issue_one(admin, d, customers.n1)
    with pytest.raises(ValidationError, match="most one customer may hold"):
        issue_one(admin, d, customers.n1)
    # a segment-style issue skips whoever holds the most, and issues to the others
    result = coupon_issue(actor=admin, definition=d, customers=[customers.n1, customers.e1], skip_held=True)
    assert result.issued == 1 and result.skipped == [customers.n1.pk]
    # a voided coupon no longer counts
    coupon_void(actor=admin, coupon=Coupon.objects.filter(customer=customers.n1).first(), reason="typo")
    issue_one(admin, d, customers.n1)


def test_quantity_limit_is_all_or_nothing(org, customers):
    admin = org.users.admin
    d = make_definition(admin, total_quantity=2)
    issue_one(admin, d, customers.n1)
    with pytest.raises(ValidationError, match="Only 1 coupon"):
        coupon_issue(actor=admin, definition=d, customers=[customers.n1b, customers.e1])
    assert Coupon.objects.filter(definition=d).count() == 1
    issue_one(admin, d, customers.n1b)
    with pytest.raises(ValidationError, match="Only 0 coupon"):
        issue_one(admin, d, customers.e1)


def test_stopped_or_ended_kinds_issue_nothing(org, customers):
    admin = org.users.admin
    d = make_definition(admin, valid_until=dt.date(2026, 1, 31))
    with pytest.raises(ValidationError, match="validity has ended"):
        coupon_issue(actor=admin, definition=d, customers=[customers.n1], on=dt.date(2026, 2, 1))
    definition_update(actor=admin, definition=d, data={"active": False})
    with pytest.raises(ValidationError, match="no longer issued"):
        coupon_issue(actor=admin, definition=d, customers=[customers.n1], on=dt.date(2026, 1, 1))


def test_redemption_math_with_minimum_spend_and_product_lines(org, customers, steel, paint):
    admin = org.users.admin
    d = make_definition(admin, kind="percentage", value=Decimal("10"), min_spend=Decimal("200"),
                        product_lines=[steel.line])
    coupon = issue_one(admin, d, customers.n1)
    small = order_for(customers.n1, (steel, "150.00"), (paint, "500.00"))
    with pytest.raises(ValidationError, match="at least 200"):
        coupon_redeem(actor=org.users.sales_n1, order=small, code=coupon.code)
    no_steel = order_for(customers.n1, (paint, "900.00"))
    with pytest.raises(ValidationError, match="no lines of the coupon's product lines"):
        coupon_redeem(actor=org.users.sales_n1, order=no_steel, code=coupon.code)
    order = order_for(customers.n1, (steel, "250.55"), (paint, "1000.00"))
    r = coupon_redeem(actor=org.users.sales_n1, order=order, code=codes.display(coupon.code).lower())
    assert (r.eligible_amount, r.amount) == (Decimal("250.55"), Decimal("25.06"))
    assert r.order_ref == order.ref and r.redeemed_by == org.users.sales_n1
    coupon.refresh_from_db()
    assert coupon.status == "redeemed"
    with pytest.raises(ValidationError, match="already been redeemed"):
        coupon_redeem(actor=org.users.sales_n1, order=order_for(customers.n1, (steel, "500")), code=coupon.code)


def test_amount_coupon_on_the_whole_order(org, customers):
    admin = org.users.admin
    d = make_definition(admin, value=Decimal("50"), min_spend=Decimal("0"))
    coupon = issue_one(admin, d, customers.n1)
    r = coupon_redeem(actor=admin, order=order_for(customers.n1, (None, "30.00")), code=coupon.code)
    assert r.amount == Decimal("30.00")


def test_redemption_checks_customer_validity_state_and_order(org, customers):
    admin, seller = org.users.admin, org.users.sales_n1
    d = make_definition(admin, valid_from=dt.date(2026, 3, 1), valid_until=dt.date(2026, 3, 31), per_customer_limit=3)
    coupon = coupon_issue(actor=admin, definition=d, customers=[customers.n1], on=dt.date(2026, 2, 1)).coupons[0]
    order = order_for(customers.n1)
    with pytest.raises(ValidationError, match="valid from 2026-03-01"):
        coupon_redeem(actor=seller, order=order, code=coupon.code, on=dt.date(2026, 2, 28))
    with pytest.raises(ValidationError, match="expired on 2026-03-31"):
        coupon_redeem(actor=seller, order=order, code=coupon.code, on=dt.date(2026, 4, 1))
    other = order_for(customers.n1b)
    with pytest.raises(ValidationError, match="another customer"):
        coupon_redeem(actor=org.users.sales_n1b, order=other, code=coupon.code, on=dt.date(2026, 3, 5))
    with pytest.raises(ValidationError, match="No coupon has this code"):
        coupon_redeem(actor=seller, order=order, code="ABCD-EFGH", on=dt.date(2026, 3, 5))
    coupon_redeem(actor=seller, order=order, code=coupon.code, on=dt.date(2026, 3, 5))
    second = coupon_issue(actor=admin, definition=d, customers=[customers.n1], on=dt.date(2026, 3, 1)).coupons[0]
    with pytest.raises(ValidationError, match="already has a coupon"):
        coupon_redeem(actor=seller, order=order, code=second.code, on=dt.date(2026, 3, 5))
    voided = coupon_void(actor=admin, coupon=second, reason="")
    with pytest.raises(ValidationError, match="voided"):
        coupon_redeem(actor=seller, order=order_for(customers.n1), code=voided.code, on=dt.date(2026, 3, 5))
    with pytest.raises(ValidationError, match="redeemed coupon cannot be voided"):
        coupon_void(actor=admin, coupon=coupon)


def test_per_customer_limit_at_redemption(org, customers):
    admin = org.users.admin
    d = make_definition(admin, per_customer_limit=2, min_spend=Decimal(0))
    a, b = issue_one(admin, d, customers.n1), issue_one(admin, d, customers.n1)
    coupon_redeem(actor=admin, order=order_for(customers.n1), code=a.code)
    # one redeemed, one voided and a new one issued: 2 held, 1 redeemed → the new one may still be used
    coupon_void(actor=admin, coupon=b)
    c = issue_one(admin, d, customers.n1)
    coupon_redeem(actor=admin, order=order_for(customers.n1), code=c.code)
    # the limit counts redemptions too: a coupon slipped past it (e.g. the limit lowered) is refused
    definition_update(actor=admin, definition=d, data={"per_customer_limit": 3})
    extra = issue_one(admin, d, customers.n1)
    definition_update(actor=admin, definition=d, data={"per_customer_limit": 2})
    with pytest.raises(ValidationError, match="has used 2 coupon"):
        coupon_redeem(actor=admin, order=order_for(customers.n1), code=extra.code)


def test_shared_code_redeems_the_customers_own_coupon(org, customers):
    admin = org.users.admin
    d = make_definition(admin, code_mode="shared", shared_code="VIP2026", min_spend=Decimal(0))
    mine, theirs = issue_one(admin, d, customers.n1), issue_one(admin, d, customers.n1b)
    assert mine.code == theirs.code == "VIP2026"
    r = coupon_redeem(actor=admin, order=order_for(customers.n1), code="vip2026")
    assert r.coupon == mine
    with pytest.raises(ValidationError, match="holds no coupon with this code"):
        coupon_redeem(actor=admin, order=order_for(customers.e1), code="VIP2026")
    r2 = coupon_redeem(actor=admin, order=order_for(customers.n1b), code="VIP2026")
    assert r2.coupon == theirs


def test_who_may_redeem(org, customers):
    admin = org.users.admin
    d = make_definition(admin, min_spend=Decimal(0))
    coupon = issue_one(admin, d, customers.e1)
    order = order_for(customers.e1)
    with pytest.raises(Http404):       # a salesperson of another team does not see the order
        coupon_redeem(actor=org.users.sales_n1, order=order, code=coupon.code)
    with pytest.raises(PermissionDenied):  # the analyst sees it but changes nothing
        coupon_redeem(actor=org.users.analyst, order=order, code=coupon.code)
    assert coupon_redeem(actor=org.users.sales_e1, order=order, code=coupon.code).amount == Decimal("20.00")
    assert Redemption.objects.count() == 1


def test_expiry(org, customers):
    admin = org.users.admin
    d = make_definition(admin, valid_days=10)
    old = coupon_issue(actor=admin, definition=d, customers=[customers.n1], on=dt.date(2026, 1, 1)).coupons[0]
    new = coupon_issue(actor=admin, definition=d, customers=[customers.e1], on=dt.date(2026, 1, 5)).coupons[0]
    assert coupons_expire(on=dt.date(2026, 1, 10)) == 0     # valid through the 10th
    assert coupons_expire(on=dt.date(2026, 1, 11)) == 1
    assert coupons_expire(on=dt.date(2026, 1, 11)) == 0     # idempotent
    old.refresh_from_db(), new.refresh_from_db()
    assert (old.status, new.status) == ("expired", "available")


def test_collect_the_set_rewards_once(org, customers):
    admin = org.users.admin
    a, b = make_definition(admin, name_en="Spring"), make_definition(admin, name_en="Summer")
    reward = make_definition(admin, name_en="Set reward", value=Decimal("100"))
    s = set_create(actor=admin, data={"name_zh": "四季集齐", "reward": reward}, members=[a, b])
    issue_one(admin, a, customers.n1)
    assert not Coupon.objects.filter(definition=reward).exists()
    issue_one(admin, b, customers.n1)
    got = Coupon.objects.get(definition=reward, customer=customers.n1)
    assert (got.source, got.source_id, got.reward_of_set) == ("set", s.pk, s)
    # once per customer: another coupon of the set gives no second reward
    definition_update(actor=admin, definition=a, data={"per_customer_limit": 2})
    issue_one(admin, a, customers.n1)
    assert Coupon.objects.filter(definition=reward, customer=customers.n1).count() == 1
    with pytest.raises(ValidationError):
        set_create(actor=admin, data={"name_zh": "x", "reward": reward}, members=[a])


def test_a_merge_moves_the_coupons(org, customers):
    from kehu.customers.services import customer_merge

    admin = org.users.admin
    d = make_definition(admin, per_customer_limit=2)
    coupon = issue_one(admin, d, customers.n1b)
    customer_merge(actor=admin, keep=customers.n1, drop=customers.n1b)
    coupon.refresh_from_db()
    assert coupon.customer == customers.n1


def test_large_issues_query_in_bounded_chunks(org, customers, monkeypatch):
    from kehu.marketing.coupons import services

    monkeypatch.setattr(services, "CHUNK", 2)
    admin = org.users.admin
    a, b = make_definition(admin), make_definition(admin)
    reward = make_definition(admin, name_en="Reward")
    set_create(actor=admin, data={"name_en": "Pair", "reward": reward}, members=[a, b])
    people = [CustomerFactory(owner=org.users.sales_n1) for _ in range(5)]
    assert coupon_issue(actor=admin, definition=a, customers=people).issued == 5
    assert coupon_issue(actor=admin, definition=b, customers=people[:3]).issued == 3
    assert Coupon.objects.filter(definition=reward).count() == 3
    with pytest.raises(PermissionDenied):
        coupon_issue(actor=org.users.north_marketing, definition=b, customers=[*people[3:], customers.e1])


def test_the_daily_task_expires_coupons(org, customers):
    from kehu.jobs import TASK_MODULES
    from kehu.marketing.coupons.tasks import expire_coupons_periodic

    assert "kehu.marketing.coupons.tasks" in TASK_MODULES
    d = make_definition(org.users.admin, valid_days=1)
    coupon_issue(actor=org.users.admin, definition=d, customers=[customers.n1], on=dt.date(2020, 1, 1))
    assert expire_coupons_periodic.call_local() == 1
    assert Coupon.objects.get().status == "expired"
