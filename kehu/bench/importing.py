"""``kehu bench import``: Kehu's customer import against PostgreSQL's own COPY.

1. Writes a CSV of N generated customers (the documented import columns:
   ref, name, type, phone, email, region, province, city, city_tier, industry,
   size, source, lifecycle_stage, relationship_level, owner) to a temporary
   folder.
2. Times :func:`kehu.imports.services.import_customers` on it, as an
   administrator, into the configured database (all checks, search keys,
   owners, audit records: what ``kehu import customers FILE`` does).
3. Times ``COPY … FROM STDIN (FORMAT csv, HEADER)`` of the same file, in the
   same run, into two scratch tables:

   - *plain*: the file's columns as text (``city_tier`` smallint), no
     indexes — the bare cost of reading the CSV into PostgreSQL;
   - *customer-shaped*: ``CREATE TABLE … (LIKE customers_customer INCLUDING
     DEFAULTS INCLUDING IDENTITY INCLUDING CONSTRAINTS INCLUDING INDEXES)`` — the customer
     table's column types, check constraints and all its indexes (unique
     code, list, search and time indexes) — a regular, WAL-logged table like
     the real one. The file's ``type`` goes to ``kind``; ``owner`` (a
     username) to an added text column, as the file has no owner id; the
     columns the file does not have get defaults (empty text, false,
     ``now()`` for the timestamps), so the search-key indexes hold empty
     strings; empty cells are empty text (``FORCE_NOT_NULL``), not NULL. It is empty at the start, while the real table holds whatever
     the database holds;
   - *customer-shaped, filled*: the same table first filled (untimed) with a
     copy of every customer the database holds, so the COPY maintains
     indexes as large as the ones the import maintains — the like-for-like
     reference for an import into a database that already has a million
     customers.

   A ``CHECKPOINT`` precedes each timed step, so none pays for the dirty
   pages of the one before.
4. Prints the four times and the ratios (target: the import takes at most
   3× the COPY), then removes the imported customers (unless ``--keep``),
   the scratch tables and the file.
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
SHAPED = "kehu_bench_import_shaped"
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


def _copy_file(raw, table: str, columns: list[str], path: str, options: str = "") -> float:
    t = time.perf_counter()
    with raw.cursor() as cur:
        with cur.copy(f"COPY {table} ({', '.join(columns)}) FROM STDIN (FORMAT csv, HEADER true{options})") as copy:
            with open(path, "rb") as fh:
                while chunk := fh.read(1 << 20):
                    copy.write(chunk)
    if not raw.autocommit:
        raw.commit()
    return time.perf_counter() - t


def _copy_seconds(path: str) -> float:
    """Seconds PostgreSQL takes to COPY the file into a plain scratch table with the same columns."""
    from django.db import connection

    connection.ensure_connection()
    raw = connection.connection
    cols = ", ".join(f"{c} {'smallint' if c == 'city_tier' else 'text'}" for c in COLUMNS)
    with raw.cursor() as cur:
        cur.execute(f"DROP TABLE IF EXISTS {SCRATCH}")
        cur.execute(f"CREATE TABLE {SCRATCH} ({cols})")
    raw.commit() if not raw.autocommit else None
    return _copy_file(raw, SCRATCH, COLUMNS, path)


def _checkpoint() -> None:
    from django.db import connection

    with connection.cursor() as cur:
        cur.execute("CHECKPOINT")


def _shaped_copy_seconds(path: str, *, filled: bool = False) -> float:
    """Seconds PostgreSQL takes to COPY the file into a table shaped like the customer table:
    same column types, check constraints and indexes (see the module docstring); with ``filled``
    the table first holds a copy of every customer in the database."""
    from django.db import connection

    from kehu.customers.models import Customer

    connection.ensure_connection()
    raw = connection.connection
    with raw.cursor() as cur:
        cur.execute(f"DROP TABLE IF EXISTS {SHAPED}")
        cur.execute(f"CREATE TABLE {SHAPED} (LIKE {Customer._meta.db_table} "
                    f"INCLUDING DEFAULTS INCLUDING IDENTITY INCLUDING CONSTRAINTS INCLUDING INDEXES)")
        cur.execute(f"ALTER TABLE {SHAPED} ADD COLUMN owner_username text")
        for field in Customer._meta.concrete_fields:
            if field.primary_key or field.null:
                continue
            if field.attname in ("created_at", "updated_at"):
                default = "now()"
            elif field.get_internal_type() == "BooleanField":
                default = "false"
            elif field.get_internal_type() == "JSONField":
                default = "'{}'"
            else:
                default = "''"
            cur.execute(f"ALTER TABLE {SHAPED} ALTER COLUMN {field.column} SET DEFAULT {default}")
        if filled:
            cols = ", ".join(f.column for f in Customer._meta.concrete_fields)
            cur.execute(f"INSERT INTO {SHAPED} ({cols}) SELECT {cols} FROM {Customer._meta.db_table}")
            cur.execute(f"SELECT coalesce(max(id), 0) + 1 FROM {SHAPED}")
            cur.execute(f"ALTER TABLE {SHAPED} ALTER COLUMN id RESTART WITH {cur.fetchone()[0]}")
            cur.execute(f"ANALYZE {SHAPED}")
    raw.commit() if not raw.autocommit else None
    _checkpoint()
    columns = [{"type": "kind", "owner": "owner_username"}.get(c, c) for c in COLUMNS]
    # An empty CSV cell is NULL unless quoted; the text columns are NOT NULL, as in the real table.
    not_null = ", ".join(c for c in columns if c != "city_tier")
    return _copy_file(raw, SHAPED, columns, path, f", FORCE_NOT_NULL ({not_null})")


def _drop_scratch() -> None:
    from django.db import connection

    with connection.cursor() as cur:
        cur.execute(f"DROP TABLE IF EXISTS {SCRATCH}")
        cur.execute(f"DROP TABLE IF EXISTS {SHAPED}")


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
              "copy_seconds": None, "shaped_copy_seconds": None, "filled_copy_seconds": None,
              "ratio": None, "shaped_ratio": None, "filled_ratio": None,
              "target_ratio": TARGET_RATIO, "import": "", "copy": ""}
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
                _checkpoint()
                result["copy_seconds"] = round(_copy_seconds(path), 3)
                result["shaped_copy_seconds"] = round(_shaped_copy_seconds(path), 3)
                _drop_scratch()
                result["filled_copy_seconds"] = round(_shaped_copy_seconds(path, filled=True), 3)
                _drop_scratch()
                _checkpoint()
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
                if connection.vendor == "postgresql" and result["removed"]:
                    # leave the database as fast as it was found: a million dead rows
                    # otherwise mislead the planner until autovacuum comes round
                    with connection.cursor() as cur:
                        cur.execute("VACUUM ANALYZE customers_customer")
                        cur.execute("VACUUM ANALYZE audit_auditevent")
                        # and the indexes as compact as before: a million entries inserted and
                        # deleted leave them half empty (746 MB grew to 1.8 GB in eight runs),
                        # which made each later run slower than the one before
                        cur.execute("REINDEX TABLE customers_customer")
    if result["import_seconds"] and result["copy_seconds"]:
        result["ratio"] = round(result["import_seconds"] / result["copy_seconds"], 2)
        result["shaped_ratio"] = round(result["import_seconds"] / result["shaped_copy_seconds"], 2)
        result["filled_ratio"] = round(result["import_seconds"] / result["filled_copy_seconds"], 2)
    if as_json:
        print(json.dumps(result, ensure_ascii=False, indent=2), file=out)
        return 0

    def fmt(secs, status):
        return f"{secs:.2f} s ({customers / secs:,.0f} rows/s)" if secs else status

    print(f"kehu import customers: {fmt(result['import_seconds'], result['import'])}"
          + (f" — {result['import']}" if result["import_seconds"] else ""), file=out)
    print(f"COPY, plain table:     {fmt(result['copy_seconds'], result['copy'])}", file=out)
    print(f"COPY, customer-shaped: {fmt(result['shaped_copy_seconds'], result['copy'])}", file=out)
    print(f"COPY, customer-shaped, filled: {fmt(result['filled_copy_seconds'], result['copy'])}", file=out)
    for key, what in (("ratio", "plain table"), ("shaped_ratio", "customer-shaped"),
                      ("filled_ratio", "customer-shaped, filled")):
        if result[key] is not None:
            verdict = "pass" if result[key] <= TARGET_RATIO else "FAIL"
            print(f"import / COPY {what + ':':25s}{result[key]:.2f}× (target ≤ {TARGET_RATIO:.0f}×): {verdict}",
                  file=out)
    if "removed" in result:
        print(f"removed the {result['removed']:,} imported customers (use --keep to keep them)", file=out)
    return 0
