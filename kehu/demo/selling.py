"""The demo company's selling: opportunities in every stage of the default pipeline (won
and lost with their reasons) and this week's visit plans with results, made through the
services (stage history, lifecycle moves, timeline and audit as by hand), then dated back
so that the history reads as it would have happened."""

from __future__ import annotations

import datetime as dt
import random
from decimal import Decimal

PROJECTS = ["地铁站钢结构", "物流园仓库", "厂房扩建", "光伏支架", "桥梁护栏", "高层住宅", "市政管网改造",
            "冷库建设", "汽车配件产线", "港口堆场"]
COMPETITORS = ["", "", "宝钢经销商", "沙钢直供", "本地钢贸商", "鞍钢代理"]
# goal: (stage code or outcome, share)
GOALS = [("reserve", 2), ("target", 3), ("potential", 3), ("opportunity", 4), ("won", 3), ("lost", 2)]
NEXT_STEPS = ["发送正式报价", "约技术交流", "安排样品试用", "确认交货期与账期", "拜访采购经理"]
LOST = {"price": "对方报价低每吨80元", "competitor": "客户选择了钢厂直供", "timing": "项目推迟到明年",
        "no-budget": "预算未批"}
RESULTS = ["与采购经理确认下月用量约{t}吨，对价格基本认可。", "客户项目进度正常，预计两周后追加订单。",
           "介绍了剪板和激光切割加工服务，客户有兴趣，约下周报价。", "对账并催收上月货款，对方承诺周五前付款。"]


def build_opportunities(b) -> int:
    """About a dozen opportunities per salesperson, on customers they own, through the
    services; returns how many."""
    from kehu.sales.models import LostReason, Opportunity, StageChange
    from kehu.sales.opportunities import (
        default_pipeline, opportunity_create, opportunity_lose, opportunity_move, opportunity_win,
    )

    pipeline = default_pipeline()
    if pipeline is None:
        return 0
    r = random.Random(b.rnd.randrange(10**6))
    stages = {s.code: s for s in pipeline.stages.all()}
    reasons = {x.code: x for x in LostReason.objects.all()}
    order = ["reserve", "target", "potential", "opportunity"]
    goals = [g for g, n in GOALS for _ in range(n)]
    lines = {ln.code: ln for ln in b.lines}
    now = dt.datetime.now(dt.timezone.utc)
    made = 0
    for team_sales in b.sales_by_team.values():
        for person in team_sales:
            owned = [c for c, p in zip(b.customers, b.plans)
                     if c.owner_id == person.pk and p["pattern"] in ("key", "steady", "occasional", "none")]
            for i, customer in enumerate(r.sample(owned, min(len(owned), 12))):
                goal = goals[(i * 7 + len(owned)) % len(goals)]
                tonnes = r.choice((50, 80, 120, 200, 300, 500))
                picked = r.sample([c for c in ("PLATE", "SECTION", "PIPE", "WIRE") if c in lines], 2)
                opp_lines = [{"product_line": lines[picked[0]], "amount": Decimal(tonnes * r.randint(3800, 4600))},
                             {"product_line": lines[picked[1]], "amount": Decimal(tonnes // 4 * r.randint(3800, 4600))}]
                if "PROCESS" in lines and r.random() < 0.4:
                    opp_lines.append({"product_line": lines["PROCESS"], "amount": Decimal(tonnes * 150)})
                days_ago = r.randint(20, 150)
                opp = opportunity_create(actor=person, data={
                    "customer": customer, "name": f"{r.choice(PROJECTS)}用钢 {tonnes}吨",
                    "expected_close": b.today + dt.timedelta(days=r.randint(10, 90)),
                    "competitor": r.choice(COMPETITORS), "source": r.choice(("visit", "phone", "referral",
                                                                              "exhibition")),
                    "next_step": r.choice(NEXT_STEPS), "next_step_on": b.today + dt.timedelta(days=r.randint(1, 14)),
                }, lines=opp_lines)
                target = goal if goal in order else "opportunity"
                path = order[1:order.index(target) + 1]
                if opp.source == "referral" and len(path) > 1:
                    path = path[1:]    # a referred customer comes in with a need: straight past 目标 target
                for code in path:
                    opp = opportunity_move(actor=person, opportunity=opp, stage=stages[code])
                if goal == "won":
                    opp = opportunity_win(actor=person, opportunity=opp, note="合同已签")
                elif goal == "lost":
                    code = r.choice([c for c in LOST if c in reasons])
                    opp = opportunity_lose(actor=person, opportunity=opp, lost_reason=reasons[code],
                                           lost_note=LOST[code])
                # date the history back: opened days_ago, each stage change some days after the last
                changes = list(StageChange.objects.filter(opportunity=opp).order_by("id"))
                at = now - dt.timedelta(days=days_ago)
                for n, ch in enumerate(changes):
                    if n:
                        at = min(now, at + dt.timedelta(days=r.randint(3, 25)))
                    StageChange.objects.filter(pk=ch.pk).update(at=at)
                fields = {"created_at": now - dt.timedelta(days=days_ago)}
                if goal == "opportunity":
                    # negotiated further than the stage's default: some are commit in the forecast
                    fields["probability"] = (50, 70, 80, 90)[opp.pk % 4]
                if goal == "won":
                    fields["won_at"] = at
                elif goal == "lost":
                    fields["lost_at"] = at
                Opportunity.objects.filter(pk=opp.pk).update(**fields)
                made += 1
    return made


def build_visits(b) -> int:
    """This week's visits for every salesperson: the plan the value engine makes (when a
    value analysis exists) and visits planned by hand to their biggest customers; the days
    already past are done (the result on the customer's timeline) or skipped with a reason."""
    from kehu.engagement.models import PlannedVisit
    from kehu.engagement.visits import plan_week, visit_create, visit_done, visit_skip

    r = random.Random(b.rnd.randrange(10**6))
    monday = b.today - dt.timedelta(days=b.today.weekday())
    week = f"{monday:%G-W%V}"
    plan_week(week, actor=b.admin)
    plan_week(f"{monday + dt.timedelta(days=7):%G-W%V}", actor=b.admin)   # and the next week's, still to do
    for team_sales in b.sales_by_team.values():
        for person in team_sales:
            owned = [c for c, p in zip(b.customers, b.plans) if c.owner_id == person.pk
                     and p["pattern"] in ("key", "steady")]
            have = set(PlannedVisit.objects.filter(salesperson=person, week=week).values_list("customer_id",
                                                                                              flat=True))
            for k, customer in enumerate([c for c in owned if c.pk not in have][:6]):
                contacts = b.contacts.get(customer.pk, [])[:1]
                visit_create(actor=person, customer=customer, data={
                    "planned_on": monday + dt.timedelta(days=k % 5), "planned_time": dt.time(9 + 2 * (k % 4), 0),
                    "purpose": r.choice(("季度回访，了解下季度用钢计划", "介绍加工配套服务", "对账催款",
                                         "新项目技术交流")),
                    "mode": "visit" if k % 3 else "call", "contacts": contacts})
    made = 0
    for visit in PlannedVisit.objects.filter(week=week).select_related("customer", "salesperson").order_by("id"):
        made += 1
        if visit.planned_on >= b.today:
            continue
        if r.random() < 0.8:
            visit_done(actor=visit.salesperson, visit=visit,
                       result=r.choice(RESULTS).format(t=r.choice((30, 50, 80, 120))))
        else:
            visit_skip(actor=visit.salesperson, visit=visit, reason="客户临时出差，改约下周")
    return made


# days past due given to an unpaid order for each overdue bucket of the ageing that the
# payments left empty, so that the receivables page shows every bucket
AGEING_EXAMPLES = {"d0_30": 18, "d31_60": 47, "d61_90": 76, "d90_plus": 125}


def build_receivables(b) -> int:
    """Make sure the receivables ageing has money in every overdue bucket: for a bucket the
    demo's payments left empty, an order not fully paid gets the payment due date that puts
    it there (its payment terms, as agreed with the customer). Returns the orders changed."""
    from django.db.models import F

    from kehu.sales import performance as perf
    from kehu.sales.models import Order, OrderStatus, Payment

    totals = perf.ageing_totals(perf.receivable_orders(viewer=b.admin, as_of=b.today))
    changed = 0
    used: set[int] = set()
    for key, days in AGEING_EXAMPLES.items():
        if totals[key] > 0:
            continue
        due = b.today - dt.timedelta(days=days)
        candidates = (Order.objects.filter(status=OrderStatus.DELIVERED, salesperson__isnull=False,
                                           order_date__lte=due - dt.timedelta(days=10),
                                           order_date__gte=due - dt.timedelta(days=120))
                      .exclude(pk__in=used).order_by("-order_date", "id"))
        order = candidates.filter(paid_amount__lt=F("amount")).first() or candidates.first()
        if order is None:
            continue
        if order.paid_amount >= order.amount:   # paid in full: the customer has not paid it after all
            Payment.objects.filter(order=order).delete()
            order.paid_amount = 0
        order.payment_due_on = due
        order.save(update_fields=["payment_due_on", "paid_amount", "updated_at"])
        used.add(order.pk)
        changed += 1
    return changed
# -- the lead pool (公海) ---------------------------------------------------------------

LEADS = [  # (company, city, industry, source, contact and need)
    ("唐山建龙钢结构工程有限公司", "唐山", "钢结构", "exhibition", "王经理：厂房项目 H 型钢约 600 吨"),
    ("邢台宏达线材经销部", "邢台", "线材", "phone", "李老板：每月盘螺 80 吨"),
    ("廊坊安居建筑工程有限公司", "廊坊", "建筑施工", "web", "赵工：住宅项目 HRB400 螺纹钢 300 吨"),
    ("沧州明珠管道有限公司", "沧州", "管道", "referral", "孙总：无缝管询价"),
    ("保定长城汽车配件厂", "保定", "汽车配件", "exhibition", "周采购：冷轧板 SPCC 1.0mm"),
    ("天津滨海物流园开发公司", "天津", "物流仓储", "web", "吴经理：仓库钢结构与彩钢板"),
    ("济南重工机械有限公司", "济南", "机械制造", "phone", "郑工：Q355B 中厚板 20–40mm"),
    ("青岛港湾工程有限公司", "青岛", "港口工程", "exhibition", "冯总：码头护栏与钢管桩"),
    ("郑州中原冷库建设公司", "郑州", "冷链", "web", "陈经理：冷库钢结构 150 吨"),
    ("石家庄众鑫门窗厂", "石家庄", "门窗", "phone", "褚老板：镀锌带钢"),
    ("太原晋能光伏支架有限公司", "太原", "光伏", "referral", "卫工：光伏支架 C 型钢"),
    ("呼和浩特草原乳业工程部", "呼和浩特", "食品", "web", "蒋经理：厂房扩建询价"),
]
RETURN_REASONS = ["客户改从钢厂直采，暂无需求", "多次联系不上，号码停机", "对方只做小批量零售，不适合我们"]


def build_pool(b) -> dict:
    """A lead pool: steel buyers in the company pool and in the teams' pools, some claimed
    (one converted, one returned with a reason, one given out by a manager) and one customer
    nobody worked, recycled back to its team's pool — all through kehu.sales.pool, then dated
    back."""
    from kehu.customers.models import Customer
    from kehu.org.models import User
    from kehu.sales import pool
    from kehu.sales.models import OwnershipChange

    r = random.Random(b.rnd.randrange(10**6))
    now = dt.datetime.now(dt.timezone.utc)
    teams = [t for t in b.sales_by_team]
    made = []
    for i, (company, city, industry, source, need) in enumerate(LEADS):
        team_id = None if i % 3 == 0 else teams[i % len(teams)]
        team = None
        if team_id is not None:
            from kehu.org.models import Team

            team = Team.objects.get(pk=team_id)
        lead = pool.lead_create(actor=b.admin, team=team, data={
            "name": company, "city": city, "industry": industry, "source": source, "remarks": need,
            "phone": f"139{r.randint(10000000, 99999999)}"})
        Customer.objects.filter(pk=lead.pk).update(created_at=now - dt.timedelta(days=r.randint(3, 40)))
        made.append(lead)
    people = [p for lst in b.sales_by_team.values() for p in lst]
    claimer, other = people[0], people[1 % len(people)]
    claimed = pool.lead_claim(actor=claimer, customer=made[0], note="展会上交换过名片")
    pool.lead_convert(actor=claimer, customer=Customer.objects.get(pk=claimed.pk), to_stage="potential", force=True)
    returned = pool.lead_claim(actor=other, customer=Customer.objects.get(pk=made[3].pk))
    pool.lead_release(actor=other, customer=Customer.objects.get(pk=returned.pk), reason=r.choice(RETURN_REASONS))
    manager = User.objects.filter(role="sales_manager", team_id=made[1].team_id).first() or b.admin
    given = b.sales_by_team.get(made[1].team_id, people)[0]
    pool.lead_assign(actor=manager, customer=Customer.objects.get(pk=made[1].pk), owner=given, note="熟悉当地市场")
    # one lead claimed two months ago and never worked: recycled back to its team's pool
    quiet = pool.lead_claim(actor=claimer, customer=Customer.objects.get(pk=made[6].pk))
    back = now - dt.timedelta(days=62)
    Customer.objects.filter(pk=quiet.pk).update(created_at=back - dt.timedelta(days=5))
    OwnershipChange.objects.filter(customer=quiet).update(at=back)
    recycled = pool.pool_recycle(now=now, only_ids=[quiet.pk])
    return {"leads": len(made), "recycled": len(recycled.returned)}


def build_quotas(b) -> int:
    """Quotas (销售指标) for this quarter and the next: each salesperson's about a tenth above a
    quarter of what their customers bought in the last year (rounded to 10 000), each sales
    team's the sum of its people's. Set by the administrator through the service (audited)."""
    from django.db.models import Sum

    from kehu.org.models import Team
    from kehu.sales.forecast import period_containing
    from kehu.sales.models import Order, OrderStatus
    from kehu.sales.quotas import quota_create

    this = period_containing(b.today)
    year_ago = b.today - dt.timedelta(days=365)
    made = 0
    for team_id, people in b.sales_by_team.items():
        team_total = Decimal(0)
        amounts = {}
        for person in people:
            bought = (Order.objects.filter(customer__owner=person, order_date__gt=year_ago, order_date__lte=b.today)
                      .exclude(status=OrderStatus.CANCELLED).aggregate(t=Sum("amount"))["t"] or Decimal(0))
            amounts[person] = max(Decimal(100_000), (bought / 4 * Decimal("1.1") / 10_000).quantize(Decimal(1)) * 10_000)
            team_total += amounts[person]
        team = Team.objects.get(pk=team_id)
        for period in (this, this.next()):
            for person, amount in amounts.items():
                quota_create(actor=b.admin, period=period.code, amount=amount, user=person)
                made += 1
            quota_create(actor=b.admin, period=period.code, amount=team_total, team=team)
            made += 1
QUOTE_TERMS = ("含运费送至客户指定地点；货到30天内付款。\nDelivery to the customer's site included; "
               "payment within 30 days of delivery.")


def build_quotes(b) -> int:
    """Quotes (报价单) for some of the demo's open opportunities, in steel products from the
    catalogue, through the services: drafts, one sent, one in its second version, one
    pending a manager's approval (a discount above the ceiling) and one accepted into an
    order (which wins its opportunity). Returns how many quotes.

    The demo has no value run yet when it is built, so no tier sets a discount ceiling;
    the pending quote is given the ceiling a silver customer has (5 %) and sent for
    approval as the submit service does."""
    from kehu.sales.models import Opportunity, Product, QuoteStatus, StageOutcome
    from kehu.sales.quotes import (
        _ask_approval, quote_accept, quote_create, quote_new_version, quote_send, quote_submit,
    )

    r = random.Random(b.rnd.randrange(10**6))
    products = list(Product.objects.filter(active=True, line__isnull=False).exclude(line__code="PROCESS")
                    .select_related("line").order_by("ref"))
    if not products:
        return 0
    opps = list(Opportunity.objects.filter(stage__outcome=StageOutcome.OPEN, stage__code__in=("potential",
                                                                                            "opportunity"))
                .select_related("customer", "owner").order_by("id")[:12])
    plan = ["accepted", "pending", "sent", "revised", "draft", "draft", "approved", "sent"]
    made = 0
    for opp, kind in zip(opps, plan):
        actor = opp.owner
        if actor is None:
            continue
        lines = []
        for product in r.sample(products, min(len(products), r.choice((2, 3)))):
            tonnes = Decimal(r.choice((5, 8, 12.5, 20, 36.8, 50))).quantize(Decimal("0.001"))
            discount = Decimal(r.choice((0, 2, 3, 5)))
            lines.append({"product": product, "quantity": tonnes, "discount": discount})
        if kind == "pending":
            lines[0]["discount"] = Decimal(12)
        quote = quote_create(actor=actor, customer=opp.customer, lines=lines, data={
            "opportunity": opp, "title": opp.name[:200], "terms": QUOTE_TERMS,
            "issued_on": b.today - dt.timedelta(days=r.randint(1, 10))})
        made += 1
        if kind == "draft":
            continue
        if kind == "pending":
            from django.utils import timezone

            quote.discount_ceiling, quote.status = Decimal(5), QuoteStatus.PENDING
            quote.submitted_at = timezone.now()
            quote.save(update_fields=["discount_ceiling", "status", "submitted_at", "updated_at"])
            _ask_approval(quote)
            continue
        quote_submit(actor=actor, quote=quote)
        if kind == "approved":
            continue
        if kind == "accepted":
            from kehu.sales.models import StageChange

            quote_accept(actor=actor, quote=quote)
            opp.refresh_from_db()
            last = StageChange.objects.filter(opportunity=opp).order_by("-at", "-id").first()
            if opp.won_at and last is not None:     # one moment for the win and its history row
                StageChange.objects.filter(pk=last.pk).update(at=opp.won_at)
            continue
        quote_send(actor=actor, quote=quote)
        if kind == "revised":
            v2 = quote_new_version(actor=actor, quote=quote)
            made += 1
            from kehu.sales.quotes import quote_update

            quote_update(actor=actor, quote=v2, data={}, lines=[
                {"product": ln.product, "quantity": ln.quantity, "discount": min(ln.discount + 1, Decimal(5))}
                for ln in v2.lines.select_related("product")])
            quote_submit(actor=actor, quote=v2)
            quote_send(actor=actor, quote=v2)
    return made
