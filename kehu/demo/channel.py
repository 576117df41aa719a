"""The demo company's channel (渠道, 伙伴关系管理, issue 18): Huaxin Steel sells
through two level-1 agents — 华北钢材一级代理 (Beijing and Hebei) and
华东钢材一级代理 (Shanghai, Jiangsu, Zhejiang) — and a level-2 agent below the
northern one, 天津二级代理 (Tianjin). The sales director is their channel manager.

* each agent has a contract, a margin and a target for the current year;
* some demo customers of the agents' provinces are served through them, and
  their orders of the last twelve months were sold through them (``Order.partner``
  with the agent's margin);
* a late-delivery complaint caused by the Tianjin agent is routed to it
  (``Case.partner``, cause "partner or supplier");
* one login per agent (``agent_hb``, ``agent_hd``, ``agent_tj``, the demo password),
  printed with the other logins, and a few more staff of each agent (no password)
  who answered the partner satisfaction survey;
* the partner satisfaction survey (the ``partner`` template, "the joy of selling")
  with a closed wave answered by the agents' people: the northern agent is the
  happiest, the Tianjin level-2 agent — whose margin is what the level-1 agent
  leaves it — the least.

Everything is drawn from ``random.Random(seed)``: the same seed gives the same
channel. It goes with the demo company (:func:`delete_channel`).
"""

from __future__ import annotations

import datetime as dt
import random
from decimal import Decimal

SURVEY_CODE = "huaxin-partners"
# code, name, type, parent code, margin %, provinces, cities, regions
PARTNERS = [
    ("HX-P01", "华北钢材一级代理", "agent_l1", None, Decimal("8.00"), ["北京市", "河北省"], [], ["north"]),
    ("HX-P02", "华东钢材一级代理", "agent_l1", None, Decimal("7.50"), ["上海市", "江苏省", "浙江省"], [], ["east"]),
    ("HX-P03", "天津二级代理", "agent_l2", "HX-P01", Decimal("4.00"), ["天津市"], ["天津"], ["north"]),
]
PARTNER_CODES = [p[0] for p in PARTNERS]
# username, display name, partner code, staff who answered the survey besides the login
PARTNER_USERS = [
    ("agent_hb", "李刚 (华北钢材一级代理)", "HX-P01", 6),
    ("agent_hd", "王芳 (华东钢材一级代理)", "HX-P02", 5),
    ("agent_tj", "赵磊 (天津二级代理)", "HX-P03", 5),
]
# How glad each agent is to sell Huaxin's steel (a shift of the simulated answers).
MOOD = {"HX-P01": 0.6, "HX-P02": 0.1, "HX-P03": -0.7}
# Customers served through each agent at most, and their chance to be.
PER_PARTNER = 25
SHARE = 0.25
COMMENTS = {
    "JOY": [
        ("质保书齐全，客户认华信的货，好卖。", "Every delivery comes with its mill certificate; customers trust Huaxin's steel."),
        ("渠道经理反应快，急单也能协调出货。", "The channel manager reacts fast and finds stock even for rush orders."),
        ("价格透明，不和我们抢客户。", "Prices are transparent and Huaxin does not poach our customers."),
        ("培训之后我们的业务员能讲清楚材质区别。", "Since the training our salespeople can explain the grades."),
    ],
    "IMPROVE": [
        ("二级代理的毛利太薄，希望提高返利。", "The level-2 margin is too thin; please raise the rebate."),
        ("旺季交货经常延迟，希望提前备货。", "Deliveries slip in the peak season; please stock up earlier."),
        ("账期太短，希望延长到60天。", "The credit period is too short; 60 days would help."),
        ("区域保护要落实，外地代理低价窜货。", "Enforce the territories: agents from other areas undercut us."),
        ("希望多给一些宣传资料和展会支持。", "More marketing material and trade-fair support, please."),
    ],
}


def build_channel(b) -> None:
    """The channel of the demo company built by ``b`` (the generator's builder)."""
    from django.contrib.auth.hashers import make_password

    from kehu.org.models import Partner, User
    from kehu.org.partners import partner_create, partner_target_set
    from kehu.sales.models import Order

    if Partner.objects.filter(code__in=PARTNER_CODES).exists():
        return
    rnd = random.Random(b.seed * 31 + 18)
    today = b.today
    manager = b.users["director"]
    partners: dict[str, Partner] = {}
    for code, name, kind, parent, margin, provinces, cities, regions in PARTNERS:
        partners[code] = partner_create(data={
            "code": code, "name": name, "kind": kind, "manager": manager, "margin_pct": margin,
            "provinces": provinces, "cities": cities, "regions": regions, "industries": [],
            "contract_start": dt.date(today.year - 2, 1, 1), "contract_end": dt.date(today.year + 1, 12, 31),
            "terms": "年度经销协议：区域独家，月结30天，季度返利1%–3%。",
            "phone": f"400-8{rnd.randint(100, 999)}-{rnd.randint(1000, 9999)}",
            "email": f"{code.lower()}@agents.huaxin-steel.example",
        }, parent=partners.get(parent))

    # Customers served through the agents: some of their provinces' customers (not the key accounts).
    chosen: dict[str, list] = {code: [] for code in partners}
    for c, plan in sorted(zip(b.customers, b.plans), key=lambda cp: cp[0].ref):
        if plan["pattern"] == "key":
            continue
        for code, _name, _kind, _parent, _margin, provinces, _cities, _regions in PARTNERS:
            if c.province in provinces and len(chosen[code]) < PER_PARTNER and rnd.random() < SHARE:
                chosen[code].append(c)
    taken = {c.pk for lst in chosen.values() for c in lst}
    spare = [c for c, plan in zip(b.customers, b.plans) if plan["pattern"] != "key" and c.pk not in taken]
    for code in PARTNER_CODES:  # a small demo still gives every agent a few customers
        while len(chosen[code]) < 3 and spare:
            chosen[code].append(spare.pop(0))
    from kehu.customers.models import Customer

    year_ago = today - dt.timedelta(days=365)
    for code, customers in chosen.items():
        partner = partners[code]
        ids = [c.pk for c in customers]
        Customer.objects.filter(pk__in=ids).update(partner=partner)
        Order.objects.filter(customer_id__in=ids, order_date__gte=year_ago).update(
            partner=partner, partner_margin_pct=partner.margin_pct)
    b.partner_customers = chosen

    # Targets for the current year: a little above the last twelve months' sales through the agent.
    from django.db.models import Sum

    for code, partner in partners.items():
        sold = Order.objects.filter(partner=partner).exclude(status="cancelled").aggregate(s=Sum("amount"))["s"]
        revenue = max(Decimal("500000"), ((sold or Decimal("0")) * Decimal("1.2") / 10000).quantize(Decimal("1"))
                      * 10000)
        partner_target_set(partner=partner, period_start=dt.date(today.year, 1, 1),
                           period_end=dt.date(today.year, 12, 31), revenue=revenue,
                           new_customers={"HX-P01": 8, "HX-P02": 6, "HX-P03": 4}[code])

    # The partner users: one login per agent (printed with the others), and their colleagues.
    from kehu.demo.generator import CLASH_SUFFIX, DEMO_PASSWORD

    password = make_password(DEMO_PASSWORD)
    names = [u[0] for u in PARTNER_USERS]
    clash = set(User.objects.filter(username__in=names).values_list("username", flat=True))
    rows = []
    logins: dict[str, str] = {}     # partner code → its login
    for username, display, code, staff in PARTNER_USERS:
        login = username + CLASH_SUFFIX if username in clash else username
        logins[code] = login
        rows.append(User(username=login, display_name=display, role="partner", partner=partners[code],
                         password=password, email=f"{username}@agents.huaxin-steel.example", language="zh-hans"))
        for k in range(staff):
            rows.append(User(username=f"{login}.{k + 1}", display_name=f"{partners[code].name} 员工{k + 1}",
                             role="partner", partner=partners[code], password=make_password(None),
                             email=f"{username}.{k + 1}@agents.huaxin-steel.example", language="zh-hans"))
    User.objects.bulk_create(rows)
    _agent_visits(b, partners, chosen, logins)

    _route_a_case(b, partners["HX-P03"], chosen["HX-P03"])
    _survey(b, partners, rnd)


VISITS_PER_AGENT = 4


def _agent_visits(b, partners, chosen, logins) -> None:
    """A few visits each agent's login logged on its customers: what a partner user sees of
    their customers' interactions (the company's own notes stay hidden from them,
    :meth:`kehu.org.policies.CustomerPolicy.timeline_q`)."""
    from kehu.engagement.models import Interaction
    from kehu.org.models import User

    rnd = random.Random(b.seed * 31 + 19)     # apart from the channel's own sequence
    users = dict(User.objects.filter(username__in=logins.values()).values_list("username", "pk"))
    objs = []
    for code, customers in chosen.items():
        for c in customers[:VISITS_PER_AGENT]:
            d = b.today - dt.timedelta(days=rnd.randint(3, 90))
            objs.append(Interaction(
                customer_id=c.pk, channel="visit", direction="outbound", user_id=users[logins[code]],
                occurred_at=dt.datetime(d.year, d.month, d.day, rnd.randrange(9, 17), rnd.randrange(60), tzinfo=b.tz),
                subject="代理拜访", summary=f"{partners[code].name}上门拜访{c.name}，客户询问下季度螺纹钢供货和账期安排。",
                next_step="报给渠道经理确认价格"))
    Interaction.objects.bulk_create(objs)


def _route_a_case(b, partner, customers) -> None:
    """A late delivery by the Tianjin agent: the complaint is routed to it."""
    from kehu.service.models import Case, CaseCategory
    from kehu.service.services import case_assign, case_create

    if not customers:
        return
    category = CaseCategory.objects.filter(code="delivery-late").first()
    case = case_create(actor=b.admin, data={
        "kind": "complaint", "customer": customers[0], "category": category, "severity": 2,
        "subject": "天津二级代理送货晚了两天，也没有提前通知",
        "description": "客户经天津二级代理下单的盘螺晚到两天，代理未提前告知，工地临时调货。",
        "cause_category": "partner", "root_cause": "二级代理排车计划未按订单交期安排。",
        "wants": "fix"})
    Case.objects.filter(pk=case.pk).update(partner=partner)
    case_assign(actor=b.admin, case=case, assignee=b.users["service_n"])


def _survey(b, partners, rnd) -> None:
    """The partner satisfaction survey with a closed wave answered by the agents' people."""
    from kehu.surveys.models import Survey, SurveyStatus, Wave, WaveStatus
    from kehu.surveys.services.definitions import survey_create_from_template
    from kehu.surveys.services.distribution import response_record
    from kehu.surveys.services.partners import invitations_create_partners
    from kehu.surveys.simulate import simulate_answers

    if Survey.objects.filter(code=SURVEY_CODE).exists():
        return
    survey = survey_create_from_template(actor=b.admin, template="partner", code=SURVEY_CODE)
    Survey.objects.filter(pk=survey.pk).update(status=SurveyStatus.ACTIVE)
    survey.refresh_from_db()
    opens, closes = b.today - dt.timedelta(days=45), b.today - dt.timedelta(days=15)
    wave = Wave.objects.create(survey=survey, name=f"{b.today.year} 渠道满意度 Partner survey",
                               status=WaveStatus.OPEN, opens_on=opens, closes_on=closes, created_by=b.admin)
    for code in ("HX-P01", "HX-P02"):  # the level-1 agents and the level-2 agent below the first
        invitations_create_partners(actor=None, wave=wave, check=False, partner=partners[code])
    start = dt.datetime.combine(opens, dt.time(9), tzinfo=dt.timezone(dt.timedelta(hours=8)))
    for code, partner in partners.items():
        invitations = list(wave.invitations.filter(partner=partner).order_by("id"))
        rows = simulate_answers(survey, len(invitations), seed=b.seed * 7 + int(code[-2:]), shift=MOOD[code])
        for inv, answers in zip(invitations, rows):
            for question, comments in COMMENTS.items():
                answers.pop(question, None)
                if rnd.random() < 0.5:
                    # the level-2 agent mostly asks for a better margin
                    zh, en = comments[0] if code == "HX-P03" and question == "IMPROVE" and rnd.random() < 0.6 \
                        else rnd.choice(comments)
                    answers[question] = zh if rnd.random() < 0.9 else en
            at = start + dt.timedelta(days=rnd.randint(0, (closes - opens).days), minutes=rnd.randint(0, 600))
            response_record(invitation=inv, answers=answers, submit=True, check_open=False, submitted_at=at,
                            language="zh-hans")
    from django.utils import timezone

    from kehu.surveys.models import Invitation

    Invitation.objects.filter(wave=wave).update(sent_at=start, updated_at=timezone.now())
    Wave.objects.filter(pk=wave.pk).update(status=WaveStatus.CLOSED)


def delete_channel() -> None:
    """Remove the demo's channel: the partner survey, the partners' users, targets
    and the partners (their customers, orders and cases are removed with the demo's
    customers before this)."""
    from kehu.audit.models import AuditEvent
    from kehu.org.models import Partner, User
    from kehu.surveys.models import Survey

    Survey.objects.filter(code=SURVEY_CODE).delete()
    partners = list(Partner.objects.filter(code__in=PARTNER_CODES).order_by("-level"))
    if not partners:
        return
    ids = [p.pk for p in partners]
    from kehu.customers.models import Customer
    from kehu.sales.models import Order
    from kehu.service.models import Case

    # customers, orders and cases outside the demo that someone gave a demo partner: kept, without it
    Customer.objects.filter(partner_id__in=ids).update(partner=None)
    Order.objects.filter(partner_id__in=ids).update(partner=None, partner_margin_pct=None)
    Case.objects.filter(partner_id__in=ids).update(partner=None)
    User.objects.filter(partner_id__in=ids).delete()
    AuditEvent.objects.filter(entity="partner", entity_id__in=ids).delete()
    for partner in partners:  # the level-2 agent before its level-1 agent (PROTECT)
        partner.delete()


def channel_logins() -> list[tuple[str, str, str, str]]:
    """(username, password, role, partner) of the demo's partner logins."""
    from kehu.demo.generator import CLASH_SUFFIX, DEMO_PASSWORD
    from kehu.org.models import Role, User

    names = [u[0] for u in PARTNER_USERS]
    users = User.objects.filter(partner__code__in=PARTNER_CODES, role=Role.PARTNER).select_related("partner")
    order = {n: i for i, n in enumerate(names)}
    found = [u for u in users if u.username.removesuffix(CLASH_SUFFIX) in order]
    found.sort(key=lambda u: order[u.username.removesuffix(CLASH_SUFFIX)])
    label = str(dict(Role.choices)[Role.PARTNER])
    return [(u.username, DEMO_PASSWORD, label, u.partner.name) for u in found]
