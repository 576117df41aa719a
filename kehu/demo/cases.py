"""The demo company's service history: its complaint interactions turned into cases.

Every interaction on the complaint channel (``build_interactions``: a quality complaint about
rust on a batch, or a late delivery) becomes a case about the same customer and contact,
linked to the interaction (``source_interaction``), handled by the service agent of the
customer's region and numbered on the day it came in. What happened to it follows its age:

- older than a month: closed — judged valid (or, now and then, invalid with the explanation
  given to the customer), the six steps done, a root cause, a resolution, sometimes a
  replacement or a refund approved by the region's manager, a return visit; a few return
  visits were dissatisfied, reopened the case and closed it after a second fix;
- one to four weeks: resolved, return-visited or closed;
- the last working week: new, accepted, in progress or waiting for the customer — the open
  queue, some of them past their promise (the SLA check then escalates them).

The causes are drawn so that a few of them make most complaints (the cause Pareto of the
service analytics): the mill's coating and the warehouse's damp for quality, the haulier and
production planning for late deliveries. Everything is written in bulk (the history is
thousands of cases): the numbers come from the day's counter, the SLA promises from the
company's policies, the timeline from :class:`~kehu.service.models.CaseEvent` rows dated
when each step happened.
"""

from __future__ import annotations

import datetime as dt
import random
from collections import defaultdict
from decimal import Decimal

# subject of the demo's complaint interactions → (category code, causes [(cause category,
# root cause, weight)], resolutions)
QUALITY = ("product-defect", [
    ("product", "钢厂出厂镀层/涂油不均，运输途中返锈", 40),
    ("partner", "中转仓库防潮措施不到位，板卷受潮", 28),
    ("product", "个别批次表面结疤、划伤超出标准", 12),
    ("customer", "客户露天堆放未覆盖，雨后锈蚀", 10),
    ("service", "发货前未按约定做表面检查", 10),
], ["质检人员到场复核，锈蚀属实，已安排{t}吨调换并承担运费。",
    "与客户共同抽检，按合同降级结算{t}吨，并补做抛丸除锈。",
    "确认为轻微浮锈，免费提供抛丸除锈加工，客户认可。"])
DELIVERY = ("delivery-late", [
    ("partner", "承运车队临时调车，车辆不足", 45),
    ("process", "排产与发货计划衔接不畅，加工件未按时完工", 30),
    ("partner", "高速限行/天气原因导致在途延误", 12),
    ("service", "客服未及时告知客户延误情况", 13),
], ["协调自有车辆加急送达，当面致歉，下批优先排产。",
    "调整发货计划并每日向客户通报在途状态，免收本批运费。",
    "改由就近仓库调货当日送达，赔付误工费用。"])
KINDS = {"质量投诉": QUALITY, "交期投诉": DELIVERY}
INVALID = "经核查，延误系客户临时更改收货地址所致，已向客户说明并致歉沟通。"
RETURN_GOOD = ["客户表示满意，认可处理结果", "客户满意，希望保持沟通", "客户对处理速度表示认可"]
RETURN_BAD = "客户对处理结果仍不满意：调换货物规格不符，要求重新处理"
SECOND_FIX = "重新调换正确规格，区域经理上门致歉，客户表示接受"
STEP_NOTES = {
    "listen": "耐心听取客户陈述，记录诉求", "share": "对客户损失表示理解，代表公司致歉",
    "probe": "询问批次号、到货时间及现场情况", "check": "与客户确认问题范围和期望的处理方式",
    "act": "安排处理并告知完成时间", "satisfy": "回访确认客户满意",
}


def _pick(r: random.Random, causes):
    total = sum(w for *_, w in causes)
    x = r.uniform(0, total)
    for cat, text, w in causes:
        x -= w
        if x <= 0:
            return cat, text
    return causes[-1][:2]


def build_case_history(b) -> int:
    """Turn the complaint interactions of builder ``b`` (kehu/demo/generator.py) into cases;
    return how many."""
    from django.utils import timezone

    from kehu.demo.generator import _keep_auto_now
    from kehu.engagement.models import Interaction
    from kehu.numbering.services import case_series, number_reserve
    from kehu.service.models import (
        STEP_ORDER, Case, CaseCategory, CaseEvent, CaseStep, EventKind, SlaPolicy,
    )
    from kehu.service.sla import sla_refresh

    r = random.Random(b.rnd.randrange(10**6))
    today = b.today
    cats = {c.code: c for c in CaseCategory.objects.all()}
    policies = list(SlaPolicy.objects.all())
    region_of = {}   # team id → "north" / "east"
    for key in ("bj", "tj", "hb"):
        region_of[b.teams[key].pk] = "north"
    for key in ("sh", "js"):
        region_of[b.teams[key].pk] = "east"
    agent = {"north": b.users["service_n"], "east": b.users["service_e"]}
    manager = {"north": b.users["north_mgr"], "east": b.users["east_mgr"]}
    team_of = {c.pk: c.team_id for c in b.customers}
    ids = [c.pk for c in b.customers]
    interactions = list(Interaction.objects.filter(customer_id__in=ids, channel="complaint")
                        .order_by("occurred_at", "id"))

    plans = []
    for it in interactions:
        category, causes, fixes = KINDS.get(it.subject, QUALITY)
        region = region_of.get(team_of.get(it.customer_id), "north")
        age = (today - timezone.localtime(it.occurred_at).date()).days
        quality = category == "product-defect"
        if age > 30:
            goal = "invalid" if (not quality and r.random() < 0.06) else (
                "reopened" if r.random() < 0.04 else "closed")
        elif age > 7:
            goal = r.choice(("resolved", "return_visited", "closed", "closed"))
        else:
            goal = r.choice(("new", "accepted", "in_progress", "in_progress", "waiting"))
        plans.append((it, category, causes, fixes, region, goal, quality))

    # numbers: one block per day, from that day's counter
    by_day: dict[dt.date, list[int]] = defaultdict(list)
    for i, (it, *_rest) in enumerate(plans):
        by_day[timezone.localtime(it.occurred_at).date()].append(i)
    refs: dict[int, str] = {}
    for day, idx in by_day.items():
        for i, code in zip(idx, number_reserve(series=case_series(day), count=len(idx))):
            refs[i] = code

    cases, histories = [], []
    for i, (it, category, causes, fixes, region, goal, quality) in enumerate(plans):
        start = it.occurred_at
        tonnes = r.randint(1, 30)
        case = Case(
            ref=refs[i], kind="complaint", channel="hotline", status="new",
            severity=r.choice((2, 2, 3, 3, 3)) if quality else r.choice((3, 3, 4)),
            customer_id=it.customer_id, contact_id=it.contact_id,
            category=cats.get(category), wants=r.choice(("compensation", "fix")) if quality
            else r.choice(("respect", "listening", "fix")),
            subject=it.subject, description=it.summary, team_id=team_of.get(it.customer_id),
            assignee=agent[region], created_by=agent[region], source_interaction_id=it.pk,
            created_at=start,
        )
        # The promise as made when the case came in (counting from then is quick; the demo
        # has no value analysis yet, so no tier).
        sla_refresh(case, now=start, policies=policies, tier=None)
        events = [(start, EventKind.CREATED, "", "new", "", agent[region])]
        steps_done = 0
        t = start
        if goal != "new":
            response = dt.timedelta(hours=r.choice((0.3, 0.5, 1, 2, 3, 5)) if r.random() < 0.9
                                    else r.uniform(20, 40))
            t = start + response
            case.first_responded_at = t
            events.append((t, EventKind.TRANSITION, "new", "accepted", "", agent[region]))
            case.status = "accepted"
        if goal in ("in_progress", "waiting", "resolved", "return_visited", "closed", "reopened", "invalid"):
            case.validity = "invalid" if goal == "invalid" else "valid"
            case.invalid_explanation = INVALID if goal == "invalid" else ""
            t = t + dt.timedelta(minutes=r.randint(10, 90))
            events.append((t, EventKind.VALIDITY, "", "", case.invalid_explanation, agent[region]))
            if goal == "invalid":
                events.append((t, EventKind.TRANSITION, "accepted", "closed", INVALID, agent[region]))
                case.status, case.closed_at = "closed", t
            else:
                events.append((t, EventKind.TRANSITION, "accepted", "in_progress", "", agent[region]))
                case.status = "in_progress"
                steps_done = 3 if goal in ("in_progress", "waiting") else 6
        if goal == "waiting":
            t = t + dt.timedelta(hours=r.randint(1, 6))
            events.append((t, EventKind.TRANSITION, "in_progress", "waiting", "等待客户提供批次号和现场照片",
                           agent[region]))
            case.status = "waiting"
            case.sla_paused = [[t.isoformat(), None]]
            case.resolution_due = None   # the clock stands while the customer is asked
        if goal in ("resolved", "return_visited", "closed", "reopened"):
            cause, root = _pick(r, causes)
            case.cause_category, case.root_cause = cause, root
            case.resolution = r.choice(fixes).format(t=tonnes)
            if quality and r.random() < 0.55:
                case.compensation_kind = r.choice(("replacement", "replacement", "refund"))
                case.compensation_amount = Decimal(tonnes * r.randint(3800, 4600)).quantize(Decimal("0.01"))
                case.compensation_approved_by = manager[region]
            elif not quality and r.random() < 0.2:
                case.compensation_kind = "cash"
                case.compensation_amount = Decimal(r.randint(5, 30) * 100)
                case.compensation_approved_by = manager[region]
            t = t + dt.timedelta(hours=r.choice((3, 6, 20, 26, 30, 50, 75)))
            events.append((t, EventKind.TRANSITION, "in_progress", "resolved", case.resolution, agent[region]))
            case.status, case.resolved_at = "resolved", t
        if goal in ("return_visited", "closed", "reopened"):
            t = t + dt.timedelta(days=r.randint(1, 3))
            if goal == "reopened":
                events.append((t, EventKind.TRANSITION, "resolved", "in_progress", RETURN_BAD, agent[region]))
                t = t + dt.timedelta(days=r.randint(2, 5))
                events.append((t, EventKind.TRANSITION, "in_progress", "resolved", SECOND_FIX, agent[region]))
                case.resolution = SECOND_FIX
                case.resolved_at = t
                t = t + dt.timedelta(days=1)
            events.append((t, EventKind.TRANSITION, "resolved", "return_visited", r.choice(RETURN_GOOD),
                           agent[region]))
            case.status = "return_visited"
        if goal in ("closed", "reopened"):
            events.append((t, EventKind.TRANSITION, "return_visited", "closed", "", agent[region]))
            case.status, case.closed_at = "closed", t
        case.version = len(events)
        cases.append(case)
        histories.append((events, steps_done, agent[region]))

    with _keep_auto_now((Case, "created_at")):
        Case.objects.bulk_create(cases, batch_size=1000)
    made = dict(Case.objects.filter(ref__in=[c.ref for c in cases]).values_list("ref", "pk"))
    rows, steps = [], []
    for case, (events, steps_done, who) in zip(cases, histories):
        pk = made[case.ref]
        for at, kind, frm, to, note, actor in events:
            rows.append(CaseEvent(case_id=pk, at=at, kind=kind, from_status=frm, to_status=to, note=note,
                                  actor=actor))
        done_at = case.first_responded_at
        for n, step in enumerate(STEP_ORDER):
            done = n < steps_done
            steps.append(CaseStep(case_id=pk, step=step, done=done, note=STEP_NOTES[step] if done else "",
                                  done_at=(done_at + dt.timedelta(minutes=20 * n)) if done else None,
                                  done_by=who if done else None))
    with _keep_auto_now((CaseEvent, "at")):
        CaseEvent.objects.bulk_create(rows, batch_size=2000)
    CaseStep.objects.bulk_create(steps, batch_size=2000)
    return len(cases)


# -- the public service form -------------------------------------------------------------------

# (slug, name, team key or None, product line code or None)
INTAKE_LINKS = [
    ("huaxin-service", "华信钢材 客服表单 Service form", None, None),
    ("huaxin-north", "华北服务中心 North service centre", "north", None),
    ("huaxin-east", "华东服务中心 East service centre", "east", None),
    ("huaxin-processing", "加工服务报修 Processing repairs", None, "PROCESS"),
]


def build_public_form(b) -> None:
    """The company's public-form links (one per service centre and one for the processing
    line, each with its QR code on the settings page) and three requests sent through them:
    one from a customer's contact (matched by the phone number), one from a caller Kehu does
    not know yet, and the same request sent twice (merged into the first case)."""
    from kehu.sales.models import ProductLine
    from kehu.service.intake import Submission, intake_link_create, public_submit

    lines = {ln.code: ln for ln in ProductLine.objects.filter(code__in=[c for *_, c in INTAKE_LINKS if c])}
    links = {}
    for slug, name, team, line in INTAKE_LINKS:
        links[slug] = intake_link_create(actor=b.admin, data={
            "slug": slug, "name": name, "team": b.teams[team] if team else None,
            "product_line": lines.get(line) if line else None})
    contact = next((c for cs in b.contacts.values() for c in cs if c.phone), None)
    if contact is not None:
        public_submit(link=links["huaxin-north"], submission=Submission(
            name=contact.name, phone=contact.phone, email="", kind="complaint", reference="",
            description="上周到货的热轧卷板有两卷边部裂口，已拍照留存，请尽快安排人员来看。"))
    unknown = Submission(name="钱先生", phone="13912345678", email="", kind="enquiry", reference="",
                         description="想了解贵司是否提供不锈钢板激光切割加工，最小起订量是多少？")
    public_submit(link=links["huaxin-processing"], submission=unknown)
    public_submit(link=links["huaxin-processing"], submission=unknown)   # sent twice: merged


def delete_public_form() -> None:
    """The demo's links and the requests sent through them (a caller the demo did not know
    has no customer, so deleting the customers does not take them)."""
    from kehu.service.models import Case, IntakeLink

    slugs = [slug for slug, *_ in INTAKE_LINKS]
    Case.objects.filter(intake_link__slug__in=slugs).delete()
    IntakeLink.objects.filter(slug__in=slugs).delete()
