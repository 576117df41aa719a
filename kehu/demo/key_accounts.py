"""The demo company's key accounts (大客户计划, issue 15 item 5): three-year plans
(2026–2028) for its biggest customers — targets grown from what they bought in the last
twelve months, a SWOT in steel terms in both languages, the decision chain from their
contacts, the people answerable — with terms that override the tier's; and one order,
over its customer's credit limit, waiting for the regional manager's approval. Made
through the services, so it is on the customers' timelines as by hand."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

PLANS = 5
SWOT = [
    ("strengths", "三年稳定合作，月均用钢量大；我方区域库存充足，48小时内可配送，并提供剪板和激光切割加工。\n"
                  "Three years of steady business with large monthly volumes; our regional stock delivers within "
                  "48 hours, with shearing and laser cutting."),
    ("weaknesses", "账期偏长，回款集中在季末；我方高强度板和镀锌管规格不全。\n"
                   "Long payment terms with payments bunched at quarter end; our range of high-strength plate and "
                   "galvanised pipe is incomplete."),
    ("opportunities", "客户新建厂房与光伏支架项目，预计新增型钢和镀锌管需求；可推广加工配送一体化服务。\n"
                      "The customer's new plant and solar-mount projects add demand for sections and galvanised "
                      "pipe; room to sell processing with delivery."),
    ("threats", "钢厂直供和本地钢贸商低价竞争；钢价波动影响客户采购节奏。\n"
                "Mills selling direct and local traders undercut prices; volatile steel prices change when the "
                "customer buys."),
]
TERMS = {
    "payment_days": 90,
    "discount_ceiling": 10,
    "training": "每季度一次钢材选型与加工工艺培训 / A quarterly training on steel grades and processing",
    "staff_support": "专职客户经理 + 驻厂技术员 / A dedicated account manager and a resident technician",
    "authority": "区域经理可批准10%以内折扣和插单排产 / The regional manager grants up to 10% and rush slots",
    "rewards": "年度返利：超目标部分返2% / Annual rebate: 2% on volume above target",
}
CENT = Decimal("0.01")


def build_key_accounts(b) -> int:
    """Plans for the ``PLANS`` biggest key customers (by the last twelve months' revenue);
    returns how many. One of them gets an order over its credit limit, left pending."""
    from django.db.models import Sum

    from kehu.sales.key_accounts import plan_create
    from kehu.sales.models import Order, OrderLine
    from kehu.sales.services import order_create

    keyish = [c for c, p in zip(b.customers, b.plans) if p["pattern"] == "key"]
    if not keyish:
        return 0
    since = b.today - dt.timedelta(days=365)
    revenue = dict(Order.objects.filter(customer__in=keyish, order_date__gte=since).exclude(status="cancelled")
                   .values_list("customer_id").annotate(s=Sum("amount")).values_list("customer_id", "s"))
    tonnes = dict(OrderLine.objects.filter(order__customer__in=keyish, order__order_date__gte=since)
                  .exclude(order__status="cancelled").values_list("order__customer_id")
                  .annotate(q=Sum("quantity")).values_list("order__customer_id", "q"))
    top = sorted(keyish, key=lambda c: revenue.get(c.pk) or 0, reverse=True)[:PLANS]
    managers = {u.team_id: u for u in b.users.values() if u.role == "sales_manager"}
    sponsor = b.users.get("director") or b.admin
    year = b.today.year
    made, pending_done = 0, False
    for i, customer in enumerate(top):
        base = Decimal(revenue.get(customer.pk) or 0)
        if base <= 0:
            continue
        owner = customer.owner or b.admin
        manager = _manager(owner, managers) or sponsor
        owed = sum((o.amount - o.paid_amount for o in Order.objects.filter(customer=customer)
                    .exclude(status="cancelled")), Decimal("0"))
        # the limit leaves room for about a month's buying; the first plan is tight on purpose
        limit = (owed + (base / 12 if i else base / 50)).quantize(Decimal("10000"))
        targets = []
        for k in range(3):
            grow = Decimal("1.08") ** (k + 1)
            rev = (base * grow).quantize(Decimal("1000"))
            targets.append({"year": year + k, "revenue": rev, "cost": (rev * Decimal("0.91")).quantize(Decimal("1000")),
                            "volume": (Decimal(tonnes.get(customer.pk) or 0) * grow).quantize(Decimal("1"))})
        plan = plan_create(actor=owner, customer=customer, targets=targets, data={
            "name": f"{customer.name} {year}–{year + 2} 大客户计划 / key-account plan",
            "status": "active", "start_year": year, "salesperson": owner if owner.role == "salesperson" else None,
            "manager": manager, "sponsor": sponsor, **{k: v for k, v in SWOT},
            "terms": {**TERMS, "credit_limit": float(limit)},
        })
        made += 1
        if not pending_done:
            # 300 tonnes of plate for the customer's new plant: beyond the limit, waits for approval
            order = order_create(actor=owner, customer=customer, check_permissions=False, enforce_terms=True, data={
                "order_date": b.today, "payment_due_on": b.today + dt.timedelta(days=90), "salesperson": owner,
                "remarks": "新厂房钢结构首批用板 / First plate for the new plant's steel structure"},
                lines=[{"description": "Q355B 热轧中厚板 / hot-rolled plate", "quantity": "300",
                        "unit_price": "4350", "unit_cost": "3980"}])
            pending_done = order.approval == "pending"
        del plan
    return made


def _manager(user, managers):
    team = user.team
    while team is not None:
        if team.pk in managers:
            return managers[team.pk]
        team = team.parent
    return None
