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
                for code in order[1:order.index(target) + 1]:
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
