"""`kehu bench import` on a tiny file: the import and, on PostgreSQL, the three COPY
references run, the ratios are printed and the benchmark cleans up after itself."""

from __future__ import annotations

import io
import json

import pytest
from django.db import connection

from kehu.bench.importing import SCRATCH, SHAPED, run_import_bench
from kehu.customers.models import Customer

pytestmark = pytest.mark.django_db(transaction=True)


def test_bench_import_small(org):
    before = Customer.objects.count()
    out = io.StringIO()
    assert run_import_bench(customers=300, as_json=True, out=out) == 0
    result = json.loads(out.getvalue())
    assert result["import"].startswith("created 300,")
    assert result["removed"] == 300
    assert Customer.objects.count() == before
    if connection.vendor == "postgresql":
        for key in ("copy_seconds", "shaped_copy_seconds", "filled_copy_seconds",
                    "ratio", "shaped_ratio", "filled_ratio"):
            assert result[key] > 0, key
        with connection.cursor() as cur:
            cur.execute("SELECT count(*) FROM pg_class WHERE relname IN (%s, %s)", [SCRATCH, SHAPED])
            assert cur.fetchone()[0] == 0
    else:
        assert result["copy"].startswith("not available")


def test_bench_import_text_report(org):
    out = io.StringIO()
    assert run_import_bench(customers=50, out=out) == 0
    text = out.getvalue()
    assert "kehu import customers:" in text and "removed the 50 imported customers" in text
    if connection.vendor == "postgresql":
        assert "COPY, customer-shaped, filled:" in text and "import / COPY customer-shaped, filled:" in text
