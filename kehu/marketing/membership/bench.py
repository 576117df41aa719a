"""``kehu points bench``: a member's balance and statement over a big ledger.

Enrols ``--members`` customers of the database (making synthetic customers
with ``kehu.bench.generate`` when there are too few), writes ``--entries``
ledger entries spread over them and over six years — on PostgreSQL with one
``INSERT … SELECT`` over ``generate_series``, the members' entries interleaved
in the table as real traffic leaves them — then ``VACUUM ANALYZE`` and times,
for ``--runs`` random members: the balance (:func:`services.points_balance`),
the statement's first page (50 entries with their running balance, as the
member's page and ``GET /members/{id}/statement`` read it) and the page of a
period starting mid-way. Prints p50 / p95 / max in milliseconds. Issue 16's
target: balance and statement p95 ≤ 20 ms over 10,000,000 entries.

The memberships and entries it made are deleted afterwards unless ``--keep``.
The synthetic lots carry no ``remaining`` (the benchmark reads, it does not
redeem).
"""

from __future__ import annotations

import datetime as dt
import json
import platform
import random
import statistics
import time

START = dt.date(2020, 1, 1)
SPAN_DAYS = 6 * 365


def _pct(values: list[float], p: float) -> float:
    values = sorted(values)
    if not values:
        return 0.0
    k = min(len(values) - 1, max(0, int(round(p / 100 * (len(values) - 1)))))
    return values[k]


def _customers(n: int, seed: int) -> list[int]:
    from kehu.customers.models import Customer

    ids = list(Customer.objects.filter(membership__isnull=True).order_by("id").values_list("id", flat=True)[:n])
    if len(ids) < n:
        from kehu.bench.generate import generate

        generate(customers=n - len(ids), order_lines=0, seed=seed)
        ids = list(Customer.objects.filter(membership__isnull=True).order_by("id").values_list("id", flat=True)[:n])
    return ids


def _enrol(customer_ids: list[int]) -> list[int]:
    from django.db import transaction

    from kehu.marketing.membership.models import Membership, Tier

    tier = Tier.objects.order_by("rank").first()
    if tier is None:
        from kehu.marketing.membership.defaults import ensure_default_tiers

        ensure_default_tiers(Tier)
        tier = Tier.objects.order_by("rank").first()
    with transaction.atomic():
        Membership.objects.bulk_create([
            Membership(customer_id=cid, number=f"M{cid:08d}", tier=tier, tier_since=START, joined_on=START,
                       expires_on=dt.date(2099, 1, 1)) for cid in customer_ids], batch_size=2000)
    return list(Membership.objects.filter(customer_id__in=customer_ids).values_list("id", flat=True))


def _fill_postgresql(member_ids: list[int], per_member: int) -> None:
    from django.db import connection, transaction

    with transaction.atomic(), connection.cursor() as cur:
        cur.execute(
            """
            INSERT INTO membership_pointsentry
                (membership_id, kind, points, remaining, entry_date, expires_on, reason, source, created_at)
            SELECT m.id,
                   CASE WHEN g %% 4 = 0 THEN 'redeem' ELSE 'earn' END,
                   CASE WHEN g %% 4 = 0 THEN -10 ELSE 20 END,
                   0,
                   %s::date + (g::bigint * %s / %s)::int,
                   CASE WHEN g %% 4 = 0 THEN NULL ELSE %s::date + (g::bigint * %s / %s)::int + 730 END,
                   'bench', 'bench', now()
            FROM generate_series(1, %s) AS g CROSS JOIN unnest(%s::bigint[]) AS m(id)
            ORDER BY g, m.id
            """,
            [START, SPAN_DAYS, per_member, START, SPAN_DAYS, per_member, per_member, member_ids])
    if not connection.in_atomic_block:   # VACUUM cannot run in a transaction (a test's)
        with connection.cursor() as cur:
            cur.execute("VACUUM ANALYZE membership_pointsentry")


def _fill_python(member_ids: list[int], per_member: int) -> None:
    from django.db import transaction

    from kehu.marketing.membership.models import PointsEntry

    rows = []
    for g in range(1, per_member + 1):
        day = START + dt.timedelta(days=g * SPAN_DAYS // per_member)
        for mid in member_ids:
            redeem = g % 4 == 0
            rows.append(PointsEntry(membership_id=mid, kind="redeem" if redeem else "earn",
                                    points=-10 if redeem else 20, remaining=0, entry_date=day,
                                    expires_on=None if redeem else day + dt.timedelta(days=730),
                                    reason="bench", source="bench"))
            if len(rows) >= 5000:
                with transaction.atomic():
                    PointsEntry.objects.bulk_create(rows)
                rows = []
    if rows:
        with transaction.atomic():
            PointsEntry.objects.bulk_create(rows)


def measure(member_ids: list[int], runs: int, seed: int) -> dict:
    from django.db.models import Q

    from kehu.marketing.membership.models import Membership
    from kehu.marketing.membership.selectors import statement_entries, with_running_balance
    from kehu.marketing.membership.services import points_balance
    from kehu.pagination import Tier, tiered_keyset_page

    rng = random.Random(seed)
    timings = {"balance": [], "statement_first_page": [], "statement_period_page": [], "balance_and_statement": []}
    tiers = [Tier(Q(), ("entry_date", "id"))]
    for _ in range(runs):
        m = Membership.objects.get(pk=rng.choice(member_ids))
        t0 = time.perf_counter()
        points_balance(m)
        t1 = time.perf_counter()
        page = tiered_keyset_page(statement_entries(membership=m), tiers=tiers, cursor=None, page_size=50)
        with_running_balance(m.pk, page.items, at_start=page.prev_cursor is None)   # as the member's page does
        t2 = time.perf_counter()
        mid = START + dt.timedelta(days=rng.randrange(SPAN_DAYS))
        page = tiered_keyset_page(statement_entries(membership=m, date_from=mid), tiers=tiers, cursor=None,
                                  page_size=50)
        with_running_balance(m.pk, page.items)
        t3 = time.perf_counter()
        timings["balance"].append((t1 - t0) * 1000)
        timings["statement_first_page"].append((t2 - t1) * 1000)
        timings["statement_period_page"].append((t3 - t2) * 1000)
        timings["balance_and_statement"].append((t3 - t0) * 1000)
    return {k: {"p50": round(statistics.median(v), 2), "p95": round(_pct(v, 95), 2), "max": round(max(v), 2)}
            for k, v in timings.items()}


def load_ledger(*, entries: int, members: int, seed: int) -> list[int]:
    """Enrol ``members`` customers and write about ``entries`` entries over them; the membership ids."""
    from django.db import connection

    members = max(1, min(members, entries))
    member_ids = _enrol(_customers(members, seed))
    if connection.vendor == "postgresql":
        _fill_postgresql(member_ids, max(1, entries // members))
    else:
        _fill_python(member_ids, max(1, entries // members))
    return member_ids


def run_ledger_bench(*, entries: int = 10_000_000, members: int = 10_000, runs: int = 500, seed: int = 1,
                     keep: bool = False, as_json: bool = False) -> int:
    from django.db import connection

    from kehu.marketing.membership.models import Membership, PointsEntry

    members = max(1, min(members, entries))
    per_member = max(1, entries // members)
    t0 = time.perf_counter()
    member_ids = load_ledger(entries=entries, members=members, seed=seed)
    load_s = time.perf_counter() - t0
    total = PointsEntry.objects.count()
    try:
        measure(member_ids, min(runs, 50), seed + 1)  # warm the caches
        figures = measure(member_ids, runs, seed)
    finally:
        if not keep:
            PointsEntry.objects.filter(membership_id__in=member_ids).delete()
            Membership.objects.filter(pk__in=member_ids).delete()
    report = {"database": connection.vendor, "entries": per_member * len(member_ids), "ledger_rows": total,
              "members": len(member_ids), "entries_per_member": per_member, "runs": runs,
              "load_seconds": round(load_s, 1), "ms": figures,
              "target": "balance and statement p95 <= 20 ms", "machine": platform.platform(),
              "ok": figures["balance_and_statement"]["p95"] <= 20.0}
    if as_json:
        print(json.dumps(report, indent=2))
    else:
        print(f"{report['database']}: {report['ledger_rows']:,} ledger rows, {report['members']:,} members "
              f"({per_member:,} entries each), loaded in {report['load_seconds']} s; {runs} members timed")
        for name, f in figures.items():
            print(f"  {name:24s} p50 {f['p50']:7.2f} ms   p95 {f['p95']:7.2f} ms   max {f['max']:7.2f} ms")
        print(("OK" if report["ok"] else "SLOW") + f": {report['target']}")
    return 0
