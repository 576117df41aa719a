"""The demo company's retail line, membership, coupons, care and win-back (issue 16 item 11).

Beside the steel trade Huaxin runs a hardware and building-materials store (五金建材门店 /
Hardware store, a team of the head office with its store manager 李娜) that sells tools,
plumbing, paint and small steel to people renovating their homes, to decoration foremen and to
small contractors. Its customers are individuals with birthdays, wedding anniversaries, consents
(some opted out of marketing e-mail: SMS only; some of SMS), a language (a few write in English)
and two years of paid purchases: membership and care make sense there.

Everything goes through the marketing apps' services, in the order it happened:

- **outreach**: bilingual templates (birthday, thank-you after a purchase, Spring Festival and
  Mid-Autumn, the rice merchant's reorder reminder, tier upgrade, coupon notice, monthly card,
  anniversary call), a bounced address on the suppression list, one customer who unsubscribed;
- **membership**: the default tiers 普通 / 银卡 / 金卡 / 钻石 (``tiers_init``), earning rules per
  product line, members who joined at their first purchase with a welcome bonus, points earned on
  each paid order, a store-anniversary bonus, points exchanged for a coupon, corrections, the
  nightly expiry and the monthly tier review — so members moved up and down; the last review's
  upgrades are told through the gate;
- **coupons**: ¥50 off ¥500 to the store's member segment, 10% off processing by hand to steel
  key accounts, a shared anniversary code, collect-the-set (plumbing + paint → ¥100), ¥20
  coupons bought with points; redeemed on real orders, the rest expired or voided;
- **care**: a rule per occasion, each with an owner, a channel and a template, run for the last
  five days (messages sent or held by the gate, tasks for owners); the coming week stays
  upcoming in the owners' calendars (/care/);
- **win-back**: steel customers who drifted away marked lost with the documents' reasons (mostly
  indifferent staff), one won back by a new order.

The demo sends nothing: e-mail goes to the dummy backend (``generator._no_mail``) and SMS to a
console that writes nowhere (:func:`_no_sms`). Its own random stream (``marketing-<seed>``)
keeps it deterministic without changing what the other builders draw. History (coupons issued
and redeemed, notices sent) is dated in the past with an update after the service wrote it,
as the generator dates its bulk rows."""

from __future__ import annotations

import contextlib
import datetime as dt
import io
import random
from decimal import Decimal
from zoneinfo import ZoneInfo

STORE_TEAM = "五金建材门店 Hardware store"
STORE_USER = ("lina", "李娜 (门店店长)")
RETAIL_LINE = ("RETAIL", "五金建材零售 Hardware & building retail")
RETAIL_TERMS = (12, 7, 15)   # 三包: 12 months' warranty on tools, return in 7 days, exchange in 15
# (name, unit, price, cost ratio)
RETAIL_PRODUCTS = [
    ("冲击钻 800W", "台", 299, 0.68), ("角磨机 100型", "台", 189, 0.66), ("五金工具套装 46件", "套", 168, 0.60),
    ("不锈钢合页 4寸（10只装）", "盒", 45, 0.55), ("膨胀螺丝 M8（100只）", "盒", 38, 0.50),
    ("JS防水涂料 20kg", "桶", 260, 0.62), ("水泥 P.O42.5 50kg", "袋", 32, 0.80), ("PPR水管 20mm×4m", "根", 18, 0.58),
    ("BV电线 2.5平方 100m", "卷", 239, 0.74), ("瓷砖胶 20kg", "袋", 65, 0.60), ("乳胶漆 5L", "桶", 328, 0.58),
    ("不锈钢水槽 单槽", "个", 459, 0.62), ("镀锌角钢 L40×4 6m", "根", 96, 0.78), ("钢筋网片 Φ6 2×1m", "片", 45, 0.75),
    ("铝合金人字梯 5步", "把", 399, 0.60), ("方管 40×40×2 6m", "根", 120, 0.78),
]
PLUMBING = ("PPR水管", "BV电线", "JS防水")
PAINT = ("乳胶漆", "瓷砖胶")
DISTRICTS = ["朝阳区", "丰台区", "大兴区", "通州区", "海淀区", "昌平区", "房山区"]
STREETS = ["建材城西路", "南四环中路", "京开路", "玉泉营街", "马家堡东路", "科技园路"]
OCCUPATIONS = {"casual": ["教师", "公务员", "程序员", "退休职工", "医生", "个体户"],
               "reno": ["公司职员", "教师", "会计", "设计师", "工程师"],
               "contractor": ["装修队长", "水电工", "瓦工班长"], "big": ["装修公司老板", "工长"],
               "lapsed": ["公司职员", "个体户"]}
# The store's kinds of buyer, in a cycle so that a small demo has each: orders a year (over the
# window they buy in) and the yuan of one order.
CYCLE = ["big", "contractor", "reno_now", "casual", "reno_past", "casual", "contractor", "casual", "reno_now",
         "lapsed", "casual", "reno_past", "casual", "contractor", "casual", "reno_now", "casual", "lapsed",
         "reno_past", "casual"]
BUYING = {"casual": (1.5, 100, 900), "contractor": (2.4, 11000, 15000), "big": (2, 55000, 70000),
          "reno_now": (10, 1800, 3200), "reno_past": (11, 4000, 6000), "lapsed": (2, 200, 900)}
# contractors and foremen buy for their sites at a steady pace (days between orders)
PACE = {"contractor": 150, "big": 180}
PAY_METHODS = ["微信支付", "微信支付", "支付宝", "银行卡", "现金"]
HISTORY_DAYS = 790   # a little over two years: the oldest points have just expired

# code, name, channel, purpose, subject_zh, body_zh, subject_en, body_en
TEMPLATES = [
    ("hx-birthday", "生日祝福 Birthday greeting", "sms", "marketing", "",
     "{{ customer.name }}，华信五金建材祝您生日快乐！生日当月到店消费享会员双倍积分。",
     "", "Happy birthday, {{ customer.name }}, from Huaxin Hardware! Members earn double points in their "
         "birthday month."),
    ("hx-thanks", "购后致谢 Thank-you after a purchase", "email", "service", "感谢您选择华信",
     "{{ contact.name }}，您好：\n\n感谢您近日在华信的采购。如对货物或服务有任何问题，请随时联系"
     "{{ owner.name }}（{{ owner.phone }}）。\n\n华信钢材贸易有限公司",
     "Thank you for choosing Huaxin",
     "Dear {{ contact.name }},\n\nThank you for your recent purchase from Huaxin. If anything about the goods or "
     "the service is not right, please call {{ owner.name }} ({{ owner.phone }}).\n\nHuaxin Steel Trading"),
    ("hx-spring-festival", "春节祝福 Spring Festival greeting", "wechat", "marketing", "",
     "新春佳节，华信钢材全体同仁恭祝{{ customer.name }}阖家幸福、生意兴隆！", "",
     "Huaxin wishes {{ customer.name }} a happy and prosperous Spring Festival!"),
    ("hx-mid-autumn", "中秋祝福 Mid-Autumn greeting", "wechat", "marketing", "",
     "月圆人团圆，华信钢材祝{{ customer.name }}中秋快乐，花好月圆！", "",
     "Huaxin wishes {{ customer.name }} a joyful Mid-Autumn Festival under the full moon."),
    ("hx-rice-merchant", "米店老板：补货提醒 Rice merchant: reorder reminder", "sms", "marketing", "",
     "{{ contact.name }}您好，按贵司以往的采购节奏，常用的螺纹钢等钢材快到补货时间了。华信已备好库存，"
     "需要时请联系{{ owner.name }} {{ owner.phone }}，48小时内送到。", "",
     "Dear {{ contact.name }}, going by your usual rhythm your regular rebar order is due soon. Huaxin has it in "
     "stock: call {{ owner.name }} on {{ owner.phone }} and it is delivered within 48 hours."),
    ("hx-tier-upgrade", "会员升级通知 Tier upgrade notice", "sms", "service", "",
     "{{ customer.name }}，恭喜！您的华信五金会员等级已升级，新等级积分倍率更高。详情请咨询{{ owner.name }} "
     "{{ owner.phone }}。", "",
     "Congratulations, {{ customer.name }}: your Huaxin Hardware membership has moved up a tier and earns points "
     "faster. Ask {{ owner.name }} ({{ owner.phone }}) for details."),
    ("hx-coupon", "优惠券通知 Coupon notice", "email", "marketing", "您有一张华信五金优惠券",
     "{{ customer.name }}，您好：\n\n送您一张{{ coupon.value }}优惠券，券码 {{ coupon.code }}，"
     "有效期至 {{ coupon.valid_until }}，到店结账时出示即可。\n\n华信五金建材门店",
     "A Huaxin Hardware coupon for you",
     "Dear {{ customer.name }},\n\nHere is a {{ coupon.value }} coupon, code {{ coupon.code }}, valid until "
     "{{ coupon.valid_until }}: show it at the till.\n\nHuaxin Hardware store"),
    ("hx-monthly-card", "每月一卡 Monthly card", "mail", "marketing", "",
     "{{ contact.name }}：本月华信钢材为贵司备有Q355B中厚板、H型钢现货及剪板、激光切割加工。"
     "您的客户经理{{ owner.name }}随时为您服务。", "",
     "{{ contact.name }}: this month Huaxin has Q355B plate and H-beams in stock, with shearing and laser "
     "cutting. Your account manager {{ owner.name }} is at your service."),
    ("hx-anniversary-call", "纪念日电话问候 Anniversary call", "phone", "marketing", "纪念日问候来电",
     "致电{{ customer.name }}，祝贺纪念日，顺便了解近期装修或采购计划。", "Anniversary call",
     "Call {{ customer.name }} to congratulate them on the anniversary and ask about their plans."),
]
TEMPLATE_CODES = [t[0] for t in TEMPLATES]

# name, rule (kehu.insights.segments)
SEGMENTS = {
    "all": "华信全部客户 All Huaxin customers",
    "store": "门店会员 Store customers",
    "key": "重点客户 Key accounts",
    "repeat": "钢材老客户 Steel repeat buyers",
}

# ref, zh, en, kind, value, min spend, lines, extra
COUPONS = [
    ("HX-M500-50", "满500减50", "¥50 off ¥500", "amount", 50, 500, ["RETAIL"], {"valid_days": 30}),
    ("HX-PROC-10", "加工服务九折", "10% off processing", "percentage", 10, 0, ["PROCESS"], {"valid_days": 90}),
    ("HX-ANNIV-20", "门店周年庆通用券", "Store anniversary code", "amount", 20, 200, [],
     {"code_mode": "shared", "shared_code": "HUAXIN20"}),
    ("HX-SET-WATER", "集章券：水电", "Set stamp: plumbing", "amount", 10, 100, ["RETAIL"], {"valid_days": 60}),
    ("HX-SET-PAINT", "集章券：油漆", "Set stamp: paint", "amount", 10, 100, ["RETAIL"], {"valid_days": 60}),
    ("HX-SET-REWARD", "集齐有礼 ¥100", "Set reward ¥100", "amount", 100, 800, ["RETAIL"], {"valid_days": 60}),
    ("HX-PTS-20", "积分兑换券 ¥20", "¥20 coupon for points", "amount", 20, 100, ["RETAIL"], {"valid_days": 90}),
]
COUPON_REFS = [c[0] for c in COUPONS]
POINTS_FOR_COUPON = 2000
NOTICE_DAYS = 120   # member events older than this had their notice at the time

# The documents' reasons, in an order that gives a small demo each of them and a large one
# about the documents' shares (indifferent staff 68%).
LOSS_REASONS = ["staff", "product", "competitor", "staff", "friends", "moved", "died", "staff", "staff", "product",
                "staff", "staff", "competitor", "staff", "staff", "product", "staff", "staff", "staff", "staff",
                "staff", "staff", "staff", "staff"]
LOSS_NOTES = {
    "staff": "客户反映业务员半年没联系，报价也总是拖 / Says nobody called for six months and quotes came late",
    "product": "两批螺纹钢表面锈蚀，换货不及时 / Two batches of rusty rebar, replaced too slowly",
    "competitor": "本地钢贸商每吨便宜80元，并给60天账期 / A local trader is 80 yuan a tonne cheaper, with 60 days",
    "friends": "老板的朋友开了钢材门市，改从朋友处进货 / The owner's friend opened a steel shop",
    "moved": "工厂搬迁到外省 / The factory moved to another province",
    "died": "老板病故，企业停业 / The owner died; the business closed",
}
CENT = Decimal("0.01")


def retail_count(customers: int) -> int:
    """How many store customers a demo of ``customers`` customers gets."""
    return max(12, min(16, customers // 180))


@contextlib.contextmanager
def _no_sms():
    """SMS in the demo go to a console that writes nowhere, whatever the settings name."""
    from kehu.marketing.outreach import channels

    saved = channels.sms_provider
    channels.sms_provider = lambda: channels.ConsoleSmsProvider(stream=io.StringIO())
    try:
        yield
    finally:
        channels.sms_provider = saved


def build_marketing(b) -> dict:
    """The store, its customers and orders, and the marketing on top (module docstring). Returns counts."""
    m = _Marketing(b)
    with _no_sms():
        m.store()
        m.customers()
        m.orders()
        m.templates()
        m.segments()
        m.suppression()
        m.membership()
        m.coupons()
        m.care()
        m.winback()
        m.unsubscribe()
    return m.counts


class _Marketing:
    def __init__(self, b):
        from django.conf import settings
        from django.utils import timezone
        from faker import Faker

        self.b = b
        self.rnd = random.Random(f"marketing-{b.seed}")
        self.fake = Faker("zh_CN")
        self.fake.seed_instance(b.seed + 16)
        self.fake_en = Faker("en_US")
        self.fake_en.seed_instance(b.seed + 16)
        self.today = b.today
        # services refuse dates after the real today (a loss, a win-back)
        self.real_today = min(b.today, timezone.localdate())
        self.tz = ZoneInfo(settings.TIME_ZONE)
        self.marketing = b.users.get("marketing") or b.admin
        self.counts: dict[str, int] = {}

    def at(self, day: dt.date, hour: int = 10) -> dt.datetime:
        """An instant of ``day`` in the company's zone (10:00: after the quiet hours)."""
        return dt.datetime(day.year, day.month, day.day, hour, self.rnd.randrange(60), tzinfo=self.tz)

    # -- the store ---------------------------------------------------------------------
    def store(self):
        from kehu.demo.generator import CLASH_SUFFIX
        from kehu.org.models import User
        from kehu.org.services import team_create
        from kehu.sales.models import Product, ProductLine

        b = self.b
        team = team_create(name=STORE_TEAM, parent=b.teams["root"])
        b.teams["store"] = team
        username, display = STORE_USER
        if User.objects.filter(username=username).exists():
            username += CLASH_SUFFIX
        # the same password as every demo account: its hash is copied, not computed again
        self.manager = User.objects.create(username=username, display_name=display, role="sales_manager", team=team,
                                           password=b.admin.password, email=f"{STORE_USER[0]}@huaxin-steel.example")
        b.users[STORE_USER[0]] = self.manager
        b.sales_by_team[team.pk] = [self.manager]
        code, name = RETAIL_LINE
        line = ProductLine.objects.filter(code=code).first() or ProductLine.objects.create(code=code, name=name)
        if (line.warranty_months, line.return_days, line.exchange_days) == (None, None, None):
            line.warranty_months, line.return_days, line.exchange_days = RETAIL_TERMS
            line.save(update_fields=["warranty_months", "return_days", "exchange_days", "updated_at"])
        self.line = line
        self.items = []
        for n, (pname, unit, price, ratio) in enumerate(RETAIL_PRODUCTS, start=1):
            ref = f"HX-RT{n:03d}"
            product = Product.objects.filter(ref=ref).first() or Product.objects.create(
                ref=ref, name=pname, line=line, unit=unit, unit_price=Decimal(price),
                unit_cost=(Decimal(price) * Decimal(str(ratio))).quantize(CENT))
            self.items.append(product)
        self.lines = {ln.code: ln for ln in b.lines}
        self.lines[code] = line

    # -- its customers -----------------------------------------------------------------
    def customers(self):
        from kehu.audit.models import AuditEvent
        from kehu.customers.models import Anniversary, Customer
        from kehu.customers.search import name_keys, normalise_phone
        from kehu.demo.generator import BATCH, _keep_created_at
        from kehu.numbering.services import number_reserve

        b, r = self.b, self.rnd
        n = retail_count(b.n)
        refs = number_reserve(series="customer", count=n)
        start = self.today - dt.timedelta(days=HISTORY_DAYS)
        taken = set(Customer.objects.filter(team__path__startswith=b.teams["root"].path)
                    .values_list("name", flat=True))
        objs, self.kinds, self.english = [], [], set()
        window = [self.today + dt.timedelta(days=k) for k in range(-4, 8)]   # the demo's care week
        for i in range(n):
            kind = CYCLE[i % len(CYCLE)]
            english = i % 15 == 7
            for _try in range(20):
                name = self.fake_en.name() if english else self.fake.name()
                if name not in taken:
                    break
            taken.add(name)
            consent = r.random() < 0.8
            c = Customer(
                kind="individual", ref=refs[i], name=name, phone=normalise_phone(self.fake.phone_number()),
                email=(f"{self.fake.user_name()}{i}@{self.fake.free_email_domain()}" if r.random() < 0.65 else ""),
                address=f"北京市{r.choice(DISTRICTS)}{r.choice(STREETS)}{r.randint(1, 300)}号",
                region="north", province="北京市", city="北京", city_tier=1,
                source=r.choices(["other", "referral", "web", "phone"], [50, 25, 15, 10])[0],
                owner=self.manager, team=self.manager.team,
                consent_marketing=consent, consent_data_processing=consent or r.random() < 0.7,
                gender=r.choice(["male", "male", "female"]), occupation=r.choice(OCCUPATIONS[kind.split("_")[0]]),
                preferred_channel=r.choice(["wechat", "sms", "phone", "email"]),
                usage_rate="heavy" if kind in ("big", "contractor") else "light",
                user_status="regular", lifecycle_stage="customer",
                loyalty_level="high" if kind in ("big", "contractor") else "medium",
                relationship_level="accountable" if kind in ("big", "contractor") else "basic",
            )
            # about one in five: marketing e-mail refused (SMS only); a few refuse SMS instead
            if consent and c.email and i % 5 == 2:
                c.opt_out_email = True
            elif consent and i % 11 == 5:
                c.opt_out_sms = True
            if i % 9 == 0:      # a birthday in the care week, so that every demo has some
                day = window[(i // 9) % len(window)]
                c.birthday = dt.date(r.randint(1962, 2000), day.month, min(day.day, 28))
            else:
                c.birthday = dt.date(r.randint(1958, 2002), r.randint(1, 12), r.randint(1, 28))
            age = self.today.year - c.birthday.year
            c.age_band = ("18-25" if age <= 25 else "26-35" if age <= 35 else "36-45" if age <= 45 else
                          "46-55" if age <= 55 else "56+")
            c.name_key, c.name_pinyin, c.name_initials = name_keys(c.name)
            c.created_at = b.when(start + dt.timedelta(days=r.randint(0, 60)))
            if c.consent_marketing or c.consent_data_processing:
                c.consent_updated_at = c.created_at
            objs.append(c)
            self.kinds.append(kind)
            if english:
                self.english.add(i)
        with _keep_created_at(Customer):
            Customer.objects.bulk_create(objs, batch_size=BATCH)
        if objs[0].pk is None:
            by_ref = dict(Customer.objects.filter(ref__in=[c.ref for c in objs]).values_list("ref", "id"))
            for c in objs:
                c.pk = c.id = by_ref[c.ref]
        self.people = objs
        ann = []
        for i, c in enumerate(objs):
            if i % 6 == 1:
                day = (window[(i // 6) % len(window)] if i % 12 == 1
                       else dt.date(2000, r.randint(1, 12), r.randint(1, 28)))
                ann.append(Anniversary(customer_id=c.pk, label="结婚纪念日",
                                       date=dt.date(r.randint(1990, 2020), day.month, min(day.day, 28))))
        Anniversary.objects.bulk_create(ann)
        AuditEvent.objects.bulk_create([
            AuditEvent(actor=b.admin, action="create", entity="customer", entity_id=c.pk, customer_id=c.pk,
                       summary="created by demo", changes={"source": "demo", "name": c.name}) for c in objs])
        from kehu.marketing.outreach.services import customer_language_set

        for i in sorted(self.english):
            customer_language_set(actor=self.manager, customer=objs[i], language="en")
        self.counts["store_customers"] = len(objs)

    # -- their orders and payments -------------------------------------------------------
    def _dates(self, kind: str) -> list[dt.date]:
        b, r = self.b, self.rnd
        per_year, _lo, _hi = BUYING[kind]
        first = self.today - dt.timedelta(days=HISTORY_DAYS)
        lo, hi = {
            "reno_now": (self.today - dt.timedelta(days=170), self.today),
            "reno_past": (self.today - dt.timedelta(days=560), self.today - dt.timedelta(days=400)),
            "lapsed": (first, self.today - dt.timedelta(days=470)),
        }.get(kind, (first, self.today))
        if kind in PACE:
            days, d = [], self.today - dt.timedelta(days=r.randint(0, 20))
            while d >= lo:
                days.append(d)
                d -= dt.timedelta(days=PACE[kind] + r.randint(-10, 10))
            return sorted(days)
        count = max(2, round(per_year * (hi - lo).days / 365 * r.uniform(0.8, 1.2)))
        days = sorted(b.workday(lo, hi, seasonal=False) for _ in range(count))
        if kind in ("casual", "reno_past"):   # a small purchase now and then before or after
            days += [b.workday(first, self.today, seasonal=False) for _ in range(r.randint(0, 1))]
        return sorted(days)

    def _lines(self, kind: str, target: float):
        from kehu.sales.models import OrderLine

        r = self.rnd
        chosen = r.sample(self.items, r.randint(1, 4))
        lines = []
        if kind in ("big", "contractor") and r.random() < 0.35:   # small steel for the site, cut to size
            steel = r.choice([p for group in self.b.products[1:3] for p in group if p.unit == "吨"])
            tonnes = Decimal(str(round(r.uniform(0.3, 1.5), 1)))
            lines.append((steel, tonnes))
            if r.random() < 0.5:
                lines.append((r.choice([p for p in self.b.products[4] if p.unit == "吨"]), tonnes))
        for product in chosen:
            qty = max(1, round(target / len(chosen) / float(product.unit_price) * r.uniform(0.6, 1.4)))
            lines.append((product, Decimal(qty)))
        out = []
        for product, qty in lines:
            price = product.unit_price
            out.append(OrderLine(product=product, description=product.name, quantity=qty, unit_price=price,
                                 amount=(qty * price).quantize(CENT), cost=(qty * product.unit_cost).quantize(CENT)))
        return out

    def orders(self):
        from kehu.demo.generator import BATCH, _keep_created_at, write_orders
        from kehu.sales.models import Order, Payment

        b, r = self.b, self.rnd
        orders, lines_for, pays = [], [], []
        for c, kind in zip(self.people, self.kinds):
            _per, lo, hi = BUYING[kind]
            for d in self._dates(kind):
                lines = self._lines(kind, r.uniform(lo, hi))
                amount = sum((ln.amount for ln in lines), Decimal("0"))
                monthly = kind in ("big", "contractor") and r.random() < 0.5   # 月结: settled at the month's end
                due = (d.replace(day=28) + dt.timedelta(days=4)).replace(day=1) - dt.timedelta(days=1) if monthly else d
                paid_on = due if due <= self.today else None
                order = Order(customer_id=c.pk, ref="", order_date=d, currency="CNY", amount=amount,
                              cost=sum((ln.cost for ln in lines), Decimal("0")), payment_due_on=due,
                              paid_amount=amount if paid_on else Decimal("0"),
                              status="delivered" if d < self.today else "confirmed",
                              salesperson_id=self.manager.pk, created_at=b.when(d, 9, 20))
                orders.append(order)
                lines_for.append(lines)
                pays.append(paid_on)
        write_orders(orders, lines_for)
        payments = [Payment(order_id=o.pk, amount=o.amount, received_on=on, method=r.choice(PAY_METHODS),
                            reference=f"POS{r.randrange(10**10):010d}", created_at=b.when(on, 9, 20))
                    for o, on in zip(orders, pays) if on is not None]
        with _keep_created_at(Payment):
            Payment.objects.bulk_create(payments, batch_size=BATCH)
        self.orders_of: dict[int, list] = {}
        for order, on in zip(orders, pays):
            order.paid_on = on
            self.orders_of.setdefault(order.customer_id, []).append(order)
        self.counts["store_orders"] = len(orders)

    # -- templates and segments --------------------------------------------------------------
    def templates(self):
        from kehu.marketing.outreach.models import MessageTemplate
        from kehu.marketing.outreach.services import template_create

        self.tpl = {}
        for code, name, channel, purpose, s_zh, b_zh, s_en, b_en in TEMPLATES:
            self.tpl[code] = MessageTemplate.objects.filter(code=code).first() or template_create(
                actor=self.marketing, data={"code": code, "name": name, "channel": channel, "purpose": purpose,
                                            "subject_zh": s_zh, "body_zh": b_zh, "subject_en": s_en, "body_en": b_en})

    def segments(self):
        from kehu.insights.models import Segment
        from kehu.insights.segments import segment_create

        rules = {"all": {"customer": {"team_id": self.b.teams["root"].pk}},
                 "store": {"customer": {"team_id": self.b.teams["store"].pk}},
                 "key": {"customer": {"tag": "重点客户"}},
                 "repeat": {"customer": {"kind": "organization", "tag": "老客户"}}}
        descriptions = {"all": "华信钢材与五金建材门店的全部客户 / Every customer of the steel trade and the store",
                        "store": "五金建材门店的零售客户 / The hardware store's retail customers",
                        "key": "打了“重点客户”标签的钢材客户 / Steel customers tagged as key accounts",
                        "repeat": "多年稳定采购的钢材企业客户 / Companies that have bought steel steadily for years"}
        self.seg = {}
        for key, name in SEGMENTS.items():
            self.seg[key] = Segment.objects.filter(name__iexact=name).first() or segment_create(
                actor=self.marketing, name=name, rule=rules[key], description=descriptions[key])

    def suppression(self):
        """A bounced address on the e-mail suppression list: later e-mail to it is held back."""
        from kehu.marketing.outreach.services import suppression_add

        bounced = next((c for c in self.people[3:] if c.email and not c.opt_out_email and c.consent_marketing), None)
        if bounced is not None:
            suppression_add(actor=self.marketing, channel="email", address=bounced.email, reason="bounced",
                            note="退信：邮箱不存在 / bounced: no such mailbox")

    # -- membership --------------------------------------------------------------------------
    def membership(self):
        from kehu.marketing.membership import services as ms
        from kehu.marketing.membership.models import EarnRule, MemberEvent, Tier

        mk, r = self.marketing, self.rnd
        ms.tiers_init(actor=mk)
        for code, ppy in (("RETAIL", "1"), ("PLATE", "0.2"), ("SECTION", "0.2"), ("PIPE", "0.2"), ("WIRE", "0.2"),
                          ("PROCESS", "0.5")):
            line = self.lines.get(code)
            if line is not None and not EarnRule.objects.filter(product_line=line, tier=None).exists():
                ms.rule_create(actor=mk, data={"product_line": line, "points_per_yuan": Decimal(ppy)})
        self.tiers = {t.code: t for t in Tier.objects.all()}
        # what happens, in date order: (day, order of the day, what, customer index, payload)
        events = []
        first = self.today - dt.timedelta(days=HISTORY_DAYS)
        month = (first.replace(day=1) + dt.timedelta(days=32)).replace(day=1)
        while month <= self.today:
            events.append((month, 0, "expire", None, None))
            events.append((month, 1, "review", None, None))
            month = (month + dt.timedelta(days=32)).replace(day=1)
        anniversary = self.today - dt.timedelta(days=300)
        self.members = {}
        for i, c in enumerate(self.people):
            orders = self.orders_of.get(c.pk, [])
            if not orders or i % 8 == 3:    # a few never joined
                continue
            joined = orders[0].order_date
            events.append((joined, 2, "join", i, None))
            for order in orders:
                if order.paid_on is not None:
                    events.append((order.paid_on, 3, "earn", i, order))
            if i % 3 == 0:
                events.append((anniversary, 4, "bonus", i, None))
            if i % 4 == 1:
                events.append((self.today - dt.timedelta(days=r.randint(20, 200)), 5, "exchange", i, None))
            if i % 10 == 4:
                events.append((self.today - dt.timedelta(days=r.randint(5, 120)), 6, "correct", i, None))
        events.sort(key=lambda e: (e[0], e[1], -1 if e[3] is None else e[3]))
        for day, _o, what, i, payload in events:
            if day > self.today:
                continue
            getattr(self, f"_m_{what}")(day, i, payload)
        # the notices of older history went out at the time; the recent upgrades are told now
        recent = self.today - dt.timedelta(days=NOTICE_DAYS)
        old = MemberEvent.objects.filter(membership__in=list(self.members.values()), notice_pending=True,
                                         on__lt=recent)
        for pk, on in list(old.values_list("pk", "on")):
            MemberEvent.objects.filter(pk=pk).update(notice_pending=False, notice_sent_at=self.at(on))
        self._tier_notices()
        self.counts["members"] = len(self.members)

    def _m_expire(self, day, _i, _p):
        from kehu.marketing.membership.services import points_expire

        points_expire(on=day)

    def _m_review(self, day, _i, _p):
        from kehu.marketing.membership.services import membership_review

        membership_review(on=day)

    def _m_join(self, day, i, _p):
        from kehu.marketing.membership.services import member_enrol, points_bonus

        c = self.people[i]
        m = member_enrol(actor=self.manager, customer=c, joined_on=day)
        self.members[i] = m
        points_bonus(actor=None, membership=m, points=200, reason="入会礼 / Welcome bonus", on=day,
                     source="rule:welcome")

    def _m_earn(self, day, i, order):
        from kehu.marketing.membership.services import points_earn_for_order

        if i in self.members:
            points_earn_for_order(order=order, on=day)

    def _m_bonus(self, day, i, _p):
        from kehu.marketing.membership.services import points_bonus

        if i in self.members:
            points_bonus(actor=self.marketing, membership=self.members[i], points=300, on=day,
                         reason="门店开业周年庆赠送积分 / Store anniversary bonus")

    def _m_exchange(self, day, i, _p):
        """Points bought a ¥20 coupon (issued in :meth:`coupons`, keeping the ledger entry's id)."""
        from kehu.marketing.membership.services import points_balance, points_redeem

        m = self.members.get(i)
        if m is None or points_balance(m) < POINTS_FOR_COUPON:
            return
        entry = points_redeem(actor=self.manager, membership=m, points=POINTS_FOR_COUPON, on=day,
                              reason="兑换 ¥20 积分券 / Exchanged for a ¥20 coupon", source="coupon:HX-PTS-20")
        self.__dict__.setdefault("exchanges", []).append((day, self.people[i], entry.pk))

    def _m_correct(self, day, i, _p):
        from kehu.marketing.membership.services import points_balance, points_correct

        m = self.members.get(i)
        if m is None:
            return
        if i % 20 == 4 or points_balance(m) < 100:
            points_correct(actor=self.marketing, membership=m, points=150, on=day,
                           reason="补录：小票积分漏记 / A till receipt's points were missed")
        else:
            points_correct(actor=self.marketing, membership=m, points=-100, on=day,
                           reason="退货扣回积分 / Goods returned: their points taken back")

    def _tier_notices(self):
        """The recent upgrades are told through the gate (SMS) on the day of their review; the
        other recent notices (a downgrade, a welcome) are left to send."""
        from kehu.marketing.membership.models import EventKind, MemberEvent
        from kehu.marketing.membership.services import notice_mark_sent
        from kehu.marketing.outreach import services as outreach

        ups = MemberEvent.objects.filter(membership__in=list(self.members.values()), notice_pending=True,
                                         kind=EventKind.TIER_UP).select_related("membership__customer")
        for event in ups.order_by("id"):
            when = self.at(event.on)
            outreach.send(customer=event.membership.customer, channel="sms", purpose="service",
                          template=self.tpl["hx-tier-upgrade"], source="manual", now=when)
            notice_mark_sent(event=event)
            MemberEvent.objects.filter(pk=event.pk).update(notice_sent_at=when)

    # -- coupons --------------------------------------------------------------------------
    def coupons(self):
        from kehu.insights.segments import segment_members
        from kehu.marketing.coupons import services as cs
        from kehu.marketing.coupons.models import CouponDefinition

        mk, r, today = self.marketing, self.rnd, self.today
        defs = {}
        for ref, zh, en, kind, value, min_spend, lines, extra in COUPONS:
            defs[ref] = CouponDefinition.objects.filter(ref=ref).first() or cs.definition_create(
                actor=mk, data={"ref": ref, "name_zh": zh, "name_en": en, "kind": kind, "value": Decimal(value),
                                "min_spend": Decimal(min_spend), "per_customer_limit": 1, **extra},
                product_lines=[self.lines[code] for code in lines])
        if defs["HX-SET-WATER"].collect_set_id is None:
            cs.set_create(actor=mk, data={"name_zh": "集齐水电、油漆两章得 ¥100", "name_en": "Collect plumbing and paint: "
                                          "¥100", "reward": defs["HX-SET-REWARD"]},
                          members=[defs["HX-SET-WATER"], defs["HX-SET-PAINT"]])
            defs["HX-SET-WATER"].refresh_from_db()
        self.defs = defs
        self.issued = []   # (coupon, day)
        # ¥50 off ¥500 to the store's customers (the segment), 40 days ago, with a notice by e-mail
        day = today - dt.timedelta(days=40)
        members = list(segment_members(segment=self.seg["store"], viewer=mk).order_by("pk"))
        res = cs.coupon_issue(actor=mk, definition=defs["HX-M500-50"], customers=members, skip_held=True, on=day)
        self._dated(res.coupons, day)
        self._notify(res.coupons, day)
        # 10% off processing, by hand to a few key accounts, 80 days ago
        day = today - dt.timedelta(days=80)
        key = list(segment_members(segment=self.seg["key"], viewer=mk).order_by("pk")[:6])
        if key:
            res = cs.coupon_issue(actor=mk, definition=defs["HX-PROC-10"], customers=key, on=day)
            self._dated(res.coupons, day)
        # the anniversary's shared code, by hand at the counter, 300 days ago (valid for 30 days)
        day = today - dt.timedelta(days=300)
        cs.definition_update(actor=mk, definition=defs["HX-ANNIV-20"],
                             data={"valid_from": day, "valid_until": day + dt.timedelta(days=29)})
        shared = [c for i, c in enumerate(self.people) if i % 3 == 1]
        res = cs.coupon_issue(actor=mk, definition=defs["HX-ANNIV-20"], customers=shared, skip_held=True, on=day)
        self._dated(res.coupons, day)
        # collect the set: plumbing to some, paint to others; who holds both gets the reward
        day = today - dt.timedelta(days=25)
        for ref, step in (("HX-SET-WATER", 2), ("HX-SET-PAINT", 3)):
            got = [c for i, c in enumerate(self.people) if i % step == 0]
            res = cs.coupon_issue(actor=mk, definition=defs[ref], customers=got, skip_held=True, on=day)
            self._dated(res.coupons, day)
        from kehu.marketing.coupons.models import Coupon

        rewards = list(Coupon.objects.filter(definition=defs["HX-SET-REWARD"], customer__in=self.people))
        self._dated(rewards, day)
        # the coupons bought with points
        for day, customer, entry_id in getattr(self, "exchanges", []):
            res = cs.coupon_issue(actor=None, definition=defs["HX-PTS-20"], customers=[customer], source="points",
                                  source_id=entry_id, skip_held=True, on=day)
            self._dated(res.coupons, day)
        self._redeem()
        # two voided by hand, the rest past their date expire
        from kehu.marketing.coupons.models import CouponStatus

        left = [cp for cp, _d in self.issued if cp.definition_id == defs["HX-SET-PAINT"].pk]
        for coupon in left[:2]:
            coupon.refresh_from_db()
            if coupon.status == CouponStatus.AVAILABLE:
                cs.coupon_void(actor=mk, coupon=coupon, reason="顾客退回了整单货物 / The customer returned the whole order")
        cs.coupons_expire(on=today)
        self.counts["coupons"] = len(self.issued)

    def _dated(self, coupons, day):
        """Issued on ``day`` (the service stamps now): the history's date."""
        from kehu.marketing.coupons.models import Coupon

        ids = [c.pk for c in coupons if c.pk]
        if ids:
            Coupon.objects.filter(pk__in=ids).update(issued_at=self.at(day, 9))
        self.issued.extend((c, day) for c in coupons)

    def _notify(self, coupons, day):
        from kehu.marketing.coupons.codes import display
        from kehu.marketing.outreach import services as outreach

        if not coupons:
            return
        per = {c.customer_id: {"coupon": {"code": display(c.code), "value": "¥50",
                                          "valid_until": c.valid_until.isoformat() if c.valid_until else ""}}
               for c in coupons}
        outreach.send_many(customers=list(per), channel="email", purpose="marketing", template=self.tpl["hx-coupon"],
                           per_customer=per, source="coupon", now=self.at(day, 11))

    def _redeem(self):
        """Each coupon is used on the customer's first later order it fits, if any (by its owner)."""
        from django.core.exceptions import ValidationError

        from kehu.marketing.coupons.models import Redemption
        from kehu.marketing.coupons.services import coupon_redeem, eligible_amount
        from kehu.sales.models import Order

        users = {u.pk: u for u in self.b.users.values()}
        used_orders = set(Redemption.objects.values_list("order_id", flat=True))
        redeemed = 0
        for coupon, day in self.issued:
            if self.rnd.random() < 0.25:     # some are never used
                continue
            d = coupon.definition
            until = coupon.valid_until or (day + dt.timedelta(days=60))
            candidates = (Order.objects.filter(customer_id=coupon.customer_id, order_date__gte=day,
                                               order_date__lte=min(until, self.today))
                          .exclude(status="cancelled").exclude(pk__in=used_orders).order_by("order_date", "id"))
            for order in candidates[:6]:
                if eligible_amount(d, order) < max(d.min_spend, Decimal("0.01")):
                    continue
                owner = users.get(Order.objects.filter(pk=order.pk).values_list("customer__owner_id", flat=True)[0])
                try:
                    red = coupon_redeem(actor=owner, order=order, code=coupon.code, on=order.order_date)
                except ValidationError:
                    continue
                Redemption.objects.filter(pk=red.pk).update(redeemed_at=self.at(order.order_date, 15))
                used_orders.add(order.pk)
                redeemed += 1
                break
        self.counts["redeemed"] = redeemed

    # -- care -----------------------------------------------------------------------------
    def care(self):
        from kehu.marketing.care.models import CareMoment, CareRule
        from kehu.marketing.care.services import care_run, rule_create

        mk, today = self.marketing, self.today
        card = next(today + dt.timedelta(days=k) for k in range(2, 40) if (today + dt.timedelta(days=k)).day <= 28)
        plans = [
            ("生日祝福", "Birthday greeting", "birthday", "sms", "hx-birthday", {}, None, "all"),
            ("结婚纪念日来电问候", "Wedding anniversary call", "anniversary", "phone", "hx-anniversary-call",
             {"lead_days": 1}, None, "store"),
            ("购后三天致谢", "Thanks three days after a purchase", "thanks_after_purchase", "email", "hx-thanks",
             {"days_after": 3}, None, "store"),
            ("重点客户每月一卡", "Monthly card to key accounts", "monthly", "mail", "hx-monthly-card",
             {"day_of_month": card.day, "lead_days": 2}, None, "key"),
            ("春节祝福", "Spring Festival greeting", "holiday", "wechat", "hx-spring-festival",
             {"holiday": "spring_festival", "lead_days": 3}, mk, "all"),
            ("中秋祝福", "Mid-Autumn greeting", "holiday", "wechat", "hx-mid-autumn",
             {"holiday": "mid_autumn", "lead_days": 3}, mk, "all"),
            ("米店老板：钢材补货提醒", "Rice merchant: steel reorder reminder", "next_order", "sms", "hx-rice-merchant",
             {"lead_days": 5}, None, "repeat"),
        ]
        rules = []
        for zh, en, kind, channel, tpl, extra, owner, seg in plans:
            rule = CareRule.objects.filter(name_zh=zh, created_by=mk).first() or rule_create(actor=mk, data={
                "name_zh": zh, "name_en": en, "kind": kind, "channel": channel, "template": self.tpl[tpl],
                "owner": owner, "segment": self.seg[seg] if seg else None, **extra})
            rules.append(rule)
        for back in range(4, -1, -1):
            day = today - dt.timedelta(days=back)
            care_run(date=day, now=self.at(day, 10), rules=rules)
        self.counts["care_moments"] = CareMoment.objects.filter(rule__in=rules).count()

    # -- win-back ----------------------------------------------------------------------------
    def winback(self):
        from kehu.customers.models import Customer
        from kehu.marketing.winback.services import loss_create
        from kehu.sales.services import order_create

        b, r = self.b, self.rnd
        want = max(7, min(12, b.n // 250))
        drifting = [c for c, p in zip(b.customers, b.plans) if p["pattern"] == "drifting" and c.pk in b.last_order
                    and c.owner_id]
        losses = []
        for k, c in enumerate(drifting[:want]):
            last = b.last_order[c.pk].order_date
            lost_on = min(self.real_today, last + dt.timedelta(days=r.randint(60, 150)))
            reason = LOSS_REASONS[k % len(LOSS_REASONS)]
            customer = Customer.objects.select_related("owner").get(pk=c.pk)
            losses.append(loss_create(actor=customer.owner, customer=customer, reason=reason, lost_on=lost_on,
                                      note=LOSS_NOTES[reason]))
        # the first staff loss came back: a new order of rebar (the order marks it won back)
        back = next((x for x in losses if x.reason == "staff"), None)
        if back is not None:
            rebar = next(p for p in b.products[1] if p.name.startswith("螺纹钢"))
            order_create(actor=back.owner, customer=back.customer, check_permissions=False, data={
                "order_date": self.real_today, "salesperson": back.owner,
                "remarks": "经理上门致歉后恢复合作 / Back after the manager called to apologise"},
                lines=[{"product": rebar, "description": rebar.name, "quantity": "25",
                        "unit_price": str(rebar.unit_price), "unit_cost": str(rebar.unit_cost)}])
        self.counts["lost"] = len(losses)

    def unsubscribe(self):
        """One customer followed the unsubscribe link of a thank-you e-mail."""
        from kehu.marketing.outreach.models import OutboundMessage
        from kehu.marketing.outreach.services import unsubscribe

        msg = (OutboundMessage.objects.filter(customer__in=self.people, channel="email", status="sent")
               .order_by("id").first())
        if msg is not None:
            unsubscribe(message=msg)


# -- the summary and the removal -------------------------------------------------------------

def marketing_counts(customers) -> dict[str, int]:
    """Members, coupons and care moments of ``customers`` (a queryset): the demo's summary."""
    from kehu.marketing.care.models import CareMoment
    from kehu.marketing.coupons.models import Coupon
    from kehu.marketing.membership.models import Membership

    return {"members": Membership.objects.filter(customer__in=customers).count(),
            "coupons": Coupon.objects.filter(customer__in=customers).count(),
            "care_moments": CareMoment.objects.filter(customer__in=customers).count()}


def delete_marketing(root) -> None:
    """Remove what :func:`build_marketing` made for the demo company under ``root``, before
    ``demo_delete`` removes its customers (whose orders it deletes in bulk): the records that
    point at their orders or protect them, the demo's rules, templates, coupon kinds and
    segments (those made by demo users), and the store's orders and catalogue."""
    from django.db.models import ProtectedError

    from kehu.customers.models import Customer
    from kehu.insights.models import Segment
    from kehu.marketing.care.models import CareRule
    from kehu.marketing.coupons.models import Coupon, CouponDefinition, CouponSet, Redemption
    from kehu.marketing.membership.models import Membership
    from kehu.marketing.outreach.models import MessageTemplate, Suppression
    from kehu.marketing.winback.models import LossRecord
    from kehu.org.models import Team, User
    from kehu.sales.models import Order, OrderLine, Payment, Product, ProductLine

    teams = Team.objects.filter(path__startswith=root.path)
    users = list(User.objects.filter(team__in=teams))
    customers = Customer.objects.filter(team__in=teams)
    Redemption.objects.filter(coupon__customer__in=customers).delete()
    Coupon.objects.filter(customer__in=customers).delete()
    Membership.objects.filter(customer__in=customers).delete()      # the ledger and the events with it
    LossRecord.objects.filter(customer__in=customers).delete()
    emails = [e for e in customers.exclude(email="").values_list("email", flat=True)]
    for start in range(0, len(emails), 500):
        Suppression.objects.filter(channel="email", address__in=[e.lower() for e in emails[start:start + 500]]).delete()
    CareRule.objects.filter(created_by__in=users).delete()           # their moments with them
    sets = CouponSet.objects.filter(created_by__in=users, rewards__isnull=True)
    CouponDefinition.objects.filter(collect_set__in=sets).update(collect_set=None)
    sets.delete()
    for model, filters in ((CouponDefinition, {"ref__in": COUPON_REFS, "coupons__isnull": True}),
                           (MessageTemplate, {"code__in": TEMPLATE_CODES}),
                           (Segment, {"name__in": list(SEGMENTS.values())})):
        with contextlib.suppress(ProtectedError):   # kept when something of someone else's uses it
            model.objects.filter(created_by__in=users, **filters).delete()
    store = teams.filter(name=STORE_TEAM)
    orders = Order.objects.filter(customer__team__in=store)
    Payment.objects.filter(order__in=orders).delete()
    OrderLine.objects.filter(order__in=orders).delete()
    Order.objects.filter(pk__in=list(orders.values_list("pk", flat=True))).delete()
    products = Product.objects.filter(line__code=RETAIL_LINE[0], ref__startswith="HX-RT")
    if not OrderLine.objects.filter(product__in=products).exists():
        products.delete()
        ProductLine.objects.filter(code=RETAIL_LINE[0], products__isnull=True, pipelines__isnull=True,
                                   opportunity_lines__isnull=True).delete()
