"""``kehu generate --opportunities N``: N synthetic opportunities (商机) over the customers
already in the database, for ``kehu bench sales`` (issue 15).

Written like the orders and the cases (kehu/bench/generate.py): ids assigned here, COPY on
PostgreSQL, executemany on SQLite, in batches. Each opportunity sits in the default
pipeline (seeded by the migration ``sales/0006_seed_pipeline``); its stage history runs from
the first stage through every stage it passed to the one it is in now, so the funnel has a
history to read. Spread:

- stages: about half still open (more in the early stages), a quarter won, a quarter lost
  with a reason from the list;
- created over the last two years (more recently); the expected close date a few weeks to
  six months after creation, the open ones' mostly in the coming two quarters;
- the owner and team are the customer's; one or two product lines each, amounts
  log-normal around ¥80,000;
- about a third of the open ones have a next step dated in the coming four weeks.
"""

from __future__ import annotations

import datetime as dt
import math
import random
import sys
import time
from dataclasses import dataclass

from kehu.bench.generate import _defaults, _max_id, _reset_sequences, _weighted, _Writer

OPP_BATCH = 50_000
NAMES = ["年度框架采购", "季度钢材补货", "新项目备料", "厂房扩建用钢", "替换供应商", "试单", "长期协议续签",
         "镀锌板专项", "螺纹钢集中采购", "出口订单配套"]
NEXT_STEPS = ["拜访采购经理", "发送报价", "技术交流", "样品确认", "商务谈判", "合同评审", "电话跟进"]
COMPETITORS = ["", "", "", "宝钢经销商", "鞍钢代理", "本地贸易商"]
SOURCES = ["referral", "exhibition", "web", "phone", "visit", "other", ""]


@dataclass
class OpportunityReport:
    opportunities: int = 0
    open: int = 0
    won: int = 0
    lost: int = 0
    lines: int = 0
    stage_changes: int = 0
    seconds: float = 0.0


def generate_opportunities(*, opportunities: int, seed: int = 1, progress: bool = False, workers: int = 2,
                           now: dt.datetime | None = None) -> OpportunityReport:
    """``opportunities`` opportunities over the existing customers (see the module docstring)."""
    from django.db import connection

    from kehu.customers.models import Customer, Source
    from kehu.sales.models import (
        LostReason, Opportunity, OpportunityLine, Pipeline, ProductLine, StageChange, StageOutcome,
    )

    t0 = time.monotonic()
    rep = OpportunityReport()
    if opportunities <= 0:
        return rep
    pipeline = Pipeline.objects.filter(is_default=True).first()
    if pipeline is None:
        raise ValueError("no default pipeline: run `kehu migrate` first (sales 0006 seeds it)")
    stages = list(pipeline.stages.order_by("position", "id"))
    open_stages = [s for s in stages if s.outcome == StageOutcome.OPEN]
    won = next((s for s in stages if s.outcome == StageOutcome.WON), None)
    lost = next((s for s in stages if s.outcome == StageOutcome.LOST), None)
    if not open_stages or won is None or lost is None:
        raise ValueError("the default pipeline needs open stages, a won stage and a lost stage")
    reasons = list(LostReason.objects.filter(active=True).values_list("id", flat=True)) or [None]
    lines = list(ProductLine.objects.values_list("id", flat=True))
    if not lines:
        from kehu.bench.generate import ensure_products

        ensure_products()
        lines = list(ProductLine.objects.values_list("id", flat=True))
    customers = list(Customer.objects.order_by("id").values_list("id", "owner_id", "team_id"))
    if not customers:
        raise ValueError("no customers to sell to: run `kehu generate --customers N` first")
    sources = [s for s in SOURCES if s == "" or s in Source.values] or [""]

    rnd = random.Random(seed * 7919 + 15)
    writer = _Writer(connection, workers=workers)
    if writer.postgres:
        with connection.cursor() as cur:
            cur.execute("SET synchronous_commit = off")
    now = (now or dt.datetime.now(dt.timezone.utc)).replace(microsecond=0)
    today = now.date()
    horizon = 2 * 365 * 86400
    ts = writer.timestamp
    # where each opportunity is now: open stages weighted towards the early ones
    where = [(s, w) for s, w in zip(open_stages, (14, 12, 11, 10, 8, 6, 5)[:len(open_stages)], strict=False)]
    where += [(won, 22), (lost, 22)]

    o_table, l_table, c_table = (Opportunity._meta.db_table, OpportunityLine._meta.db_table,
                                 StageChange._meta.db_table)
    o_cols = ["id", "created_at", "updated_at", "customer_id", "name", "pipeline_id", "stage_id", "probability",
              "expected_close", "competitor", "source", "owner_id", "team_id", "next_step", "next_step_on",
              "amount", "won_at", "lost_at", "lost_reason_id", "lost_note", "created_by_id", "version"]
    rest_cols, rest_vals = _defaults(Opportunity, o_cols, writer)
    o_cols_all = o_cols + rest_cols
    l_cols = ["id", "opportunity_id", "product_line_id", "amount", "note"]
    l_rest_cols, l_rest_vals = _defaults(OpportunityLine, l_cols, writer)
    c_cols = ["id", "opportunity_id", "from_stage_id", "to_stage_id", "at", "by_id", "note"]
    c_rest_cols, c_rest_vals = _defaults(StageChange, c_cols, writer)
    opp_id, line_id, change_id = _max_id(Opportunity) + 1, _max_id(OpportunityLine) + 1, _max_id(StageChange) + 1

    bar = None
    if progress:
        from tqdm import tqdm

        bar = tqdm(total=opportunities, unit=" opportunities", unit_scale=True, file=sys.stderr,
                   dynamic_ncols=True, desc="opportunities")
    for b0 in range(0, opportunities, OPP_BATCH):
        n = min(opportunities, b0 + OPP_BATCH) - b0
        targets = _weighted(rnd, where, n)
        o_rows, l_rows, c_rows = [], [], []
        for j in range(n):
            cid, owner_id, team_id = customers[rnd.randrange(len(customers))]
            stage = targets[j]
            age = int(horizon * (1 - rnd.random() ** 0.7))
            created = now - dt.timedelta(seconds=age)
            # the path: the first stage, each later open stage up to where it is (or, for an
            # outcome, up to a random open stage), then the outcome
            if stage.outcome == StageOutcome.OPEN:
                path = open_stages[:open_stages.index(stage) + 1]
            else:
                path = open_stages[:rnd.randrange(1, len(open_stages) + 1)] + [stage]
            span = max(60.0, (now - created).total_seconds())
            steps = sorted(rnd.uniform(0, span * 0.9) for _ in path[1:])
            times = [created] + [created + dt.timedelta(seconds=s) for s in steps]
            amounts = [round(math.exp(rnd.gauss(math.log(80_000), 0.9)), 2)
                       for _ in range(1 if rnd.random() < 0.7 else 2)]
            total = round(sum(amounts), 2)
            is_open = stage.outcome == StageOutcome.OPEN
            if is_open:
                close = today + dt.timedelta(days=rnd.randint(-20, 180))
            else:
                close = (times[-1] + dt.timedelta(days=rnd.randint(-10, 10))).date()
            next_step, next_on = "", None
            if is_open and rnd.random() < 0.35:
                next_step, next_on = rnd.choice(NEXT_STEPS), today + dt.timedelta(days=rnd.randint(0, 27))
            won_at = ts(times[-1]) if stage.outcome == StageOutcome.WON else None
            lost_at = ts(times[-1]) if stage.outcome == StageOutcome.LOST else None
            o_rows.append((
                opp_id, ts(created), ts(times[-1]), cid, rnd.choice(NAMES), pipeline.pk, stage.pk,
                100 if won_at else 0 if lost_at else stage.probability, close, rnd.choice(COMPETITORS),
                rnd.choice(sources), owner_id, team_id, next_step, next_on, total, won_at, lost_at,
                rnd.choice(reasons) if lost_at else None, "", owner_id, len(path), *rest_vals,
            ))
            for amount in amounts:
                l_rows.append((line_id, opp_id, rnd.choice(lines), amount, "", *l_rest_vals))
                line_id += 1
            previous = None
            for st, at in zip(path, times, strict=True):
                c_rows.append((change_id, opp_id, previous.pk if previous else None, st.pk, ts(at), owner_id, "",
                               *c_rest_vals))
                change_id += 1
                previous = st
            rep.open += is_open
            rep.won += won_at is not None
            rep.lost += lost_at is not None
            opp_id += 1
        writer.submit([(o_table, o_cols_all, o_rows), (l_table, l_cols + l_rest_cols, l_rows),
                       (c_table, c_cols + c_rest_cols, c_rows)])
        rep.opportunities += len(o_rows)
        rep.lines += len(l_rows)
        rep.stage_changes += len(c_rows)
        if bar:
            bar.update(len(o_rows))
    writer.close()
    if bar:
        bar.close()
    _reset_sequences([Opportunity, OpportunityLine, StageChange])
    if writer.postgres:
        command = "ANALYZE" if connection.in_atomic_block else "VACUUM (ANALYZE)"
        with connection.cursor() as cur:
            for table in (o_table, l_table, c_table):
                cur.execute(f"{command} {connection.ops.quote_name(table)}")
    rep.seconds = time.monotonic() - t0
    return rep


def print_opportunity_report(rep: OpportunityReport, out=None) -> None:
    out = out or sys.stdout
    print(f"created {rep.opportunities:,} opportunities ({rep.open:,} open, {rep.won:,} won, {rep.lost:,} lost), "
          f"{rep.lines:,} product lines and {rep.stage_changes:,} stage changes in {rep.seconds:.1f} s", file=out)
