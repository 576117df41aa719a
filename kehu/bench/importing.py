"""``kehu bench import``: Kehu's customer import against PostgreSQL's own COPY.

1. Writes a CSV of N generated customers (the documented import columns:
   ref, name, type, phone, email, region, province, city, city_tier, industry,
   size, source, lifecycle_stage, relationship_level, owner) to a temporary
   folder.
2. Times :func:`kehu.imports.services.import_customers` on it, as an
   administrator, into the configured database (all checks, search keys,
   owners, audit records: what ``kehu import customers FILE`` does).
3. Times ``COPY scratch_table FROM STDIN (FORMAT csv, HEADER)`` of the same
   file into a scratch table with the same columns, in the same run.
4. Prints both and the ratio (target: the import takes at most 3× the COPY),
   then removes the imported customers (unless ``--keep``), the scratch table
   and the file.
"""

from __future__ import annotations

import csv
import json
import os
import random
import sys
import tempfile
import time

TARGET_RATIO = 3.0
COLUMNS = ["ref", "name", "type", "phone", "email", "region", "province", "city", "city_tier", "industry",
           "size", "source", "lifecycle_stage", "relationship_level", "owner"]
SCRATCH = "kehu_bench_import_copy"
REF_PREFIX = "BI"


def write_csv(path: str, *, customers: int, seed: int, owners: list[str]) -> None:
    """N customers with unique codes ``BI00000001``...; names from the generator's pool."""
    from kehu.bench.generate import MOBILE_PREFIXES, name_pool
    from kehu.demo import catalogue

    rnd = random.Random(seed)
    pool = name_pool(rnd, min(max(customers, 1), 20_000))
    cities = catalogue.CITIES
    with open(path, "w", newline="", encoding="utf-8") as fh:
        w = csv.writer(fh)
        w.writerow(COLUMNS)
        for i in range(customers):
            kind, name = pool[rnd.randrange(len(pool))][:2]
            region, province, city, tier = cities[rnd.randrange(len(cities))]
            org = kind == "organization"
            w.writerow([
                f"{REF_PREFIX}{i + 1:08d}", name, kind, rnd.choice(MOBILE_PREFIXES) + f"{rnd.randrange(10 ** 8):08d}",
                f"bi{i + 1}@example.com" if rnd.random() < 0.3 else "", region, province, city, tier,
                rnd.choice(catalogue.INDUSTRIES) if org else "", rnd.choice(["small", "medium", "large"]) if org else "",
                rnd.choice(["phone", "web", "exhibition", "referral"]), "customer",
                rnd.choice(["basic", "reactive", "accountable"]), owners[i % len(owners)] if owners else "",
            ])


def _copy_seconds(path: str) -> float:
    """Seconds PostgreSQL takes to COPY the file into a scratch table with the same columns."""
    from django.db import connection

    raw = connection.connection
    cols = ", ".join(f"{c} {'smallint' if c == 'city_tier' else 'text'}" for c in COLUMNS)
    with raw.cursor() as cur:
        cur.execute(f"DROP TABLE IF EXISTS {SCRATCH}")
        cur.execute(f"CREATE TABLE {SCRATCH} ({cols})")
    raw.commit() if not raw.autocommit else None
    t = time.perf_counter()
    with raw.cursor() as cur:
        with cur.copy(f"COPY {SCRATCH} FROM STDIN (FORMAT csv, HEADER true)") as copy:
            with open(path, "rb") as fh:
                while chunk := fh.read(1 << 20):
                    copy.write(chunk)
    if not raw.autocommit:
        raw.commit()
    return time.perf_counter() - t


def _drop_scratch() -> None:
    from django.db import connection

    with connection.cursor() as cur:
        cur.execute(f"DROP TABLE IF EXISTS {SCRATCH}")


def _remove_imported() -> int:
    """Delete the customers this benchmark imported (codes BI + 8 digits) and their audit records."""
    from django.db import transaction

    from kehu.audit.models import AuditEvent
    from kehu.customers.models import Customer

    qs = Customer.objects.filter(ref__regex=rf"^{REF_PREFIX}[0-9]{{8}}$")
    ids = list(qs.values_list("id", flat=True))
    with transaction.atomic():
        for start in range(0, len(ids), 20_000):
            chunk = ids[start:start + 20_000]
            AuditEvent.objects.filter(customer_id__in=chunk)._raw_delete(AuditEvent.objects.db)
            Customer.tags.through.objects.filter(customer_id__in=chunk)._raw_delete(Customer.objects.db)
            Customer.objects.filter(id__in=chunk)._raw_delete(Customer.objects.db)
    return len(ids)


def run_import_bench(*, customers: int = 1_000_000, keep: bool = False, seed: int = 1, as_json: bool = False,
                     out=None) -> int:
    from django.db import connection
    from django.db.models import Q

    from kehu.org.models import Role, User

    out = out or sys.stdout
    try:
        from kehu.imports.services import import_customers
    except ImportError:
        import_customers = None
    admin = (User.objects.filter(is_active=True).filter(Q(role=Role.ADMIN) | Q(is_superuser=True))
             .order_by("id").first())
    if admin is None:
        print("error: no active administrator to import as; run `kehu demo` or `kehu generate` first", file=sys.stderr)
        return 2
    if _remove_imported():
        print("removed customers left by an earlier `kehu bench import --keep`", file=out)
    owners = list(User.objects.filter(is_active=True, role=Role.SALESPERSON).order_by("id")
                  .values_list("username", flat=True)[:50])
    result = {"customers": customers, "database": connection.vendor, "import_seconds": None,
              "copy_seconds": None, "ratio": None, "target_ratio": TARGET_RATIO, "import": "", "copy": ""}
    with tempfile.TemporaryDirectory(prefix="kehu-bench-import-") as tmp:
        path = os.path.join(tmp, "customers.csv")
        t = time.perf_counter()
        write_csv(path, customers=customers, seed=seed, owners=owners)
        result["csv_seconds"] = round(time.perf_counter() - t, 2)
        result["csv_bytes"] = os.path.getsize(path)
        if not as_json:
            print(f"wrote {customers:,} customers to a CSV of {result['csv_bytes'] / 1e6:.1f} MB "
                  f"in {result['csv_seconds']:.1f} s", file=out, flush=True)
        try:
            if connection.vendor == "postgresql":
                result["copy_seconds"] = round(_copy_seconds(path), 3)
                result["copy"] = "ok"
            else:
                result["copy"] = "not available (PostgreSQL only)"
            if import_customers is None:
                result["import"] = "not available (kehu.imports.services.import_customers is missing)"
            else:
                t = time.perf_counter()
                report = import_customers(actor=admin, source=path)
                result["import_seconds"] = round(time.perf_counter() - t, 3)
                result["import"] = (f"created {report.created:,}, updated {report.updated:,}, "
                                    f"errors {report.error_count:,}")
        finally:
            if connection.vendor == "postgresql":
                _drop_scratch()
            if not keep:
                result["removed"] = _remove_imported()
    if result["import_seconds"] and result["copy_seconds"]:
        result["ratio"] = round(result["import_seconds"] / result["copy_seconds"], 2)
    if as_json:
        print(json.dumps(result, ensure_ascii=False, indent=2), file=out)
        return 0

    def fmt(secs, status):
        return f"{secs:.2f} s ({customers / secs:,.0f} rows/s)" if secs else status

    print(f"kehu import customers: {fmt(result['import_seconds'], result['import'])}"
          + (f" — {result['import']}" if result["import_seconds"] else ""), file=out)
    print(f"PostgreSQL COPY:       {fmt(result['copy_seconds'], result['copy'])}", file=out)
    if result["ratio"] is not None:
        verdict = "pass" if result["ratio"] <= TARGET_RATIO else "FAIL"
        print(f"ratio import / COPY:   {result['ratio']:.2f}× (target ≤ {TARGET_RATIO:.0f}×): {verdict}", file=out)
    if "removed" in result:
        print(f"removed the {result['removed']:,} imported customers (use --keep to keep them)", file=out)
    return 0
