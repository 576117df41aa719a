"""Key-account plans (大客户计划) and the enforced terms (issue 15, item 5): the tiers'
structured terms, a plan's terms overriding them, one active plan per customer, targets
against actual, and orders beyond the credit limit or with overdue payments waiting for a
manager's approval — which a salesperson cannot give."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse

from kehu.audit.models import AuditEvent
from kehu.engagement.models import Task
from kehu.insights.config import DEFAULTS, validate_config
from kehu.sales.key_account_selectors import decision_chain, plan_report
from kehu.sales.key_accounts import PlanConflict, plan_create, plan_delete, plan_set_targets, plan_update
from kehu.sales.models import KeyAccountPlan, Order, OrderApproval
from kehu.sales.services import order_approve, order_create, order_reject, ApprovalNotPending
from kehu.sales.terms import Terms, customer_terms
from tests.api.conftest import api_as  # noqa: F401
from tests.factories import ContactFactory

pytestmark = pytest.mark.django_db
TODAY = dt.date.today()


def _plan(actor, customer, *, status="active", limit="1000", **extra):
    data = {"start_year": 2026, "status": status, "terms": {"credit_limit": limit} if limit is not None else {}}
    data.update(extra)
    return plan_create(actor=actor, customer=customer, data=data)


def _order(actor, customer, amount, *, due=None, order_date=TODAY, **kw):
    data = {"order_date": order_date}
    if due:
        data["payment_due_on"] = due
    return order_create(actor=actor, customer=customer, data=data,
                        lines=[{"quantity": 1, "unit_price": str(amount), "unit_cost": "0"}], **kw)


# -- the tiers' terms -------------------------------------------------------------------

def test_default_tier_terms_validate_and_do_not_serve_is_cash_in_advance():
    cfg = validate_config({})
    terms = cfg["tiers"]["levels"]["do_not_serve"]["terms"]
    assert terms["payment_days"] == 0 and terms["discount_ceiling"] == 0 and terms["credit_limit"] == 0
    assert cfg["tiers"]["levels"]["gold"]["terms"]["payment_days"] > cfg["tiers"]["levels"]["bronze"]["terms"][
        "payment_days"]


def test_bad_tier_terms_are_named_by_path():
    import copy

    tiers = copy.deepcopy(DEFAULTS["tiers"])
    tiers["levels"]["gold"]["terms"].update(payment_days=-1, discount_ceiling=120, rewards="x" * 501, bogus=1)
    with pytest.raises(ValidationError) as exc:
        validate_config({"tiers": tiers})
    errors = exc.value.message_dict
    for key in ("payment_days", "discount_ceiling", "rewards", "bogus"):
        assert f"tiers.levels.gold.terms.{key}" in errors


def test_plan_terms_override_the_tiers(org, customers, monkeypatch):
    from kehu.sales import terms as terms_module

    monkeypatch.setattr(terms_module, "customer_tier", lambda c: "gold")
    gold = customer_terms(customers.n1)
    assert gold.payment_days == 60 and gold.credit_limit == Decimal("5000000")
    _plan(org.users.sales_n1, customers.n1, limit="8000000", status="draft")
    assert customer_terms(customers.n1) == gold          # a draft overrides nothing
    plan = KeyAccountPlan.objects.get(customer=customers.n1)
    plan_update(actor=org.users.sales_n1, plan=plan, data={"status": "active",
                                                          "terms": {"credit_limit": 8000000, "payment_days": 90}})
    t = customer_terms(customers.n1)
    assert t.credit_limit == Decimal("8000000") and t.payment_days == 90 and t.training == gold.training
    assert Terms(payment_days=1).merged(Terms(payment_days=0)).payment_days == 0   # 0 is a term, not "unset"


# -- plans ------------------------------------------------------------------------------

def test_one_active_plan_per_customer_and_audit(org, customers):
    plan = _plan(org.users.sales_n1, customers.n1)
    assert plan.name == "Key-account plan 2026–2028" and plan.years == [2026, 2027, 2028]
    assert AuditEvent.objects.filter(entity="keyaccountplan", entity_id=plan.pk, customer_id=customers.n1.pk,
                                     action="create").exists()
    with pytest.raises(PlanConflict):
        _plan(org.users.sales_n1, customers.n1)
    draft = _plan(org.users.sales_n1, customers.n1, status="draft")
    plan_update(actor=org.users.sales_n1, plan=plan, data={"status": "closed"})
    plan_update(actor=org.users.sales_n1, plan=draft, data={"status": "active"})


def test_plan_permissions(org, customers):
    with pytest.raises(PermissionDenied):
        _plan(org.users.sales_e1, customers.n1)
    with pytest.raises(PermissionDenied):
        _plan(org.users.analyst, customers.n1)
    plan = _plan(org.users.north_manager, customers.n1)
    with pytest.raises(PermissionDenied):
        plan_delete(actor=org.users.sales_n1b, plan=plan)
    plan_delete(actor=org.users.sales_n1, plan=plan)


def test_targets_and_report_against_orders(org, customers):
    plan = _plan(org.users.sales_n1, customers.n1, limit=None)
    with pytest.raises(ValidationError) as exc:
        plan_set_targets(actor=org.users.sales_n1, plan=plan, targets=[{"year": 2030, "revenue": 1}])
    assert "targets.0.year" in exc.value.message_dict
    plan_set_targets(actor=org.users.sales_n1, plan=plan, targets=[
        {"year": 2026, "volume": "10", "revenue": "1000", "cost": "600"}])
    assert plan.targets.get().profit == Decimal("400")
    order_create(actor=org.users.sales_n1, customer=customers.n1, data={"order_date": dt.date(2026, 3, 1)},
                 lines=[{"quantity": "4", "unit_price": "200", "unit_cost": "120"}])   # 800 revenue, 480 cost
    order_create(actor=org.users.sales_n1, customer=customers.n1,
                 data={"order_date": dt.date(2026, 4, 1), "status": "cancelled"},
                 lines=[{"quantity": "9", "unit_price": "999"}])                        # not counted
    row = plan_report(plan)[0]
    assert row["year"] == 2026 and row["revenue"]["actual"] == Decimal("800") and row["cost"]["actual"] == 480
    assert row["profit"]["actual"] == Decimal("320") and row["profit"]["attainment"] == Decimal("80.0")
    assert row["volume"]["actual"] == Decimal("4") and row["volume"]["attainment"] == Decimal("40.0")


def test_decision_chain_is_the_contacts_roles(org, customers):
    ContactFactory(customer=customers.n1, name="王总", decision_role="decision_maker")
    ContactFactory(customer=customers.n1, name="李工", decision_role="influencer")
    ContactFactory(customer=customers.n1, name="无角色", decision_role="")
    assert [c.name for c in decision_chain(customers.n1)] == ["王总", "李工"]


# -- enforced terms on orders -------------------------------------------------------------

def test_credit_limit_exactly_at_passes_over_waits_with_a_task(org, customers):
    _plan(org.users.sales_n1, customers.n1, limit="1000")
    first = _order(org.users.sales_n1, customers.n1, "600")
    at = _order(org.users.sales_n1, customers.n1, "400")          # owes exactly 1000
    assert first.approval == at.approval == OrderApproval.NOT_NEEDED
    over = _order(org.users.sales_n1, customers.n1, "0.01")
    assert over.approval == OrderApproval.PENDING and "1000.01" in over.approval_reason
    task = Task.objects.get(source_ref__order_approval=over.pk)
    assert task.assigned_to == org.users.north_manager   # n1 has no manager; the region's
    assert "approval" in " ".join(__import__("kehu.sales.services", fromlist=["x"]).order_warnings(over))


def test_overdue_payments_wait_for_approval(org, customers):
    _order(org.users.sales_n1, customers.n1, "100", due=TODAY - dt.timedelta(days=1))
    late = _order(org.users.sales_n1, customers.n1, "50")
    assert late.approval == OrderApproval.PENDING and "overdue" in late.approval_reason


def test_an_order_past_the_customers_terms_is_overdue_without_a_due_date(org, customers, settings):
    """No payment_due_on: the order is due at its date plus the customer's payment terms in
    force — the same rule as the receivables ageing (kehu.sales.terms.payment_days)."""
    from kehu.sales.terms import payment_days

    days = payment_days(customers.n1)
    _order(org.users.sales_n1, customers.n1, "100", order_date=TODAY - dt.timedelta(days=days - 1))
    assert _order(org.users.sales_n1, customers.n1, "50").approval != OrderApproval.PENDING
    _order(org.users.sales_n1, customers.n1, "70", order_date=TODAY - dt.timedelta(days=days + 1))
    late = _order(org.users.sales_n1, customers.n1, "50")
    assert late.approval == OrderApproval.PENDING and "overdue" in late.approval_reason


def test_manager_approves_salesperson_cannot(org, customers):
    _plan(org.users.sales_n1, customers.n1, limit="10")
    order = _order(org.users.sales_n1, customers.n1, "100")
    for who in (org.users.sales_n1, org.users.east_manager, org.users.analyst):
        with pytest.raises(PermissionDenied):
            order_approve(actor=who, order=order)
    order_approve(actor=org.users.north_manager, order=order, note="长期客户")
    order.refresh_from_db()
    assert order.approval == "approved" and order.approval_by == org.users.north_manager and order.approval_at
    assert AuditEvent.objects.filter(entity="order", entity_id=order.pk, action="approve").exists()
    assert Task.objects.get(source_ref__order_approval=order.pk).status == "done"
    with pytest.raises(ApprovalNotPending):
        order_approve(actor=org.users.admin, order=order)


def test_reject_needs_a_reason_and_cancels(org, customers):
    _plan(org.users.sales_n1, customers.n1, limit="10")
    order = _order(org.users.sales_n1, customers.n1, "100")
    with pytest.raises(ValidationError):
        order_reject(actor=org.users.admin, order=order, note="")
    order_reject(actor=org.users.admin, order=order, note="超出信用额度")
    order.refresh_from_db()
    assert order.approval == "rejected" and order.status == "cancelled"


def test_system_writes_and_imports_are_not_blocked(org, customers):
    _plan(org.users.sales_n1, customers.n1, limit="10")
    historical = _order(None, customers.n1, "5000", check_permissions=False)
    assert historical.approval == OrderApproval.NOT_NEEDED
    raw = Order.objects.create(customer=customers.n1, ref="IMP-1", order_date=TODAY, amount=Decimal("9"))
    assert raw.approval == OrderApproval.NOT_NEEDED    # the import inserts rows: the database default


# -- pages ---------------------------------------------------------------------------------

def test_pages_and_their_permission_matrix(org, customers, client_for):
    plan = _plan(org.users.sales_n1, customers.n1, limit="10")
    plan_set_targets(actor=org.users.sales_n1, plan=plan, targets=[{"year": 2026, "revenue": "100"}])
    order = _order(org.users.sales_n1, customers.n1, "100")
    detail = reverse("key_account_detail", args=[plan.pk])
    # who sees the plan page, who may edit it
    matrix = {"admin": (200, 200), "hq_manager": (200, 200), "north_manager": (200, 200), "sales_n1": (200, 200),
              "analyst": (200, 403), "north_marketing": (200, 403), "sales_n1b": (404, 404),
              "sales_e1": (404, 404), "east_manager": (404, 404)}
    for name, (see, edit) in matrix.items():
        c = client_for(getattr(org.users, name))
        assert c.get(detail).status_code == see, name
        assert c.get(reverse("key_account_edit", args=[plan.pk])).status_code == edit, name
        listed = c.get(reverse("key_account_list")).content.decode()
        assert (plan.name in listed) == (see == 200), name
    c = client_for(org.users.sales_n1)
    html = c.get(detail).content.decode()
    assert "key-account-chart" in html and "Targets against actual" in html
    assert "customer-key-accounts" in c.get(reverse("customer_detail", args=[customers.n1.pk])).content.decode()
    assert "order-credit-notice" in c.get(reverse("order_create", args=[customers.n1.pk])).content.decode()
    # the salesperson sees the pending order but no approve form, and the POST is refused
    page = c.get(reverse("order_detail", args=[order.pk])).content.decode()
    assert "order-approval" in page and "order-approve-form" not in page
    assert c.post(reverse("order_approve", args=[order.pk]), {"decision": "approve"}).status_code == 403
    m = client_for(org.users.north_manager)
    assert "order-approve-form" in m.get(reverse("order_detail", args=[order.pk])).content.decode()
    m.post(reverse("order_approve", args=[order.pk]), {"decision": "approve", "note": "ok"})
    order.refresh_from_db()
    assert order.approval == "approved"


def test_create_edit_delete_through_the_form(org, customers, client_for):
    c = client_for(org.users.sales_n1)
    assert c.get(reverse("key_account_create") + f"?customer={customers.n1.pk}").status_code == 200
    assert c.get(reverse("key_account_create") + f"?customer={customers.e1.pk}").status_code == 404
    post = {"customer": customers.n1.pk, "status": "active", "start_year": 2026, "name": "",
            "strengths": "配送快", "credit_limit": "500000", "payment_days": "60",
            "t0_volume": "1200", "t0_revenue": "6000000", "t0_cost": "5400000", "t0_profit": ""}
    r = c.post(reverse("key_account_create"), post)
    assert r.status_code == 302, r.content.decode()[:3000]
    plan = KeyAccountPlan.objects.get(customer=customers.n1)
    assert plan.terms == {"credit_limit": 500000.0, "payment_days": 60} and plan.targets.get().profit == 600000
    bad = dict(post, discount_ceiling="150")
    r = c.post(reverse("key_account_edit", args=[plan.pk]), bad)
    assert r.status_code == 200 and "errorlist" in r.content.decode()
    r = c.post(reverse("key_account_create"), post)      # a second active plan
    assert r.status_code == 200 and "already has an active" in r.content.decode()
    assert c.get(reverse("key_account_delete", args=[plan.pk])).status_code == 200
    assert c.post(reverse("key_account_delete", args=[plan.pk])).status_code == 302
    assert not KeyAccountPlan.objects.filter(pk=plan.pk).exists()
    assert client_for(org.users.analyst).get(reverse("key_account_create")).status_code == 403


# -- API -----------------------------------------------------------------------------------

def test_api_crud_targets_conflict_and_matrix(org, customers, api_as):
    n1 = api_as(org.users.sales_n1)
    body = {"customer_id": customers.n1.pk, "start_year": 2026, "status": "active",
            "terms": {"credit_limit": "1000", "payment_days": 30},
            "targets": [{"year": 2026, "volume": "100", "revenue": "5000", "cost": "4000"}]}
    r = n1.post("/key-account-plans", body)
    assert r.status_code == 201, r.content
    plan = r.json()
    assert plan["terms"] == {"payment_days": 30, "credit_limit": 1000.0} and plan["targets"][0]["profit"] == "1000.00"
    assert plan["report"][0]["revenue"]["target"] == "5000.00" or Decimal(plan["report"][0]["revenue"]["target"]) == 5000
    assert n1.post("/key-account-plans", body).status_code == 409
    assert n1.post("/key-account-plans", dict(body, start_year=1990)).status_code == 422
    pid = plan["id"]
    r = n1.put(f"/key-account-plans/{pid}/targets", {"targets": [{"year": 2029, "revenue": "1"}]})
    assert r.status_code == 422 and "targets.0.year" in r.content.decode()
    assert n1.put(f"/key-account-plans/{pid}/targets", {"targets": [{"year": 2027, "revenue": "1"}]}).status_code == 200
    assert [t["year"] for t in n1.get(f"/key-account-plans/{pid}/targets").json()] == [2027]
    assert n1.patch(f"/key-account-plans/{pid}", {"threats": "进口材料降价"}).json()["threats"] == "进口材料降价"
    for name, (see, change) in {"sales_e1": (404, 404), "analyst": (200, 403), "north_manager": (200, 200),
                                "admin": (200, 200)}.items():
        a = api_as(getattr(org.users, name))
        assert a.get(f"/key-account-plans/{pid}").status_code == see, name
        assert a.patch(f"/key-account-plans/{pid}", {"strengths": "x"}).status_code == change, name
        assert len(a.get("/key-account-plans").json()["items"]) == (1 if see == 200 else 0), name
    # an order over the limit through the API, approved only by a manager
    r = n1.post("/orders", {"customer_id": customers.n1.pk, "order_date": str(TODAY),
                            "lines": [{"quantity": "1", "unit_price": "2000"}]})
    assert r.status_code == 201 and r.json()["approval"] == "pending"
    oid = r.json()["id"]
    assert n1.post(f"/orders/{oid}/approve", {}).status_code == 403
    assert api_as(org.users.sales_e1).post(f"/orders/{oid}/approve", {}).status_code == 404
    m = api_as(org.users.north_manager)
    assert m.post(f"/orders/{oid}/reject", {"note": ""}).status_code == 422
    assert m.post(f"/orders/{oid}/approve", {"note": "ok"}).json()["approval"] == "approved"
    assert m.post(f"/orders/{oid}/approve", {}).status_code == 409
    assert n1.delete(f"/key-account-plans/{pid}").status_code == 204


# -- command --------------------------------------------------------------------------------

def test_cli_list_and_show(org, customers, capsys):
    from kehu.cli import main

    plan = _plan(org.users.sales_n1, customers.n1, limit="1000", strengths="配送快")
    plan_set_targets(actor=org.users.sales_n1, plan=plan, targets=[{"year": 2026, "revenue": "100"}])
    assert main(["key-accounts", "list", "--as", "sales_n1"]) == 0
    assert plan.name in capsys.readouterr().out
    assert main(["key-accounts", "list", "--as", "sales_e1"]) == 0
    assert plan.name not in capsys.readouterr().out
    assert main(["key-accounts", "show", str(plan.pk), "--as", "sales_n1"]) == 0
    out = capsys.readouterr().out
    assert "配送快" in out and "1000" in out and "2026\tRevenue\t100" in out
    assert main(["key-accounts", "show", str(plan.pk), "--as", "sales_e1"]) == 2


def test_pages_in_chinese(org, customers, client):
    plan = _plan(org.users.sales_n1, customers.n1, limit="10")
    order = _order(org.users.sales_n1, customers.n1, "100")
    user = org.users.north_manager
    user.language = "zh-hans"
    user.save(update_fields=["language"])
    client.force_login(user)
    assert "大客户计划" in client.get(reverse("key_account_list")).content.decode()
    page = client.get(reverse("key_account_detail", args=[plan.pk])).content.decode()
    assert "目标与实际" in page and "决策链" in page and "信用额度" in page
    page = client.get(reverse("order_detail", args=[order.pk])).content.decode()
    assert "待审批" in page and "批准" in page and "驳回原因" in page   # the reason: in the language it was entered in
    assert "新建大客户计划" in client.get(reverse("key_account_create")).content.decode()


def test_merge_moves_plans_and_keeps_one_active(org, customers):
    from kehu.customers.services import customer_merge
    from tests.factories import CustomerFactory

    dup = CustomerFactory(name="北方钢铁贸易（重复）", owner=org.users.sales_n1)
    kept = _plan(org.users.sales_n1, customers.n1)
    theirs = _plan(org.users.sales_n1, dup)
    customer_merge(actor=org.users.admin, keep=customers.n1, drop=dup)
    theirs.refresh_from_db()
    kept.refresh_from_db()
    assert theirs.customer_id == customers.n1.pk and theirs.status == "closed" and kept.status == "active"
