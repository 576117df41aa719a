"""The demo company: 华信钢材贸易有限公司 / Huaxin Steel Trading.

A steel and industrial-supplies distributor with a head office, a North and an
East region and five sales teams; about 3,000 customers (70% organisations
with contacts and reporting lines, 30% individuals), 40 products in five
lines, three years of orders up to today with payments, interactions with
summaries and next steps, tags, anniversaries and a few shared customers.

Everything is drawn from ``random.Random(seed)`` and a Faker seeded with the
same seed, so the same seed on the same day gives the same company. Dates are
relative to today.

The shape of the order history is deliberate, so that the analytics have
something to find:

- customer value is log-normal (σ≈0.5), key accounts are boosted and buy more often, so
  the top fifth of buyers make about four fifths of the revenue (Pareto);
- buyers follow a pattern: ``key`` (frequent, large), ``steady`` (monthly
  repeat buyers), ``drifting`` (orders stop or shrink in the last year),
  ``one_off`` (a single order), ``occasional`` (a few a year), ``won_back``
  (gone for months, then back); the rest are prospects who never bought;
- months are weighted: a Chinese New Year dip (late January–February), an
  autumn peak (September–November), quiet weekends;
- orders have one to four lines; most are paid on time, some late, some are
  still outstanding.

Rows are written with ``bulk_create`` in batches. Search keys come from
:func:`kehu.customers.search.name_keys` and each customer's team from its
owner, exactly as :mod:`kehu.customers.services` keeps them. One audit event
("created by demo") is recorded per customer.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import math
import random
from dataclasses import dataclass, field
from decimal import Decimal

from kehu.demo import catalogue

COMPANY_NAME = "华信钢材贸易有限公司"
COMPANY_NAME_EN = "Huaxin Steel Trading"
ROOT_TEAM = "华信钢材 总部 Head office"
DEMO_PASSWORD = "demo1234"
# A demo username already taken by someone else gets this suffix (admin → admin.hx).
CLASH_SUFFIX = ".hx"
DEFAULT_CUSTOMERS = 3000
YEARS = 3
BATCH = 2000
CENT = Decimal("0.01")

# key: (name, parent key)
TEAMS = [
    ("root", ROOT_TEAM, None),
    ("north", "华北区 North region", "root"),
    ("east", "华东区 East region", "root"),
    ("bj", "北京销售组 Beijing sales", "north"),
    ("tj", "天津销售组 Tianjin sales", "north"),
    ("hb", "河北销售组 Hebei sales", "north"),
    ("sh", "上海销售组 Shanghai sales", "east"),
    ("js", "江苏销售组 Jiangsu sales", "east"),
]

# username, display name, role, team key
USERS = [
    ("admin", "系统管理员 Admin", "admin", "root"),
    ("director", "王建国 (销售总监)", "sales_manager", "root"),
    ("analyst", "林晓雯 (数据分析)", "analyst", "root"),
    ("north_mgr", "赵志强 (华北区经理)", "sales_manager", "north"),
    ("east_mgr", "陈海波 (华东区经理)", "sales_manager", "east"),
    ("liuyang", "刘洋", "salesperson", "bj"),
    ("zhangwei", "张伟", "salesperson", "bj"),
    ("sunli", "孙丽", "salesperson", "tj"),
    ("zhouqiang", "周强", "salesperson", "hb"),
    ("wujing", "吴静", "salesperson", "sh"),
    ("xumin", "徐敏", "salesperson", "js"),
    ("service_n", "郑丽 (华北客服)", "service_agent", "north"),
    ("service_e", "何静 (华东客服)", "service_agent", "east"),
    ("marketing", "马艺 (市场部)", "marketing", "root"),
]

# Which sales team serves a province (the rest of the country goes to the
# region's catch-all team: Hebei for the north, Jiangsu for the east).
PROVINCE_TEAM = {
    "北京市": "bj", "天津市": "tj", "河北省": "hb", "山西省": "hb", "内蒙古自治区": "hb",
    "上海市": "sh", "浙江省": "sh", "福建省": "sh", "江苏省": "js", "山东省": "js", "安徽省": "js",
}
REGION_TEAM = {"north": "hb", "northeast": "hb", "northwest": "hb", "east": "js", "central": "js",
               "south": "sh", "southwest": "js"}

# Which product lines an industry buys (weights over PLATE, SECTION, PIPE, WIRE, PROCESS).
INDUSTRY_LINES = {
    "建筑施工": (1, 6, 2, 3, 1), "钢结构": (4, 6, 1, 1, 3), "机械制造": (6, 2, 2, 1, 3),
    "汽车零部件": (6, 1, 2, 2, 3), "家电制造": (7, 0, 1, 1, 3), "船舶制造": (7, 3, 2, 0, 2),
    "电力设备": (4, 3, 2, 2, 2), "石油化工": (3, 1, 7, 0, 1), "市政工程": (1, 3, 7, 2, 1),
    "物流仓储": (3, 5, 2, 0, 1), "五金制品": (2, 1, 1, 7, 1), "农业机械": (5, 2, 2, 2, 2),
    "轨道交通": (4, 4, 2, 1, 2), "新能源": (4, 4, 3, 1, 2),
}
INDIVIDUAL_LINES = (2, 3, 3, 2, 2)
# Bought together (a product name's start, its companions, the chance of adding one).
BUNDLES = [
    ("螺纹钢", ["盘螺 HRB400E Φ10", "高线 Q235 Φ8"], 0.6),
    ("H型钢", ["钻孔/冲孔", "抛丸除锈"], 0.5),
    ("冷轧薄板", ["纵剪分条", "剪板加工"], 0.45),
    ("镀锌板", ["剪板加工", "折弯成型"], 0.45),
    ("焊管", ["镀锌管 DN25×2.75"], 0.4),
]

DISTRICTS = ["经济技术开发区", "高新区", "工业园区", "新区", "城南区", "城北区", "滨海新区", "临港产业园"]
ROADS = ["建设路", "工业大道", "人民路", "解放路", "长江路", "黄河路", "创业路", "钢城路", "科技路", "港口路"]
OCCUPATIONS = ["包工头", "个体五金店主", "焊工", "装修队长", "农场主", "建筑设计师", "钢材零售商", "机修师傅"]
INCOME_BANDS = ["<5万", "5-10万", "10-20万", "20-50万", "50万+"]
EDUCATION = ["初中", "高中/中专", "大专", "本科", "硕士"]
CHANNELS = ["phone", "wechat", "visit", "sms", "email"]   # PreferredChannel codes
LIFESTYLES = ["务实节俭", "讲究效率", "重视人情", "喜欢尝新"]
PERSONALITIES = ["爽快", "谨慎", "挑剔", "健谈", "沉稳"]
PREFERENCES = [
    "喜欢上午送货，下午工地不收货", "要求每车附质保书", "习惯微信下单", "对价格敏感，常比价三家",
    "喜欢喝铁观音，拜访可带茶叶", "只认首钢、河钢的货", "春节前要提前备货", "不喜欢电话打扰，发微信即可",
]
TAGS = ["重点客户", "老客户", "招投标", "季节性采购", "价格敏感", "现款现货", "账期客户", "外资企业",
        "国企", "需加工", "VIP", "转介绍"]
TITLES = [  # (title, department, decision role)
    ("总经理", "总经理办公室", "decision_maker"), ("采购总监", "采购部", "decision_maker"),
    ("采购经理", "采购部", "influencer"), ("技术总工", "技术部", "influencer"),
    ("生产主管", "生产部", "user"), ("仓库主管", "仓储部", "user"),
    ("采购专员", "采购部", "gatekeeper"), ("总经理助理", "总经理办公室", "gatekeeper"),
]
PROJECTS = ["厂房扩建", "物流园", "地铁站", "光伏支架", "桥梁", "住宅小区", "风电塔筒", "码头改造"]


@dataclass
class DemoSummary:
    created: bool
    customers: int = 0
    contacts: int = 0
    orders: int = 0
    order_lines: int = 0
    payments: int = 0
    interactions: int = 0
    revenue: Decimal = Decimal("0")
    marketing: dict = field(default_factory=dict)   # members, coupons, care moments (kehu/demo/marketing.py)
    logins: list[tuple[str, str, str, str]] = field(default_factory=list)  # the partner users' last: team = partner


# -- looking up and removing the demo company -------------------------------------

def demo_root():
    from kehu.org.models import Team

    return Team.objects.filter(parent__isnull=True, name=ROOT_TEAM).first()


def demo_logins() -> list[tuple[str, str, str, str]]:
    """(username, password, role, team) of the demo users, in the order of :data:`USERS`."""
    from kehu.org.models import Role, User

    root = demo_root()
    if root is None:
        return []
    labels = dict(Role.choices)
    order = {u[0]: i for i, u in enumerate(USERS)}
    users = User.objects.filter(team__path__startswith=root.path).select_related("team")
    users = sorted(users, key=lambda u: (order.get(u.username.removesuffix(CLASH_SUFFIX), 99), u.username))
    from kehu.demo.channel import channel_logins

    # the partner users' logins (kehu/demo/channel.py): their partner in the last column
    return [(u.username, DEMO_PASSWORD, str(labels.get(u.role, u.role)), u.team.name) for u in users] + \
        channel_logins()


def demo_summary(created: bool) -> DemoSummary:
    from django.db.models import Sum

    from kehu.customers.models import Contact, Customer
    from kehu.engagement.models import Interaction
    from kehu.sales.models import Order, OrderLine, Payment

    root = demo_root()
    s = DemoSummary(created=created, logins=demo_logins())
    if root is None:
        return s
    customers = Customer.objects.filter(team__path__startswith=root.path)
    orders = Order.objects.filter(customer__in=customers)
    s.customers = customers.count()
    s.contacts = Contact.objects.filter(customer__in=customers).count()
    s.orders = orders.count()
    s.order_lines = OrderLine.objects.filter(order__in=orders).count()
    s.payments = Payment.objects.filter(order__in=orders).count()
    s.interactions = Interaction.objects.filter(customer__in=customers).count()
    s.revenue = orders.exclude(status="cancelled").aggregate(s=Sum("amount"))["s"] or Decimal("0")
    from kehu.demo.marketing import marketing_counts

    s.marketing = marketing_counts(customers)
    return s


def demo_delete() -> bool:
    """Remove the demo company: its customers with everything attached, its
    users, teams and product catalogue (when no other order uses it)."""
    from django.db import transaction

    from kehu.audit.models import AuditEvent
    from kehu.customers.models import Customer, CustomerShare, Tag
    from kehu.engagement.models import Interaction
    from kehu.org.models import ApiToken, Team, User
    from kehu.sales.models import CustomerPurchaseSummary, Order, OrderLine, Payment, Product, ProductLine
    from kehu.service.models import Case

    root = demo_root()
    if root is None:
        return False
    with transaction.atomic():
        from kehu.demo.surveys import delete_surveys

        delete_surveys()
        from kehu.demo.kb import delete_kb

        delete_kb()
        teams = Team.objects.filter(path__startswith=root.path)
        users = User.objects.filter(team__in=teams)
        customers = Customer.objects.filter(team__in=teams) | Customer.objects.filter(owner__in=users)
        from kehu.demo.selling import LEADS

        # the demo's leads in the company pool belong to no team
        customers = customers | Customer.objects.filter(owner__isnull=True, team__isnull=True,
                                                        name__in=[lead[0] for lead in LEADS])
        from kehu.demo.campaigns import delete_campaigns
        from kehu.demo.marketing import delete_marketing
        from kehu.demo.referrals import delete_referrals

        delete_campaigns(users)
        delete_referrals(customers)
        delete_marketing(root)
        cids = list(customers.values_list("id", flat=True))
        for start in range(0, len(cids), 5000):
            chunk = cids[start:start + 5000]
            orders = Order.objects.filter(customer_id__in=chunk)
            Payment.objects.filter(order__in=orders)._raw_delete(Payment.objects.db)
            OrderLine.objects.filter(order__in=orders)._raw_delete(OrderLine.objects.db)
            orders._raw_delete(Order.objects.db)
            CustomerPurchaseSummary.objects.filter(customer_id__in=chunk)._raw_delete(Order.objects.db)
            Case.objects.filter(customer_id__in=chunk).delete()  # events, steps … cascade
            Interaction.objects.filter(customer_id__in=chunk)._raw_delete(Interaction.objects.db)
            AuditEvent.objects.filter(customer_id__in=chunk)._raw_delete(AuditEvent.objects.db)
            CustomerShare.objects.filter(customer_id__in=chunk)._raw_delete(CustomerShare.objects.db)
            Customer.tags.through.objects.filter(customer_id__in=chunk)._raw_delete(Customer.objects.db)
            Customer.objects.filter(id__in=chunk).delete()  # contacts and anniversaries cascade
        from kehu.demo.channel import delete_channel

        delete_channel()
        from kehu.demo.cases import delete_public_form

        delete_public_form()
        Tag.objects.filter(name__in=TAGS, customers__isnull=True).delete()
        lines = ProductLine.objects.filter(code__in=[c for c, _, _ in catalogue.PRODUCT_LINES])
        products = Product.objects.filter(line__in=lines, ref__startswith="HX-")
        if not OrderLine.objects.filter(product__in=products).exists():
            products.delete()
            # a line a pipeline or another customer's opportunity still uses stays (PROTECT)
            lines.filter(products__isnull=True, pipelines__isnull=True, opportunity_lines__isnull=True).delete()
        CustomerShare.objects.filter(user__in=users).delete()
        CustomerShare.objects.filter(team__in=teams).delete()
        from kehu.demo.staff import delete_staff

        delete_staff(teams)
        ApiToken.objects.filter(user__in=users).delete()
        # Orders of other customers may name a demo user as salesperson (SET_NULL).
        users.delete()
        for team in sorted(teams, key=lambda t: -t.path.count("/")):
            team.delete()
        # The demo's codes are free again: a new demo company gets the same ones.
        from kehu.numbering.services import number_rewind

        number_rewind(series="customer")
        number_rewind(series="order")
        _rewind_case_days()
    return True


def _rewind_case_days() -> None:
    """The case counters of the days the demo's history filled: a day with no case left
    loses its counter (made again from the data when needed), the others are rewound."""
    from django.db.models.functions import Substr

    from kehu.numbering.models import Counter
    from kehu.numbering.services import number_rewind
    from kehu.service.models import Case

    days = {f"case-{d[2:]}" for d in Case.objects.annotate(day=Substr("ref", 1, 10))
            .values_list("day", flat=True).distinct()}
    counters = set(Counter.objects.filter(name__startswith="case-").values_list("name", flat=True))
    Counter.objects.filter(name__in=counters - days).delete()
    for name in sorted(counters & days):
        number_rewind(series=name)


# -- building it --------------------------------------------------------------------

@contextlib.contextmanager
def _keep_auto_now(*fields):
    """Let bulk_create keep the times we set (``(Model, "field")`` pairs whose field is
    ``auto_now_add``): the demo's history lies in the past."""
    found = [model._meta.get_field(name) for model, name in fields]
    saved = [f.auto_now_add for f in found]
    try:
        for f in found:
            f.auto_now_add = False
        yield
    finally:
        for f, v in zip(found, saved):
            f.auto_now_add = v


def _keep_created_at(*models):
    """:func:`_keep_auto_now` for the ``created_at`` of ``models``."""
    return _keep_auto_now(*((m, "created_at") for m in models))


def write_orders(orders, lines_for, *, before_lines=None) -> list:
    """Number ``orders`` in one block and write them, then their lines (``lines_for``: a list
    per order) in bulk; ``before_lines(orders, lines_for)`` may fill the lines first. The lines."""
    from kehu.numbering.services import number_reserve
    from kehu.sales.models import Order, OrderLine

    for order, ref in zip(orders, number_reserve(series="order", count=len(orders))):   # one block
        order.ref = ref
    with _keep_created_at(Order):
        Order.objects.bulk_create(orders, batch_size=BATCH)
    all_lines = []
    for order, lines in zip(orders, lines_for):
        for ln in lines:
            ln.order_id = order.pk
            all_lines.append(ln)
    if before_lines is not None:
        before_lines(orders, lines_for)
    OrderLine.objects.bulk_create(all_lines, batch_size=BATCH)
    from kehu.sales.dashboard_figures import bump_sales_version

    bump_sales_version()  # bulk writes send no signals: the dashboard's cached figures by hand
    return all_lines


def _season(d: dt.date) -> float:
    m = d.month
    v = 1.0
    if m == 2 or (m == 1 and d.day > 20):
        v = 0.3   # Chinese New Year: sites close, factories stop
    elif m in (9, 10, 11):
        v = 1.4   # 金九银十: the autumn construction peak
    elif m in (3, 4):
        v = 1.15  # restart after the holiday
    elif m in (7, 8):
        v = 0.85  # summer heat and rain slow the sites
    return v


class _Builder:
    def __init__(self, *, seed: int, customers: int, today: dt.date | None = None):
        from faker import Faker

        self.seed = seed
        self.rnd = random.Random(seed)
        self.fake = Faker("zh_CN")
        self.fake.seed_instance(seed)
        self.fake_en = Faker("en_US")
        self.fake_en.seed_instance(seed)
        self.n = customers
        self.today = today or dt.date.today()
        self.start = self.today - dt.timedelta(days=365 * YEARS)
        self.tz = dt.timezone(dt.timedelta(hours=8))

    def when(self, d: dt.date, hour_from: int = 8, hour_to: int = 18) -> dt.datetime:
        r = self.rnd
        return dt.datetime(d.year, d.month, d.day, r.randrange(hour_from, hour_to), r.randrange(60),
                           r.randrange(60), tzinfo=self.tz)

    def workday(self, lo: dt.date, hi: dt.date, seasonal: bool = True) -> dt.date:
        """A random working day in [lo, hi], following the season when asked."""
        r = self.rnd
        span = max(0, (hi - lo).days)
        for _ in range(30):
            d = lo + dt.timedelta(days=r.randint(0, span))
            if d.weekday() >= 5 and r.random() < 0.8:
                continue
            if seasonal and r.random() * 1.4 > _season(d):
                continue
            return d
        return lo + dt.timedelta(days=r.randint(0, span))

    # -- organisation
    def build_org(self):
        from django.contrib.auth.hashers import make_password

        from kehu.org.models import User
        from kehu.org.services import team_create

        self.teams = {}
        for key, name, parent in TEAMS:
            self.teams[key] = team_create(name=name, parent=self.teams.get(parent) if parent else None)
        # One hash for every demo account: the password is printed for all to read anyway,
        # and hashing fourteen times would cost seconds.
        password = make_password(DEMO_PASSWORD)
        taken = set(User.objects.filter(username__in=[u[0] for u in USERS]).values_list("username", flat=True))
        users = [
            User(username=u + CLASH_SUFFIX if u in taken else u, display_name=name, role=role,
                 team=self.teams[team], password=password,
                 is_superuser=role == "admin", is_staff=role == "admin",
                 email=f"{u}@huaxin-steel.example")
            for u, name, role, team in USERS
        ]
        User.objects.bulk_create(users)
        made = User.objects.filter(username__in=[u.username for u in users])
        self.users = {u.username.removesuffix(CLASH_SUFFIX): u for u in made}
        self.admin = self.users["admin"]
        self.sales_by_team = {}
        for u in self.users.values():
            if u.role == "salesperson":
                self.sales_by_team.setdefault(u.team_id, []).append(u)
        for lst in self.sales_by_team.values():
            lst.sort(key=lambda u: u.username)

    # -- catalogue
    def build_products(self):
        from kehu.sales.models import Product, ProductLine

        self.lines, self.products = [], []  # products: list per line of (Product, price, cost)
        n = 0
        for code, name, items in catalogue.PRODUCT_LINES:
            line = ProductLine.objects.filter(code=code).first() or ProductLine.objects.create(code=code, name=name)
            terms = catalogue.WARRANTY_TERMS.get(code)
            if terms and (line.warranty_months, line.return_days, line.exchange_days) == (None, None, None):
                # the company's own terms, once set, are kept
                line.warranty_months, line.return_days, line.exchange_days = terms
                line.save(update_fields=["warranty_months", "return_days", "exchange_days", "updated_at"])
            self.lines.append(line)
            group = []
            for pname, unit, price, ratio in items:
                n += 1
                ref = f"HX-{code[:2]}{n:03d}"
                product = Product.objects.filter(ref=ref).first() or Product.objects.create(
                    ref=ref, name=pname, line=line, unit=unit, unit_price=Decimal(price),
                    unit_cost=(Decimal(price) * Decimal(str(ratio))).quantize(CENT))
                group.append(product)
            self.products.append(group)

    # -- customers
    def _company_name(self, city: str) -> str:
        r = self.rnd
        if r.random() < 0.35:
            return city + self.fake.company()
        return city + r.choice(catalogue.COMPANY_BRANDS) + r.choice(catalogue.COMPANY_TRADES) + r.choice(catalogue.COMPANY_SUFFIXES)

    def build_customers(self):
        from kehu.customers.models import Anniversary, Customer, Tag
        from kehu.customers.search import name_keys, normalise_phone
        from kehu.numbering.services import number_reserve

        r, fake = self.rnd, self.fake
        refs = number_reserve(series="customer", count=self.n)     # one block, in one step
        weights = [catalogue.REGION_WEIGHTS.get(c[0], 1) for c in catalogue.CITIES]
        managers = {"north": self.users["north_mgr"], "east": self.users["east_mgr"]}
        names_seen = set()
        self.plans = []   # per customer: dict(pattern, value, lines weights, since)
        objs = []
        n_english = max(1, self.n // 300)
        for i in range(self.n):
            region, province, city, tier = r.choices(catalogue.CITIES, weights=weights)[0]
            individual = r.random() < 0.30
            english = i % (self.n // n_english or 1) == 7 if self.n >= 50 else False
            for _ in range(20):
                if english:
                    name = fake_name = (self.fake_en.name() if individual else
                                        r.choice(catalogue.ENGLISH_COMPANIES).split(" (")[0] + " " + city_en(city))
                else:
                    fake_name = fake.name() if individual else self._company_name(city)
                    name = fake_name
                if name not in names_seen:
                    break
            names_seen.add(name)
            team_key = PROVINCE_TEAM.get(province) or REGION_TEAM.get(region, "js")
            team = self.teams[team_key]
            industry = "" if individual else r.choice(catalogue.INDUSTRIES)
            # Value and buying pattern
            u = r.random()
            if individual:
                pattern = r.choices(["none", "one_off", "occasional", "steady", "drifting"], [30, 35, 20, 10, 5])[0]
            else:
                pattern = r.choices(["none", "one_off", "occasional", "steady", "drifting", "key", "won_back"],
                                    [14, 14, 18, 30, 12, 8, 4])[0]
            value = math.exp(r.gauss(0, 0.5)) * (0.15 if individual else 1.0)
            if pattern == "key":
                value *= 2
            region_key = "north" if team_key in ("bj", "tj", "hb") else "east"
            if pattern == "key" and r.random() < 0.4:
                owner = managers[region_key]
            else:
                owner = r.choice(self.sales_by_team[team.pk])
            since = self.start + dt.timedelta(days=r.randint(0, 365 * YEARS - 30)) if pattern != "key" or r.random() < 0.3 \
                else self.start + dt.timedelta(days=r.randint(0, 60))
            phone = normalise_phone(fake.phone_number())
            district, road = r.choice(DISTRICTS), r.choice(ROADS)
            c = Customer(
                kind="individual" if individual else "organization",
                ref=refs[i], name=name, phone=phone,
                email=(f"{fake.user_name()}{i}@{fake.free_email_domain()}" if r.random() < 0.6 else ""),
                address=f"{province}{city}{district}{road}{r.randint(1, 999)}号",
                region=region, province=province, city=city, city_tier=tier,
                source=r.choices(["phone", "web", "exhibition", "referral", "visit", "other"], [25, 20, 20, 15, 15, 5])[0],
                owner=owner, team_id=owner.team_id,
                consent_marketing=r.random() < 0.6, consent_data_processing=r.random() < 0.9,
                remarks="",
            )
            c.name_key, c.name_pinyin, c.name_initials = name_keys(c.name)
            if c.consent_marketing or c.consent_data_processing:
                c.consent_updated_at = self.when(since)
            if individual:
                c.gender = r.choice(["male", "male", "female"])
                c.birthday = dt.date(r.randint(1958, 2000), r.randint(1, 12), r.randint(1, 28))
                age = self.today.year - c.birthday.year
                c.age_band = "18-25" if age <= 25 else "26-35" if age <= 35 else "36-45" if age <= 45 else "46-55" if age <= 55 else "56+"
                c.occupation = r.choice(OCCUPATIONS)
                c.income_band = r.choice(INCOME_BANDS)
                c.education = r.choice(EDUCATION)
                c.preferred_channel = r.choice(CHANNELS)
                c.lifestyle = r.choice(LIFESTYLES)
                c.personality = r.choice(PERSONALITIES)
                c.preferences = r.choice(PREFERENCES) if r.random() < 0.5 else ""
            else:
                c.industry = industry
                c.size = r.choices(["micro", "small", "medium", "large"], [10, 40, 35, 15])[0]
                budget = value * r.uniform(1.5, 6) * 400_000
                c.annual_budget = Decimal(int(budget / 10_000) * 10_000 + 10_000)
                c.share_of_wallet = Decimal(str(round(r.uniform(5, 70), 1)))
                c.strategic_importance = ("key" if pattern == "key" else
                                          r.choice(["low", "medium", "medium", "high"]))
                c.preferences = r.choice(PREFERENCES) if r.random() < 0.3 else ""
            c.usage_rate = "heavy" if pattern in ("key", "steady") else "light" if pattern != "none" else "none"
            c.user_status = {"none": "potential", "one_off": "first_time"}.get(pattern, "regular")
            c.lifecycle_stage = {
                "none": r.choice(["reserve", "target", "potential", "opportunity"]),
                "one_off": r.choice(["customer", "after_sales", "dormant"]),
                "drifting": r.choice(["at_risk", "dormant", "lost"]),
                "won_back": "won_back",
            }.get(pattern, r.choice(["customer", "customer", "after_sales"]))
            c.relationship_level = ("partnership" if pattern == "key" else
                                    "proactive" if pattern == "steady" and value > 1 else
                                    "accountable" if pattern in ("steady", "won_back") else
                                    r.choice(["basic", "reactive"]))
            c.loyalty_level = {"key": "high", "steady": "high", "drifting": "low"}.get(pattern, "medium")
            c.created_at = self.when(since - dt.timedelta(days=r.randint(0, 60)))
            objs.append(c)
            self.plans.append({"pattern": pattern, "value": value, "since": since,
                               "lines": INDIVIDUAL_LINES if individual else INDUSTRY_LINES[industry],
                               "terms": 0 if individual else r.choice([30, 30, 45, 60, 90])})
        with _keep_created_at(Customer):
            Customer.objects.bulk_create(objs, batch_size=BATCH)
        self.customers = objs
        if objs[0].pk is None:  # backends that cannot return ids from bulk inserts
            by_ref = dict(Customer.objects.filter(ref__in=[c.ref for c in objs]).values_list("ref", "id"))
            for c in objs:
                c.pk = c.id = by_ref[c.ref]

        # Tags
        tags = {t: Tag.objects.get_or_create(name=t)[0] for t in TAGS}
        through = Customer.tags.through
        links = []
        for c, plan in zip(objs, self.plans):
            chosen = set()
            if plan["pattern"] == "key":
                chosen |= {"重点客户", "VIP"}
            if plan["pattern"] in ("key", "steady") and plan["since"] < self.start + dt.timedelta(days=200):
                chosen.add("老客户")
            if plan["terms"]:
                chosen.add("账期客户")
            elif plan["pattern"] != "none":
                chosen.add("现款现货")
            if r.random() < 0.25:
                chosen.add(r.choice(TAGS))
            links += [through(customer_id=c.pk, tag_id=tags[t].pk) for t in sorted(chosen)]
        through.objects.bulk_create(links, batch_size=BATCH)

        # Anniversaries
        ann = []
        for c in objs:
            if c.kind == "organization" and r.random() < 0.3:
                ann.append(Anniversary(customer_id=c.pk, label="公司成立日",
                                       date=dt.date(r.randint(1990, 2018), r.randint(1, 12), r.randint(1, 28))))
            elif c.kind == "individual" and r.random() < 0.2:
                ann.append(Anniversary(customer_id=c.pk, label="结婚纪念日",
                                       date=dt.date(r.randint(1985, 2020), r.randint(1, 12), r.randint(1, 28))))
        Anniversary.objects.bulk_create(ann, batch_size=BATCH)

    def build_contacts(self):
        from kehu.customers.models import Contact
        from kehu.customers.search import normalise_phone

        r, fake = self.rnd, self.fake
        heads, rest = [], []
        for c in self.customers:
            if c.kind != "organization":
                continue
            n = r.choices([1, 2, 3, 4], [25, 35, 25, 15])[0]
            titles = [r.choice(TITLES[:2])] + r.sample(TITLES[2:], n - 1)
            for k, (title, dept, role) in enumerate(titles):
                contact = Contact(customer_id=c.pk, name=fake.name(), title=title, department=dept,
                                  decision_role=role, phone=normalise_phone(fake.phone_number()),
                                  email=f"{fake.user_name()}@{fake.free_email_domain()}" if r.random() < 0.5 else "",
                                  birthday=dt.date(r.randint(1965, 1995), r.randint(1, 12), r.randint(1, 28))
                                  if r.random() < 0.4 else None)
                (heads if k == 0 else rest).append(contact)
                if k:
                    contact._boss = heads[-1]
        Contact.objects.bulk_create(heads, batch_size=BATCH)
        if heads and heads[0].pk is None:
            for h in heads:  # pragma: no cover - every supported backend returns ids
                h.pk = Contact.objects.get(customer_id=h.customer_id, name=h.name).pk
        for contact in rest:
            contact.reports_to_id = contact._boss.pk
        Contact.objects.bulk_create(rest, batch_size=BATCH)
        self.contacts = {}
        for contact in heads + rest:
            self.contacts.setdefault(contact.customer_id, []).append(contact)
        self.n_contacts = len(heads) + len(rest)

    # -- orders and payments
    def _order_dates(self, plan) -> list[tuple[dt.date, float]]:
        """(date, size factor) of each order the customer placed."""
        r = self.rnd
        pattern, since = plan["pattern"], plan["since"]
        end = self.today
        per_year = {"key": r.uniform(24, 48), "steady": r.uniform(8, 14), "occasional": r.uniform(2, 5),
                    "drifting": r.uniform(6, 12), "won_back": r.uniform(6, 10), "one_off": 0}.get(pattern, 0)
        if pattern == "none":
            return []
        if pattern == "one_off":
            return [(self.workday(since, end), 1.0)]
        if pattern == "drifting":
            # Active until some point in the last 18 months, then stops or shrinks.
            stop = self.today - dt.timedelta(days=r.randint(90, 540))
            if stop <= since:
                since = stop - dt.timedelta(days=r.randint(120, 400))
        out = []
        span_days = (end - since).days
        n = max(1, int(round(per_year * span_days / 365)))
        gap_from = gap_to = None
        if pattern == "won_back":
            gap_from = since + dt.timedelta(days=span_days // 3)
            gap_to = gap_from + dt.timedelta(days=r.randint(150, 300))
        for _ in range(n):
            d = self.workday(since, end)
            factor = 1.0
            if pattern == "drifting" and d > stop:
                if r.random() < 0.7:
                    continue  # most orders just stop...
                factor = 0.3  # ...the few left are small
            if gap_from and gap_from <= d <= gap_to:
                continue
            out.append((d, factor))
        out.sort()
        return out

    def _companions(self, chosen, tonnes):
        """What steel buyers take together (the cross-selling rules of the demo): rebar with
        coiled rebar or wire rod, H-beams with drilling and shot blasting, sheet with
        slitting or shearing, pipe with galvanised pipe — from a random stream of its own,
        so that the rest of the demo is drawn as before."""
        rnd = self.__dict__.setdefault("_bundle_rnd", random.Random(self.seed * 7919 + 17))
        by_name = self.__dict__.get("_by_name")
        if by_name is None:
            by_name = self._by_name = {p.name: p for line in self.products for p in line}
        extra = []
        for product in chosen:
            for prefix, companions, p in BUNDLES:
                if product.name.startswith(prefix) and rnd.random() < p:
                    companion = by_name.get(rnd.choice(companions))
                    if companion is None or companion in chosen or any(companion is e[0] for e in extra):
                        continue
                    qty = Decimal(str(round(max(0.5, tonnes * rnd.uniform(0.2, 0.6)), 1)))
                    if companion.unit == "车次":
                        qty = Decimal(max(1, int(qty / 30) + 1))
                    extra.append((companion, qty, Decimal(str(round(rnd.uniform(0.95, 1.03), 3)))))
        return extra

    def build_orders(self):
        from kehu.sales.models import Order, OrderLine, Payment

        r = self.rnd
        orders, lines_for, pay_plans = [], [], []
        for c, plan in zip(self.customers, self.plans):
            dates = self._order_dates(plan)
            if not dates:
                continue
            # Tonnes per order, so that the yearly total follows the customer's value.
            tonnes = max(0.5, min(plan["value"], 60) * 6)
            for d, factor in dates:
                n_lines = r.choices([1, 2, 3, 4], [40, 30, 20, 10])[0]
                chosen = []
                for _ in range(n_lines):
                    li = r.choices(range(5), weights=plan["lines"])[0]
                    chosen.append(r.choice(self.products[li]))
                lines = []
                for product in dict.fromkeys(chosen):
                    qty = Decimal(str(round(max(0.5, tonnes * factor * r.uniform(0.4, 1.6) / n_lines), 1)))
                    if product.unit == "车次":
                        qty = Decimal(max(1, int(qty / 30) + 1))
                    discount = Decimal(str(round(r.uniform(0.95, 1.03), 3)))
                    price = (product.unit_price * discount).quantize(CENT)
                    lines.append(OrderLine(product=product, description=product.name, quantity=qty, unit_price=price,
                                           amount=(qty * price).quantize(CENT),
                                           cost=(qty * product.unit_cost).quantize(CENT)))
                for product, qty, discount in self._companions(list(dict.fromkeys(chosen)), tonnes * factor / n_lines):
                    price = (product.unit_price * discount).quantize(CENT)
                    lines.append(OrderLine(product=product, description=product.name, quantity=qty, unit_price=price,
                                           amount=(qty * price).quantize(CENT),
                                           cost=(qty * product.unit_cost).quantize(CENT)))
                age = (self.today - d).days
                status = ("cancelled" if r.random() < 0.01 else "delivered" if age > 14 else
                          r.choice(["open", "confirmed", "confirmed"]))
                due = d + dt.timedelta(days=plan["terms"]) if plan["terms"] else d
                order = Order(customer_id=c.pk, ref="", order_date=d, status=status, currency="CNY",
                              amount=sum((ln.amount for ln in lines), Decimal("0")),
                              cost=sum((ln.cost for ln in lines), Decimal("0")),
                              payment_due_on=due, salesperson_id=c.owner_id, created_at=self.when(d))
                orders.append(order)
                lines_for.append(lines)
                pay_plans.append((plan, due, status))
        # Payments (回款): most on time, some late, some still outstanding. Decided
        # before the orders are written so that paid_amount goes in with them.
        pays = []  # (order index, amount, received on, method, reference)
        methods = ["银行转账", "银行转账", "承兑汇票", "支票", "现金"]
        for k, (order, (plan, due, status)) in enumerate(zip(orders, pay_plans)):
            if status in ("cancelled", "open") or order.amount <= 0:
                continue
            late_payer = plan["pattern"] == "drifting" or plan["value"] < 0.2
            x = r.random()
            paid = []
            if due > self.today:
                if x < 0.3:  # some pay before the due date
                    span = max(0, (self.today - order.order_date).days)
                    paid.append((order.amount, order.order_date + dt.timedelta(days=r.randint(0, span))))
            elif x < (0.70 if late_payer else 0.86):
                paid.append((order.amount, due - dt.timedelta(days=r.randint(0, min(10, (due - order.order_date).days)))))
            elif x < (0.90 if late_payer else 0.96):
                paid.append((order.amount, min(self.today, due + dt.timedelta(days=r.randint(10, 90)))))
            elif x < 0.98:
                part = (order.amount * Decimal(str(round(r.uniform(0.3, 0.8), 2)))).quantize(CENT)
                if part > 0:
                    paid.append((part, min(self.today, due + dt.timedelta(days=r.randint(0, 30)))))
            # else: nothing paid yet, overdue
            for amount, on in paid:
                order.paid_amount += amount
                if amount == order.amount and amount > 100 and r.random() < 0.15 and on - dt.timedelta(days=15) >= order.order_date:
                    first = (amount * Decimal("0.5")).quantize(CENT)
                    pays.append((k, first, on - dt.timedelta(days=15), r.choice(methods), ""))
                    amount -= first
                pays.append((k, amount, on, r.choice(methods), f"HD{r.randrange(10**9):09d}"))
        all_lines = write_orders(orders, lines_for, before_lines=self._serial_numbers)
        pay_objs = [Payment(order_id=orders[k].pk, amount=amount, received_on=on, method=method, reference=ref,
                            created_at=self.when(on)) for k, amount, on, method, ref in pays]
        with _keep_created_at(Payment):
            Payment.objects.bulk_create(pay_objs, batch_size=BATCH)
        self.orders, self.n_lines, self.n_payments = orders, len(all_lines), len(pay_objs)
        self.last_order = {}
        for order in orders:
            self.last_order[order.customer_id] = order

    # -- custom fields: what a steel distributor adds to its records
    SEGMENTS = {"建筑施工": "construction", "钢结构": "construction", "市政工程": "construction",
                "机械制造": "machinery", "农业机械": "machinery", "五金制品": "machinery",
                "汽车零部件": "automotive", "家电制造": "appliances", "船舶制造": "transport",
                "轨道交通": "transport", "电力设备": "energy", "新能源": "energy", "石油化工": "energy",
                "物流仓储": "logistics"}

    def build_custom_fields(self):
        """Credit terms (days) and an industry segment for the organisations, a delivery site
        on their orders: defined as an administrator would, filled from what the demo knows."""
        from kehu.customfields.models import CustomFieldDefinition
        from kehu.customers.models import Customer
        from kehu.sales.models import Order

        segments = [("construction", "建筑工程", "Construction"), ("machinery", "机械制造", "Machinery"),
                    ("automotive", "汽车", "Automotive"), ("appliances", "家电", "Home appliances"),
                    ("transport", "船舶与轨道交通", "Ships and rail"), ("energy", "能源电力", "Energy and power"),
                    ("logistics", "物流仓储", "Logistics")]
        for position, (key, zh, en, kind, extra) in enumerate((
                ("credit_days", "账期（天）", "Credit terms (days)", "number",
                 {"help_text": "约定的付款期限 / Agreed payment terms"}),
                ("industry_segment", "行业细分", "Industry segment", "choice",
                 {"choices": [{"value": v, "label_zh": z, "label_en": e} for v, z, e in segments]}),
        ), start=1):
            CustomFieldDefinition.objects.get_or_create(record_type="customer", key=key, defaults={
                "label_zh": zh, "label_en": en, "kind": kind, "position": position, **extra})
        CustomFieldDefinition.objects.get_or_create(record_type="order", key="delivery_site", defaults={
            "label_zh": "交货地点", "label_en": "Delivery site", "kind": "text", "position": 1})
        r = self.rnd
        changed = []
        for c, plan in zip(self.customers, self.plans):
            if c.kind == "individual":
                continue
            days = 90 if plan["value"] > 8 else 60 if plan["value"] > 3 else r.choice((30, 30, 45))
            c.custom = {"credit_days": days}
            if c.industry in self.SEGMENTS:
                c.custom["industry_segment"] = self.SEGMENTS[c.industry]
            changed.append(c)
        Customer.objects.bulk_update(changed, ["custom"], batch_size=BATCH)
        by_id = {c.pk: c for c in self.customers}
        orders = []
        for order in self.orders:
            c = by_id.get(order.customer_id)
            if c is None or c.kind == "individual" or r.random() < 0.3:
                continue
            order.custom = {"delivery_site": f"{c.city}{r.choice(('仓库', '工地', '厂区', '码头', '加工中心'))}"}
            orders.append(order)
        Order.objects.bulk_update(orders, ["custom"], batch_size=BATCH)

    # -- interactions, shares, audit
    def build_interactions(self):
        from kehu.engagement.models import Interaction

        r = self.rnd
        product_names = [p.name.split(" ")[0] for group in self.products for p in group]
        objs = []
        for c, plan in zip(self.customers, self.plans):
            n = {"key": r.randint(12, 30), "steady": r.randint(5, 12), "drifting": r.randint(3, 8),
                 "won_back": r.randint(4, 10), "occasional": r.randint(2, 6), "one_off": r.randint(1, 3),
                 "none": r.randint(1, 4)}[plan["pattern"]]
            contacts = self.contacts.get(c.pk, [])
            for _ in range(n):
                d = self.workday(max(self.start, plan["since"] - dt.timedelta(days=60)), self.today, seasonal=False)
                contact = r.choice(contacts) if contacts and r.random() < 0.8 else None
                who = contact.name if contact else c.name
                product = r.choice(product_names)
                qty = r.randint(5, 300)
                channel, subject, summary, next_step = r.choice([
                    ("phone", "需求沟通", f"电话联系{who}，了解到下月需要{product}约{qty}吨，对价格比较关注。", "三天内发送正式报价单"),
                    ("phone", "催款", f"与{who}电话沟通上月货款，对方表示月底前安排付款。", "月底核对到账情况"),
                    ("visit", "客户拜访", f"上门拜访{who}，参观了生产车间，对方{r.choice(PROJECTS)}项目即将开工，需要{product}。", "安排技术人员上门交流方案"),
                    ("visit", "年度回访", f"年度回访{who}，客户对交货及时性满意，希望增加加工配套服务。", "提交剪板加工报价"),
                    ("wechat", "发货确认", f"微信确认{product}发货时间，{who}要求周五前到货并附质保书。", "跟进物流并告知车牌号"),
                    ("wechat", "价格咨询", f"{who}微信询问{product}最新价格，已回复当日报价。", "明早再确认库存"),
                    ("email", "对账", f"邮件发送本月对账单及发票信息，{who}已确认无误。", ""),
                    ("meeting", "合作洽谈", f"与{who}召开年度合作会议，讨论明年框架协议、账期和价格机制。", "起草框架合同草案"),
                    ("complaint", "质量投诉", f"{who}投诉上批{product}表面锈蚀，约{qty // 10 + 1}吨需要退换。", "24小时内安排质检人员到现场"),
                    ("complaint", "交期投诉", f"{who}反映{product}到货延迟两天，影响工地进度，情绪较大。", "协调物流加急并当面致歉"),
                    ("service", "售后回访", f"回访上次加工服务，{who}对切割精度表示满意。", ""),
                    ("sms", "节日问候", f"给{who}发送节日问候短信。", ""),
                ])
                step_on = d + dt.timedelta(days=r.randint(1, 10)) if next_step else None
                objs.append(Interaction(
                    customer_id=c.pk, contact=contact, channel=channel,
                    direction="inbound" if channel == "complaint" or r.random() < 0.25 else "outbound",
                    occurred_at=self.when(d), user_id=c.owner_id, subject=subject, summary=summary,
                    next_step=next_step, next_step_on=step_on,
                ))
        objs.sort(key=lambda o: o.occurred_at)
        Interaction.objects.bulk_create(objs, batch_size=BATCH)
        self.n_interactions = len(objs)

    def build_shares(self):
        from kehu.customers.models import CustomerShare

        r = self.rnd
        sales = sorted((u for u in self.users.values() if u.role == "salesperson"), key=lambda u: u.username)
        shares = []
        keyish = [c for c, p in zip(self.customers, self.plans) if p["pattern"] in ("key", "steady")]
        for c in r.sample(keyish, min(len(keyish), max(3, self.n // 100))):
            other = r.choice([u for u in sales if u.pk != c.owner_id])
            shares.append(CustomerShare(customer_id=c.pk, user=other, can_edit=r.random() < 0.3,
                                        created_by=self.users["director"]))
        for c in r.sample(self.customers, min(len(self.customers), max(2, self.n // 300))):
            team = self.teams[r.choice(["bj", "tj", "hb", "sh", "js"])]
            if team.pk != c.team_id:
                shares.append(CustomerShare(customer_id=c.pk, team=team, can_edit=False,
                                            created_by=self.users["director"]))
        CustomerShare.objects.bulk_create(shares, batch_size=BATCH)

    def build_audit(self):
        from kehu.audit.models import AuditEvent

        AuditEvent.objects.bulk_create([
            AuditEvent(actor=self.admin, action="create", entity="customer", entity_id=c.pk, customer_id=c.pk,
                       summary="created by demo", changes={"source": "demo", "name": c.name})
            for c in self.customers
        ], batch_size=BATCH)

    def build_surveys(self):
        """Two satisfaction surveys with two closed waves each (kehu/demo/surveys.py)."""
        from kehu.demo.surveys import build_surveys

        build_surveys(admin=self.admin, customers=self.customers, today=self.today,
                      seed=self.rnd.randrange(10**6), marketing=self.users.get("marketing"))


    def _serial_numbers(self, orders, lines_for):
        """Heat numbers (炉号) on some delivered material lines and batch numbers (加工批号)
        on processing lines — from a random stream of their own, so that the rest of the
        demo is the same with or without them."""
        rnd = random.Random(f"heat-numbers-{self.seed}")
        process_lines = {ln.pk for ln in self.lines if ln.code == "PROCESS"}
        for order, lines in zip(orders, lines_for):
            if order.status != "delivered":
                continue
            for k, ln in enumerate(lines, start=1):
                product = ln.product
                if product is None or product.unit in catalogue.NO_SERIAL_UNITS:
                    continue
                if product.line_id in process_lines:
                    ln.serial_number = f"JG{order.order_date:%y%m%d}-{order.ref[-4:]}{k}"
                elif rnd.random() < catalogue.HEAT_NUMBER_SHARE:
                    ln.serial_number = f"{order.order_date:%y}{rnd.choice('ABCDE')}{rnd.randrange(10**5):05d}"

    def build_repairs(self, agents):
        """Two repair cases on processing batches (加工批号): a laser-cut batch out of
        tolerance, reworked free under the processing warranty, and a bent batch past its
        warranty, reworked at a charge; and a complaint about a plate (by its heat number)
        found defective after its exchange period. Each
        through the services (timeline, audit), on a real delivered line of the demo."""
        from kehu.sales.models import OrderLine
        from kehu.service.models import CaseCategory
        from kehu.service.selectors import case_warranty
        from kehu.service.services import (
            case_assign, case_create, case_transition, case_update, repair_create, repair_update,
        )

        cats = {c.code: c for c in CaseCategory.objects.all()}
        ids = [c.pk for c in self.customers]
        delivered = (OrderLine.objects.filter(order__customer_id__in=ids, order__status="delivered")
                     .exclude(serial_number="").select_related("order", "order__customer", "product", "product__line")
                     .order_by("-order__order_date", "id"))
        process = delivered.filter(product__line__code="PROCESS")
        recent = process.filter(order__order_date__gte=self.today - dt.timedelta(days=60)).first()
        old = process.filter(order__order_date__lt=self.today - dt.timedelta(days=150)).first()
        # delivered (14 days after the order in the demo): its 7-day exchange period is over —
        # the case page says so at once, and the agent offers processing help instead
        plate = delivered.filter(product__line__code="PLATE").first()
        plans = [
            (recent, "repair", "repair-warranty", "激光切割件尺寸超差，需返工", "resolved", {
                "fault": "切割件孔距超差 0.8mm（图纸要求 ±0.3mm）", "parts": "", "labour_hours": Decimal("6"),
                "parts_cost": Decimal("0"), "labour_cost": Decimal("1200"), "result": "fixed"}),
            (old, "repair", "repair-paid", "折弯件回弹角度偏差，客户要求返修", "in_progress", {
                "fault": "折弯角度 88°，要求 90°±0.5°", "parts": "", "labour_hours": Decimal("4"),
                "parts_cost": Decimal("0"), "labour_cost": Decimal("800"), "result": ""}),
            (plate, "complaint", "product-defect", "中厚板切割后发现分层", "accepted", None),
        ]
        for i, (line, kind, cat, subject, goal, repair) in enumerate(plans):
            if line is None:
                continue     # a small demo may have no such line
            agent = agents[i % 2]
            case = case_create(actor=self.admin, data={
                "kind": kind, "customer": line.order.customer, "order": line.order, "product": line.product,
                "serial_number": line.serial_number, "category": cats.get(cat), "subject": subject, "severity": 3,
                "wants": "fix"})
            case_assign(actor=self.admin, case=case, assignee=agent)
            case_transition(actor=agent, case=case, to_status="accepted")
            if goal == "accepted":
                continue
            case_transition(actor=agent, case=case, to_status="in_progress")
            state = case_warranty(case, on=self.today)
            in_warranty = bool(state and state.in_warranty)
            visit = self.today
            record = repair_create(actor=agent, case=case, data={
                **repair, "technician": agent, "visited_on": visit, "in_warranty": in_warranty,
                "charged": not in_warranty})
            if goal == "resolved":
                repair_update(actor=agent, repair=record, data={"revisited_on": visit + dt.timedelta(days=2)})
                case_update(actor=agent, case=case, version=case.version, data={
                    "resolution": "按图纸重新切割，免费返工并送货到厂", "cause_category": "process",
                    "root_cause": "切割程序未按最新图纸更新"})
                case_transition(actor=agent, case=case, to_status="resolved")

    def build_cases(self):
        """A few service requests and complaints in several states, worked by the two service
        agents through the case services (numbers, timelines, audit as by hand)."""
        from kehu.service.models import CaseCategory
        from kehu.service.services import (
            case_assign, case_create, case_judge, case_step, case_transition, case_update,
        )

        from django.utils import timezone

        from kehu.service.models import Case, SlaPolicy
        from kehu.service.services import sla_policy_create
        from kehu.service.return_visits import return_visit_record, waiting_visit
        from kehu.service.sla import sla_check, sla_refresh

        # Service levels: gold customers' complaints answered within an hour and resolved in a
        # working day; repairs within two working days (the other complaints: the 24-hour default).
        # Policies are the company's, not the demo's: kept when the demo is deleted, made once.
        for policy in ({"kind": "complaint", "tier": "gold", "first_response_minutes": 60,
                        "resolution_minutes": 8 * 60},
                       {"kind": "repair", "tier": "", "resolution_minutes": 16 * 60}):
            if not SlaPolicy.objects.filter(kind=policy["kind"], tier=policy["tier"], severity=None).exists():
                sla_policy_create(actor=self.admin, data=policy)
        cats = {c.code: c for c in CaseCategory.objects.all()}
        agents = [self.users["service_n"], self.users["service_e"]]
        plans = [
            ("complaint", "billing-error", "发票单价与合同价不一致，多开了一万二", "closed"),
            ("complaint", "delivery-late", "螺纹钢晚到三天，工地停工半天，电话没人接", "resolved"),
            ("complaint", "service-attitude", "送货司机卸货时态度恶劣", "in_progress"),
            ("repair", "repair-warranty", "剪板毛刺过大，客户要求重新剪切", "waiting"),
            ("service", "installation", "钢结构构件需要上门指导吊装", "accepted"),
            ("enquiry", "other", "咨询Q355B中厚板的质保书和检测报告", "new"),
            ("praise", "service-attitude", "感谢客服耐心解答材质问题", "closed_invalid"),
            ("complaint", "product-defect", "焊管焊缝开裂，试压漏水", "new"),
            ("complaint", "product-defect", "镀锌板锌层脱落，要求整批调换", "dissatisfied"),
        ]
        steps = ["listen", "share", "probe", "check", "act", "satisfy"]
        for i, (kind, cat, subject, goal) in enumerate(plans):
            customer = self.customers[(i * 7) % len(self.customers)]
            agent = agents[i % 2]
            case = case_create(actor=self.admin, data={
                "kind": kind if goal != "closed_invalid" else "complaint", "customer": customer,
                "category": cats.get(cat), "subject": subject, "severity": 1 + i % 4,
                "wants": "compensation" if kind == "complaint" else ""})
            if kind == "complaint" and goal in ("in_progress", "new"):
                # registered a week ago: its promise is broken, and the check below escalates it
                Case.objects.filter(pk=case.pk).update(created_at=timezone.now() - dt.timedelta(days=7))
                case.refresh_from_db()
                sla_refresh(case)
                case.save(update_fields=["first_response_due", "resolution_due"])
            if goal == "new":
                continue
            case_assign(actor=self.admin, case=case, assignee=agent)
            if goal == "closed_invalid":
                case_judge(actor=agent, case=case, valid=False, explanation="这是表扬，不是投诉，已转告相关同事。")
                case_transition(actor=agent, case=case, to_status="closed")
                continue
            case_transition(actor=agent, case=case, to_status="accepted")
            if goal == "accepted":
                continue
            case_transition(actor=agent, case=case, to_status="in_progress")
            if goal == "waiting":
                case_transition(actor=agent, case=case, to_status="waiting", note="等待客户提供设备照片")
                continue
            if goal == "in_progress":
                case_judge(actor=agent, case=case, valid=True)
                case_step(actor=agent, case=case, step="listen", note="耐心听取客户陈述")
                continue
            if case.is_complaint:
                case_judge(actor=agent, case=case, valid=True)
                for step in steps:
                    case_step(actor=agent, case=case, step=step, note="已完成")
            case_update(actor=agent, case=case, version=case.version, data={
                "resolution": "已核实并处理，向客户致歉", "cause_category": "process", "root_cause": "流程衔接不畅"})
            case_transition(actor=agent, case=case, to_status="resolved")
            # The return visit the settings give a resolved case (a survey, or a call when the
            # customer has not consented) is waiting; the agent records what the customer said.
            if goal == "closed":
                if waiting_visit(case) is not None:
                    return_visit_record(actor=agent, case=case, satisfied=True, score=90,
                                        note="客户表示满意，认可处理结果")
                else:
                    case_transition(actor=agent, case=case, to_status="return_visited", note="客户表示满意")
                    case_transition(actor=agent, case=case, to_status="closed")
            elif goal == "dissatisfied" and waiting_visit(case) is not None:
                # not satisfied: the case is reopened and escalated to the region's manager
                return_visit_record(actor=agent, case=case, satisfied=False, score=35,
                                    note="客户认为只调换了一半，要求整批调换并赔偿误工")
        from kehu.demo.cases import build_case_history, build_public_form

        self.n_case_history = build_case_history(self)
        build_public_form(self)
        self.build_repairs(agents)
        sla_check(email=False)  # tasks and timeline entries; no mail from the demo company


def city_en(city: str) -> str:
    from pypinyin import lazy_pinyin

    return "".join(lazy_pinyin(city)).title()


def demo_create(*, seed: int = 7, customers: int = DEFAULT_CUSTOMERS, today: dt.date | None = None) -> DemoSummary:
    """Create the demo company in one transaction (nothing is left half made)."""
    from django.db import transaction

    b = _Builder(seed=seed, customers=customers, today=today)
    with _no_mail(), transaction.atomic():
        b.build_org()
        b.build_products()
        b.build_customers()
        b.build_contacts()
        b.build_orders()
        b.build_custom_fields()
        b.build_interactions()
        b.build_shares()
        b.build_audit()
        b.build_surveys()
        from kehu.demo.staff import build_staff_survey

        build_staff_survey(b)
        b.build_cases()
        from kehu.demo.selling import build_opportunities, build_visits

        build_opportunities(b)
        build_visits(b)
        from kehu.demo.selling import build_receivables

        build_receivables(b)
        from kehu.sales.xsell import associations_compute

        associations_compute(actor=None, trigger="demo", today=b.today)
        from kehu.demo.selling import build_pool

        build_pool(b)
        from kehu.demo.selling import build_quotas

        build_quotas(b)
        from kehu.demo.key_accounts import build_key_accounts

        build_key_accounts(b)
        from kehu.demo.selling import build_quotes

        build_quotes(b)
        from kehu.demo.kb import build_kb

        build_kb(admin=b.admin)
        from kehu.demo.marketing import build_marketing

        build_marketing(b)
        from kehu.demo.referrals import build_referrals

        build_referrals(b)
        from kehu.demo.campaigns import build_campaigns

        build_campaigns(b)
        from kehu.demo.channel import build_channel

        build_channel(b)
        # the orders written in bulk above: the kept purchase summary in one statement
        from kehu.sales.purchase_summary import summary_rebuild

        summary_rebuild()
    return demo_summary(created=True)


@contextlib.contextmanager
def _no_mail():
    """The demo company sends no mail (escalations, return-visit invitations): its people
    and customers are made up."""
    from django.conf import settings

    saved = settings.EMAIL_BACKEND
    settings.EMAIL_BACKEND = "django.core.mail.backends.dummy.EmailBackend"
    try:
        yield
    finally:
        settings.EMAIL_BACKEND = saved


def demo_ensure(*, seed: int = 7, customers: int = DEFAULT_CUSTOMERS, reset: bool = False) -> DemoSummary:
    """The demo company: created when missing (or when ``reset``), else reused as it is."""
    if reset:
        demo_delete()
    if demo_root() is not None:
        return demo_summary(created=False)
    return demo_create(seed=seed, customers=customers)
