"""``kehu bench marketing``: issue 16's speed targets on the current database.

Meant to run on PostgreSQL after ``kehu generate --customers 1000000 --orders 10000000``
and ``kehu analyze`` (see docs/benchmarks.md); it runs on any database. Three stages:

a. **A campaign's audience**: every live customer (or ``--audience N`` of them) with its
   value tier from the latest value analysis is selected, a 10% control group is held
   out stratified by tier (:func:`kehu.analytics.control_groups.assign_control`), and
   the treated customers' messages are queued through the one sending gate — consent,
   suppression list, frequency cap, quiet hours, language, rendering, token — by the
   ``prepare`` callable of :func:`audience_stage` (default :func:`queue_through_gate`:
   ``send_many(…, deliver=False)`` of an SMS template, source ``campaign``; the campaigns
   app's preparation plugs in there). Target ≤ 60 s for 1,000,000. The queued rows are
   deleted afterwards (untimed).
b. **A member's balance and statement** over the ledger of ``kehu points bench``
   (:mod:`kehu.marketing.membership.bench`): its members are reused when a ledger of
   theirs is in the database, else it is written (``--entries``, default 10,000,000;
   kept for the next run unless ``--drop-ledger``). Target p95 ≤ 20 ms.
c. **A day's care run** over every customer with four rules (birthday, anniversary,
   thank-you three days after a purchase, the rice merchant's next-order reminder), as a
   dry run and as the real run (:func:`kehu.marketing.care.services.care_run`); the
   rules, their moments, messages and reminder tasks are deleted afterwards. Target ≤ 30 s.

Data the generator does not make is added once and kept (``prepare_data``): consents
(nine in ten customers consent to data processing, eight in ten to marketing too, one in
ten withdrew their marketing consent), birthdays of the individual customers and a
founding day for one organisation in five.
"""

from __future__ import annotations

import datetime as dt
import sys
import time
from typing import Callable

from kehu.bench.web import Result, database_basics, report

AUDIENCE_TARGET_MS = 60_000.0
LEDGER_TARGET_MS = 20.0
CARE_TARGET_MS = 30_000.0
CONTROL_SHARE = 0.10
TEMPLATE_CODE = "bench-campaign"
CARE_TEMPLATE_CODE = "bench-care"
CARE_RULE_PREFIX = "bench "


# -- data the generator does not make ----------------------------------------------------

def prepare_data(out=None) -> list[str]:
    """Consents, birthdays and founding days, once (module docstring); what was added."""
    from django.db import connection, transaction

    from kehu.customers.models import Anniversary, Customer

    done = []
    pg = connection.vendor == "postgresql"
    birthday = ("DATE '1960-01-01' + ((id * 7919) %% 14600)::int" if pg else
                "date('1960-01-01', '+' || ((id * 7919) %% 14600) || ' days')")
    with transaction.atomic(), connection.cursor() as cur:
        if not Customer.objects.filter(consent_data_processing=True).exists():
            cur.execute(f"""
                UPDATE customers_customer SET
                    consent_data_processing = (id %% 10 <> 0),
                    consent_marketing = (id %% 10 >= 2),
                    consent_updated_at = CASE WHEN id %% 10 = 1 THEN %s ELSE NULL END,
                    birthday = CASE WHEN kind = 'individual' AND birthday IS NULL THEN {birthday}
                                    ELSE birthday END""", [dt.datetime(2025, 1, 1, tzinfo=dt.timezone.utc)])
            done.append("consents and birthdays")
        if not Anniversary.objects.exists():
            founded = birthday.replace("1960-01-01", "1990-01-01").replace("14600", "12000")
            cur.execute(f"""
                INSERT INTO customers_anniversary (customer_id, label, date)
                SELECT id, 'founded', {founded} FROM customers_customer
                WHERE kind = 'organization' AND id %% 5 = 0""", [])
            done.append("founding days")
    if done and pg and not connection.in_atomic_block:
        with connection.cursor() as cur:
            cur.execute("VACUUM ANALYZE customers_customer")
            cur.execute("VACUUM ANALYZE customers_anniversary")
    return done


def _template(code: str, channel: str, **texts):
    from kehu.marketing.outreach.models import MessageTemplate

    tpl, _created = MessageTemplate.objects.get_or_create(
        code=code, defaults={"name": "Benchmark", "channel": channel, "purpose": "marketing", **texts})
    return tpl


# -- a: a campaign's audience ---------------------------------------------------------------

def queue_through_gate(*, customer_ids: list[int], now: dt.datetime) -> dict[str, int]:
    """Queue the treated customers' messages through the gate (no delivery): counts by status."""
    from kehu.marketing.outreach import services as outreach

    tpl = _template(TEMPLATE_CODE, "sms",
                    body_zh="{{ customer.name }}您好：春季促销，凭码 {{ coupon.code }} 享九五折。{{ owner.name }} {{ owner.phone }}",
                    body_en="Dear {{ customer.name }}: spring offer, code {{ coupon.code }}. {{ owner.name }}")
    return outreach.send_many(customers=customer_ids, channel="sms", purpose="marketing", template=tpl,
                              context={"coupon": {"code": "SPRING95"}, "campaign": {"name": "Benchmark"}},
                              source=("campaign", None), now=now, deliver=False)


def cleanup_audience() -> int:
    from django.db import connection

    from kehu.marketing.outreach.models import MessageTemplate, OutboundMessage

    tpl = MessageTemplate.objects.filter(code=TEMPLATE_CODE).first()
    if tpl is None:
        return 0
    vacuum = connection.vendor == "postgresql" and not connection.in_atomic_block
    if vacuum:   # each deleted message is looked up among the care moments: their table's dead rows removed first
        with connection.cursor() as cur:
            cur.execute("VACUUM ANALYZE care_caremoment")
    qs = OutboundMessage.objects.filter(template=tpl, source_kind="campaign", source_id__isnull=True)
    n = qs._raw_delete(qs.db)
    if vacuum and n:
        with connection.cursor() as cur:
            cur.execute("VACUUM ANALYZE outreach_outboundmessage")
    return n


def audience_stage(prepare: Callable[..., dict] = queue_through_gate, *, limit: int | None = None, seed: int = 1,
                   now: dt.datetime | None = None) -> dict:
    """Select the audience with its value tiers, hold out the control group, ``prepare(customer_ids=…,
    now=…)`` the treated; the seconds of each step and what came of it."""
    import numpy as np

    from django.utils import timezone

    from kehu.analytics.control_groups import assign_control
    from kehu.customers.models import Customer
    from kehu.insights.models import CustomerScore
    from kehu.insights.selectors import latest_run

    now = now or timezone.now()
    t0 = time.perf_counter()
    qs = Customer.objects.filter(merged_into__isnull=True).order_by("pk")
    ids = np.fromiter(qs.values_list("pk", flat=True)[:limit] if limit else qs.values_list("pk", flat=True),
                      dtype=np.int64)
    run = latest_run()
    tiers = dict(CustomerScore.objects.filter(run=run).values_list("customer_id", "tier").iterator(20_000)) \
        if run else {}
    strata = np.array([tiers.get(int(i), "") for i in ids], dtype=object)
    t1 = time.perf_counter()
    control = assign_control(ids, strata, CONTROL_SHARE, seed)
    treated = ids[~control].tolist()
    t2, c2 = time.perf_counter(), time.process_time()
    counts = prepare(customer_ids=treated, now=now)
    t3, c3 = time.perf_counter(), time.process_time()
    return {"audience": int(ids.size), "control": int(control.sum()), "treated": len(treated),
            "tiers": len(set(strata.tolist())), "counts": counts,
            "seconds": {"select": round(t1 - t0, 2), "control": round(t2 - t1, 2), "queue": round(t3 - t2, 2),
                        "total": round(t3 - t0, 2),
                        # this process's own CPU (both threads) while queueing: what a busy machine does not
                        # inflate; the database server's work is not in it
                        "queue_cpu": round(c3 - c2, 2)}}


# -- b: the ledger ------------------------------------------------------------------------------

def ledger_stage(*, entries: int, members: int, runs: int, seed: int, drop: bool) -> dict:
    from django.db.models import Exists, OuterRef

    from kehu.marketing.membership import bench as points
    from kehu.marketing.membership.models import Membership, PointsEntry

    existing = list(Membership.objects.filter(Exists(PointsEntry.objects.filter(
        membership=OuterRef("pk"), reason="bench"))).values_list("pk", flat=True))
    loaded = None
    if existing:
        member_ids = existing
    else:
        t0 = time.perf_counter()
        member_ids = points.load_ledger(entries=entries, members=members, seed=seed)
        loaded = round(time.perf_counter() - t0, 1)
    try:
        points.measure(member_ids, min(runs, 50), seed + 1)   # warm the caches
        figures = points.measure(member_ids, runs, seed)
        total = PointsEntry.objects.count()
    finally:
        if drop:
            PointsEntry.objects.filter(membership_id__in=member_ids).delete()
            Membership.objects.filter(pk__in=member_ids).delete()
    return {"ledger_rows": total, "members": len(member_ids), "runs": runs, "loaded_seconds": loaded,
            "reused": bool(existing), "ms": figures}


# -- c: the care run ------------------------------------------------------------------------------

def care_rules():
    from kehu.marketing.care.models import CareChannel, CareKind, CareRule

    tpl = _template(CARE_TEMPLATE_CODE, "wechat", body_zh="{{ customer.name }}，祝您节日快乐！",
                    body_en="Best wishes, {{ customer.name }}!")
    rules = []
    for kind in (CareKind.BIRTHDAY, CareKind.ANNIVERSARY, CareKind.THANKS, CareKind.NEXT_ORDER):
        rule = CareRule(name_zh=f"{CARE_RULE_PREFIX}{kind}", name_en=f"{CARE_RULE_PREFIX}{kind}", kind=kind,
                        channel=CareChannel.WECHAT, template=tpl, days_after=3)
        rule.full_clean(exclude=["created_by"])
        rule.save()
        rules.append(rule)
    return rules


def cleanup_care() -> None:
    from django.db import connection, transaction

    from kehu.engagement.models import Task
    from kehu.marketing.care.models import CareMoment, CareRule
    from kehu.marketing.outreach.models import OutboundMessage

    rules = list(CareRule.objects.filter(name_zh__startswith=CARE_RULE_PREFIX).values_list("pk", flat=True))
    if not rules:
        return
    with transaction.atomic():
        moments = CareMoment.objects.filter(rule_id__in=rules)
        tasks = [t for t in moments.exclude(task__isnull=True).values_list("task_id", flat=True)]
        moments._raw_delete(moments.db)
        for start in range(0, len(tasks), 5000):
            Task.objects.filter(pk__in=tasks[start:start + 5000]).delete()
        msgs = OutboundMessage.objects.filter(source_kind="care", source_id__in=rules)
        msgs._raw_delete(msgs.db)
        CareRule.objects.filter(pk__in=rules).delete()
    if connection.vendor == "postgresql" and not connection.in_atomic_block:
        with connection.cursor() as cur:
            cur.execute("VACUUM ANALYZE care_caremoment")


def care_stage(*, now: dt.datetime | None = None) -> dict:
    from django.utils import timezone

    from kehu.marketing.care.services import care_run, today_local

    now = now or timezone.now()
    day = today_local(now)
    cleanup_care()
    rules = care_rules()
    names = {r.pk: r.kind for r in rules}
    try:
        t0 = time.perf_counter()
        dry = care_run(date=day, dry_run=True, now=now, rules=rules)
        t1 = time.perf_counter()
        real = care_run(date=day, now=now, rules=rules)
        t2 = time.perf_counter()
    finally:
        cleanup_care()
    return {"day": day.isoformat(), "dry_run": {names[k]: v for k, v in dry.items()},
            "run": {names[k]: v for k, v in real.items()},
            "seconds": {"dry_run": round(t1 - t0, 2), "run": round(t2 - t1, 2)}}


# -- the command ------------------------------------------------------------------------------------

def _job(name: str, ms: float, target_ms: float, detail: str) -> Result:
    return Result(name, "job", n=1, p50_ms=round(ms, 1), p95_ms=round(ms, 1), max_ms=round(ms, 1),
                  target_ms=target_ms, detail=detail)


def _failed(name: str, target_ms: float, exc: Exception) -> Result:
    return Result(name, "job", target_ms=target_ms, status="error", detail=f"{type(exc).__name__}: {exc}"[:300])


def run_marketing_bench(*, audience: int | None = None, entries: int = 10_000_000, members: int = 10_000,
                        runs: int = 500, seed: int = 1, drop_ledger: bool = False, stages: str = "abc",
                        prepare: Callable[..., dict] = queue_through_gate, as_json: bool = False, out=None) -> int:
    from kehu.customers.models import Customer

    out = out or sys.stdout
    db = database_basics()
    db["customers"] = Customer.objects.count()
    added = prepare_data()
    if not as_json:
        print(f"database: {db['vendor']} {db.get('version', '')} {db['name']}: {db['customers']:,} customers"
              + (f"; added once: {', '.join(added)}" if added else ""), file=out, flush=True)
    results, figures = [], {}
    if "a" in stages:
        name = "campaign audience: select, 10% control by tier, queue through the gate"
        cleanup_audience()
        try:
            a = audience_stage(prepare, limit=audience, seed=seed)
            figures["audience"] = a
            s = a["seconds"]
            results.append(_job(name, s["total"] * 1000, AUDIENCE_TARGET_MS,
                                f"{a['audience']:,} customers ({a['tiers']} tiers), {a['control']:,} held out, "
                                f"{a['treated']:,} through the gate: "
                                + ", ".join(f"{k} {v:,}" for k, v in a["counts"].items() if v)
                                + f"; select {s['select']} s, control {s['control']} s, queue {s['queue']} s "
                                  f"({a['treated'] / max(s['queue'], 1e-9):,.0f} a second; this process's CPU "
                                  f"{s['queue_cpu']} s)"))
        except Exception as exc:  # noqa: BLE001 - one stage failing must not stop the others
            results.append(_failed(name, AUDIENCE_TARGET_MS, exc))
        finally:
            cleanup_audience()
    if "b" in stages:
        name = "member's balance and statement (p95)"
        try:
            b = ledger_stage(entries=entries, members=members, runs=runs, seed=seed, drop=drop_ledger)
            figures["ledger"] = b
            f = b["ms"]["balance_and_statement"]
            results.append(Result(name, "job", n=runs, p50_ms=f["p50"], p95_ms=f["p95"], max_ms=f["max"],
                                  target_ms=LEDGER_TARGET_MS,
                                  detail=f"{b['ledger_rows']:,} ledger rows, {b['members']:,} members"
                                  + (" (reused)" if b["reused"] else f" (loaded in {b['loaded_seconds']} s)")
                                  + "; " + ", ".join(f"{k} p95 {v['p95']} ms" for k, v in b["ms"].items())))
        except Exception as exc:  # noqa: BLE001
            results.append(_failed(name, LEDGER_TARGET_MS, exc))
    if "c" in stages:
        try:
            c = care_stage()
            figures["care"] = c
            for key, label in (("dry_run", "dry run"), ("run", "run")):
                counts = {}
                for kind_counts in c[key].values():
                    for k, v in kind_counts.items():
                        counts[k] = counts.get(k, 0) + v
                results.append(_job(f"care run of a day, every customer ({label})", c["seconds"][key] * 1000,
                                    CARE_TARGET_MS, f"{c['day']}, 4 rules: "
                                    + ", ".join(f"{k} {v:,}" for k, v in counts.items() if v)))
        except Exception as exc:  # noqa: BLE001
            results.append(_failed("care run of a day, every customer", CARE_TARGET_MS, exc))
    report(results, {}, {"database": db, "added": added, "figures": figures}, as_json=as_json, out=out)
    return 0 if all(r.status == "ok" for r in results) else 1

