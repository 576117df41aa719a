"""The demo company's campaigns (issue 16 item 11): a finished one — 螺纹钢 spring restocking to
the steel buyers of the largest region, by e-mail with a coupon, a 20% control group and the orders that
followed, so that its results show a measured lift — and a running one, part sent, that the
worker finishes. Made through the campaign services (audience, control group, the gate), with
their own templates and coupon kind (get_or_create by code: independent of the other demo
builders), then dated back."""

from __future__ import annotations

import datetime as dt
import math
import random
from collections import Counter
from decimal import Decimal

CENT = Decimal("0.01")


def _templates():
    from kehu.marketing.outreach.models import MessageTemplate

    spring, _c = MessageTemplate.objects.get_or_create(code="demo-campaign-rebar", defaults=dict(
        name="螺纹钢春季补货 A", channel="email", purpose="marketing",
        subject_zh="{{ customer.name }}：螺纹钢春季补货，满5000减200",
        body_zh="{{ contact.name }}您好：\n开工季螺纹钢 HRB400E 现货充足，凭优惠码 {{ coupon.code }} 满5000元减200元"
                "（{{ coupon.valid_until }} 前有效）。\n查看报价：{{ link }}\n{{ owner.name }} {{ owner.phone }}",
        subject_en="{{ customer.name }}: spring rebar restocking, ¥200 off ¥5,000",
        body_en="Dear {{ contact.name }},\nHRB400E rebar is in stock for the building season. Code {{ coupon.code }} "
                "takes ¥200 off ¥5,000 (until {{ coupon.valid_until }}).\nPrices: {{ link }}\n{{ owner.name }}"))
    short, _c = MessageTemplate.objects.get_or_create(code="demo-campaign-rebar-b", defaults=dict(
        name="螺纹钢春季补货 B", channel="email", purpose="marketing",
        subject_zh="开工季螺纹钢现货，优惠码 {{ coupon.code }}",
        body_zh="{{ customer.name }}：螺纹钢现货到港，满5000减200，优惠码 {{ coupon.code }}。{{ link }}",
        subject_en="Rebar in stock, code {{ coupon.code }}",
        body_en="{{ customer.name }}: rebar in stock, ¥200 off ¥5,000 with {{ coupon.code }}. {{ link }}"))
    care, _c = MessageTemplate.objects.get_or_create(code="demo-campaign-winter", defaults=dict(
        name="冬季老客户回馈", channel="email", purpose="marketing",
        subject_zh="{{ customer.name }}，感谢一年来的支持", body_zh="冬储钢材预订享受年度价格，详情：{{ link }}",
        subject_en="Thank you, {{ customer.name }}", body_en="Winter stock at this year's prices: {{ link }}"))
    return spring, short, care


def _region_rule(b) -> dict:
    """The steel buyers (organisations, not the hardware store's shoppers) of the demo's largest region."""
    regions = Counter(c.region for c in b.customers if c.region)
    region = regions.most_common(1)[0][0] if regions else ""
    return {"customer": {"region": region, "kind": "organization"}} if region else {"customer": {"kind": "organization"}}


def _offer(b, today):
    from kehu.marketing.coupons.models import CouponDefinition

    offer, _c = CouponDefinition.objects.get_or_create(ref=OFFER_REF, defaults=dict(
        name_zh="螺纹钢满5000减200", name_en="Rebar: ¥200 off ¥5,000", kind="amount", value=Decimal("200"),
        min_spend=Decimal("5000"), valid_from=today - dt.timedelta(days=120), valid_until=today + dt.timedelta(days=60),
        per_customer_limit=1, created_by=b.admin))
    return offer


def _city_rule(b) -> dict:
    cities = Counter(c.city for c in b.customers if c.city)
    city = cities.most_common(1)[0][0] if cities else ""
    return {"customer": {"city": city, "kind": "organization"}} if city else {"customer": {"kind": "organization"}}


def _orders(b, members, rate: float, day0: dt.date, days: int, r: random.Random, rebar) -> list[int]:
    """Orders of rebar by a share ``rate`` of ``members`` within ``days`` days after ``day0``; the buyers."""
    from kehu.numbering.services import number_reserve
    from kehu.sales.models import Order, OrderLine

    # exactly the share (not a coin per member): the small demo's groups still show the lift
    buyers = r.sample(members, round(rate * len(members))) if members else []
    if not buyers:
        return []
    orders, lines = [], []
    for m in buyers:
        d = min(day0 + dt.timedelta(days=r.randint(2, days)), b.today)
        tonnes = Decimal(r.choice((5, 8, 10, 15, 20, 30)))
        price = rebar.unit_price if rebar is not None and rebar.unit_price else Decimal(3760)
        amount = (tonnes * price).quantize(CENT)
        orders.append(Order(customer_id=m.customer_id, ref="", order_date=d, status="delivered", currency="CNY",
                            amount=amount, cost=(amount * Decimal("0.94")).quantize(CENT),
                            payment_due_on=d + dt.timedelta(days=30), salesperson_id=m.customer.owner_id,
                            created_at=b.when(d)))
        lines.append((tonnes, price, amount))
    for order, ref in zip(orders, number_reserve(series="order", count=len(orders))):
        order.ref = ref
    Order.objects.bulk_create(orders, batch_size=1000)
    OrderLine.objects.bulk_create([
        OrderLine(order_id=o.pk, product=rebar, description=rebar.name if rebar else "螺纹钢 HRB400E", quantity=t,
                  unit_price=p, amount=a, cost=(a * Decimal("0.94")).quantize(CENT))
        for o, (t, p, a) in zip(orders, lines)], batch_size=1000)
    from kehu.sales.dashboard_figures import bump_sales_version

    bump_sales_version()  # bulk writes send no signals: the dashboard's cached figures by hand
    return [m.customer_id for m in buyers]


TEMPLATE_CODES = ("demo-campaign-rebar", "demo-campaign-rebar-b", "demo-campaign-winter")
OFFER_REF = "DEMO-REBAR-200"


def delete_campaigns(users) -> None:
    """Remove the demo's campaigns (made by its users; members, variants, costs and clicks go with
    them), their coupons, offer and templates — before ``demo_delete`` removes the customers."""
    import contextlib

    from django.db.models import ProtectedError

    from kehu.marketing.campaigns.models import Campaign
    from kehu.marketing.coupons.models import Coupon, CouponDefinition, Redemption
    from kehu.marketing.outreach.models import MessageTemplate

    campaigns = Campaign.objects.filter(created_by__in=users)
    ids = list(campaigns.values_list("pk", flat=True))
    coupons = Coupon.objects.filter(source="campaign", source_id__in=ids)
    Redemption.objects.filter(coupon__in=coupons).delete()
    campaigns.delete()
    coupons.delete()
    with contextlib.suppress(ProtectedError):   # kept when something else uses them
        CouponDefinition.objects.filter(ref=OFFER_REF, coupons__isnull=True).delete()
        MessageTemplate.objects.filter(code__in=TEMPLATE_CODES).delete()


def build_campaigns(b) -> int:
    """A finished campaign with a control group and a measured lift, and a running one; returns
    how many campaigns were made."""
    from kehu.marketing.campaigns import services
    from kehu.marketing.campaigns.models import Campaign, CampaignStatus, Click, Member
    from kehu.marketing.coupons.models import Coupon, CouponStatus, Redemption
    from kehu.marketing.outreach.models import GateSettings, OutboundMessage
    from kehu.sales.models import Order, Product

    r = random.Random(b.seed * 31 + 5)
    today = b.today
    if not GateSettings.objects.filter(pk=1).exists():
        GateSettings.objects.create(pk=1)
    spring, short, winter = _templates()
    offer = _offer(b, today)
    rebar = Product.objects.filter(name__startswith="螺纹钢").order_by("id").first()

    # -- finished: 螺纹钢春季补货, sent 45 days ago, 30-day window -----------------------------------
    sent = dt.datetime.combine(today - dt.timedelta(days=45), dt.time(10, 0), tzinfo=b.tz)
    rule = _region_rule(b)
    done = services.campaign_create(actor=b.admin, data={
        "code": f"C{sent.year}-901", "name": "螺纹钢春季补货", "goal": "开工季前提醒老客户补货，满5000减200。",
        "kind": "marketing", "channel": "email", "offer": offer, "target_url": "https://huaxin-steel.example/rebar",
        "starts_at": sent, "attribution_days": 30, "control_share": Decimal("0.200"), "budget": Decimal("3000"),
        "cost_per_message": Decimal("0.05"), "audience_kind": "rule", "rule": rule},
        variants=[{"label": "A", "template": spring, "share": 1}, {"label": "B", "template": short, "share": 1}],
        costs=[{"category": "creative", "planned": Decimal("800"), "actual": Decimal("650"), "note": "文案与配图"},
               {"category": "offer", "planned": Decimal("2000"), "actual": Decimal("0"), "note": "优惠券按核销计"}])
    # the demo's control groups are drawn with seeds of its own, so that one demo seed makes one company
    Campaign.objects.filter(pk=done.pk).update(seed=b.seed * 1000 + 901)
    done.refresh_from_db()
    services.audience_select(campaign=done, now=sent)
    Campaign.objects.filter(pk=done.pk).update(status=CampaignStatus.SCHEDULED)
    services.campaign_run(done.pk, now=sent)
    members = list(Member.objects.filter(campaign=done).select_related("customer"))
    treated = [m for m in members if not m.control and m.message_id]
    control = [m for m in members if m.control]
    # The customers who would have ordered anyway (the demo's own order history within the window) respond
    # in both groups; the campaign's own orders go to treated customers who would not have, enough for the
    # treated to respond 15 points more often than the control group — whatever the demo's size and seed.
    in_window = set(Order.objects.filter(customer_id__in=[m.customer_id for m in members],
                                         order_date__gte=sent.date(), order_date__lte=sent.date() + dt.timedelta(days=30))
                    .exclude(status="cancelled").values_list("customer_id", flat=True))
    all_treated = [m for m in members if not m.control]
    rate_control = sum(m.customer_id in in_window for m in control) / max(1, len(control))
    need = math.ceil(min(0.95, rate_control + 0.15) * len(all_treated)) - sum(
        m.customer_id in in_window for m in all_treated)
    pool = [m for m in treated if m.customer_id not in in_window]
    chosen = r.sample(pool, min(max(need, 0), len(pool)))
    buyers = _orders(b, chosen, 1.0, sent.date(), 28, r, rebar)
    # a third of the treated buyers used their coupon, some clicked the link first
    coupons = {c.customer_id: c for c in Coupon.objects.filter(source="campaign", source_id=done.pk)}
    by_customer = {o.customer_id: o for o in Order.objects.filter(customer_id__in=buyers,
                                                                   order_date__gte=sent.date()).order_by("id")}
    redeemed, clicks = [], []
    for m in treated:
        if m.customer_id in by_customer and r.random() < 0.6:
            at = sent + dt.timedelta(hours=r.randint(2, 72))
            clicks.append(Click(member=m, clicked_at=at))
            Member.objects.filter(pk=m.pk).update(clicked_at=at)
        if m.customer_id in by_customer and m.customer_id in coupons and r.random() < 0.35:
            order = by_customer[m.customer_id]
            coupon = coupons[m.customer_id]
            redeemed.append(Redemption(coupon=coupon, order=order, order_ref=order.ref, eligible_amount=order.amount,
                                       amount=offer.value, redeemed_by=b.admin,
                                       redeemed_at=b.when(order.order_date)))
    Click.objects.bulk_create(clicks)
    Redemption.objects.bulk_create(redeemed)
    Coupon.objects.filter(pk__in=[x.coupon_id for x in redeemed]).update(status=CouponStatus.REDEEMED)
    OutboundMessage.objects.filter(source_kind="campaign", source_id=done.pk).update(created_at=sent, updated_at=sent)
    Campaign.objects.filter(pk=done.pk).update(sent_at=sent, started_at=sent, finished_at=sent)
    done.refresh_from_db()
    services.campaign_finish(actor=b.admin, campaign=done)
    from kehu.marketing.campaigns.models import CostLine
    CostLine.objects.filter(campaign=done, category="offer").update(actual=offer.value * len(redeemed))

    # -- running: 冬季老客户回馈, part sent; the worker sends the rest -------------------------------------
    start = dt.datetime.combine(today, dt.time(9, 30), tzinfo=b.tz)
    running = services.campaign_create(actor=b.admin, data={
        "code": f"C{today.year}-902", "name": "冬季老客户回馈", "goal": "冬储预订，留住老客户。", "kind": "retention",
        "channel": "email", "target_url": "https://huaxin-steel.example/winter", "starts_at": start,
        "attribution_days": 30, "control_share": Decimal("0.150"), "budget": Decimal("1500"),
        "cost_per_message": Decimal("0.05"), "audience_kind": "rule", "rule": _city_rule(b)},
        variants=[{"label": "A", "template": winter, "share": 1}])
    Campaign.objects.filter(pk=running.pk).update(seed=b.seed * 1000 + 902)
    running.refresh_from_db()
    services.audience_select(campaign=running, now=start)
    Campaign.objects.filter(pk=running.pk).update(status=CampaignStatus.SCHEDULED)
    saved = services.BATCH
    services.BATCH = max(10, Member.objects.filter(campaign=running, control=False).count() // 3)
    try:
        services.campaign_run(running.pk, now=start, max_batches=1)
    finally:
        services.BATCH = saved
    return 2
